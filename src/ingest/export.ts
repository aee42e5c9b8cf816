/**
 * Export of a version as JSONL in the catalog's own shape (`prompt_response` format: prompt,
 * response, reference, messages, metadata, nulls kept), one sample per line in ordinal order.
 * Ingesting the export gives the same version content hash. Samples are read in keyset pages, so
 * memory stays bounded and the export works the same on both backends.
 */
import { and, asc, eq, gt } from 'drizzle-orm';
import { requireDatasetBySlug } from '../catalog/datasets.js';
import { findVersionByNumber, findVersionsByIds } from '../catalog/versions.js';
import type { Executor } from '../db/connect.js';
import { samples, type VersionRow } from '../db/schema.js';
import { BadInputError, NotFoundError } from '../errors.js';

const PAGE_SIZE = 2000;
/** Aim for chunks of about this many characters so the consumer writes in large pieces. */
const CHUNK_CHARS = 256 * 1024;

export async function requireVersionById(db: Executor, id: number): Promise<VersionRow> {
  const [version] = await findVersionsByIds(db, [id]);
  if (!version) throw new NotFoundError(`no version with id ${id}`, { id });
  return version;
}

/** Resolves "slug@N" (or "slug" for its latest version). */
export async function requireVersionByRef(db: Executor, ref: string): Promise<VersionRow> {
  const match = /^([^@\s]+)(?:@([1-9][0-9]*))?$/.exec(ref);
  if (!match) throw new BadInputError(`"${ref}" is not a version reference: use <dataset-slug>@<number> or a version id`);
  const dataset = await requireDatasetBySlug(db, match[1]!);
  const number = match[2] ? Number(match[2]) : dataset.nextVersion - 1;
  const version = number >= 1 ? await findVersionByNumber(db, dataset.id, number) : null;
  if (!version) {
    throw new NotFoundError(
      match[2] ? `dataset "${dataset.slug}" has no version ${number}` : `dataset "${dataset.slug}" has no versions yet`,
    );
  }
  return version;
}

/** The JSONL line (without newline) export writes for one sample. */
export function exportLine(s: {
  prompt: string | null;
  response: string | null;
  reference: string | null;
  messages: unknown;
  metadata: unknown;
}): string {
  return JSON.stringify({
    prompt: s.prompt,
    response: s.response,
    reference: s.reference,
    messages: s.messages ?? null,
    metadata: s.metadata ?? null,
  });
}

/** Yields the version's samples as JSONL text in chunks; `onRows` reports progress. */
export async function* exportVersionJsonl(
  db: Executor,
  versionId: number,
  onRows?: (rows: number) => void,
): AsyncGenerator<string> {
  let after = -1;
  let rows = 0;
  let chunk = '';
  for (;;) {
    const page = await db
      .select({
        ordinal: samples.ordinal,
        prompt: samples.prompt,
        response: samples.response,
        reference: samples.reference,
        messages: samples.messages,
        metadata: samples.metadata,
      })
      .from(samples)
      .where(and(eq(samples.versionId, versionId), gt(samples.ordinal, after)))
      .orderBy(asc(samples.ordinal))
      .limit(PAGE_SIZE);
    for (const s of page) {
      chunk += `${exportLine(s)}\n`;
      if (chunk.length >= CHUNK_CHARS) {
        yield chunk;
        chunk = '';
      }
    }
    rows += page.length;
    onRows?.(rows);
    if (page.length < PAGE_SIZE) break;
    after = page[page.length - 1]!.ordinal;
  }
  if (chunk) yield chunk;
}
