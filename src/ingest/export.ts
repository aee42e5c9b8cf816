/**
 * Export of a version as JSONL in the catalog's own shape (`prompt_response` format: prompt,
 * response, reference, messages, metadata, nulls kept), one sample per line in ordinal order.
 * Ingesting the export gives the same version content hash. Samples are read in keyset pages, so
 * memory stays bounded and the export works the same on both backends.
 */
import { and, asc, eq, gt, lte, max, sql } from 'drizzle-orm';
import { requireDatasetBySlug } from '../catalog/datasets.js';
import { findVersionByNumber, findVersionsByIds } from '../catalog/versions.js';
import type { Executor } from '../db/connect.js';
import { samples, type VersionRow } from '../db/schema.js';
import { latestResultsOfVersions, resultsWithSampleScores, scoresOfSamples } from '../metricRuns/results.js';
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
  if (!match)
    throw new BadInputError(
      `"${ref}" is not a version reference: use <dataset-slug>@<number> or a version id`,
    );
  const dataset = await requireDatasetBySlug(db, match[1]!);
  const number = match[2] ? Number(match[2]) : dataset.nextVersion - 1;
  const version = number >= 1 ? await findVersionByNumber(db, dataset.id, number) : null;
  if (!version) {
    throw new NotFoundError(
      match[2]
        ? `dataset "${dataset.slug}" has no version ${number}`
        : `dataset "${dataset.slug}" has no versions yet`,
    );
  }
  return version;
}

/** The JSONL line (without newline) export writes for one sample, with its score columns if any. */
export function exportLine(
  s: {
    prompt: string | null;
    response: string | null;
    reference: string | null;
    messages: unknown;
    metadata: unknown;
  },
  scores?: Record<string, number | null> | null,
): string {
  const line = {
    prompt: s.prompt,
    response: s.response,
    reference: s.reference,
    messages: s.messages ?? null,
    metadata: s.metadata ?? null,
  };
  return JSON.stringify(scores ? { ...line, scores } : line);
}

/** `a, b,c` -> ['a', 'b', 'c']: the metric list of `--scores` and `?scores=`. */
export function parseMetricList(text: string | null | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m.length > 0);
}

/** A metric whose per-sample values an export adds to each line, from one stored result. */
export interface ScoreColumn {
  /** The metric key (`external:<scorer>` for pushed scores); the key of the line's `scores` object. */
  metric: string;
  resultId: number;
}

/**
 * The score columns for `metrics` on a version: each metric's newest complete or partial result
 * that stored per-sample values (a failed run's scores are never exported). A metric without one is BAD_USER_INPUT, naming what is missing.
 */
export async function scoreColumnsFor(
  db: Executor,
  versionId: number,
  metrics: readonly string[],
): Promise<ScoreColumn[]> {
  const wanted = [...new Set(metrics)];
  if (wanted.length === 0) return [];
  const results =
    (await latestResultsOfVersions(db, [versionId], { metrics: wanted, succeededOnly: true })).get(
      versionId,
    ) ?? [];
  const withScores = await resultsWithSampleScores(
    db,
    results.map((r) => r.id),
  );
  return wanted.map((metric) => {
    const newest = results.find((r) => r.metric === metric && withScores.has(r.id));
    if (newest) return { metric, resultId: newest.id };
    const any = results.some((r) => r.metric === metric);
    throw new BadInputError(
      any
        ? `metric "${metric}" has no per-sample scores on version ${versionId} (its results hold only the aggregate)`
        : `version ${versionId} has no finished result of metric "${metric}" (failed runs do not count): compute it (or push scores) first`,
      { metric, versionId },
    );
  });
}

/** The line's `scores` object: each column's value for the sample, null where it has none. */
export function scoresOfSample(
  sampleId: number,
  columns: readonly ScoreColumn[],
  scores: Map<string, number>,
): Record<string, number | null> {
  const values: Record<string, number | null> = {};
  for (const column of columns) values[column.metric] = scores.get(`${column.resultId}:${sampleId}`) ?? null;
  return values;
}

/**
 * Yields the version's samples as JSONL text in chunks; `onRows` reports progress. With score
 * columns, each line also carries `"scores": {"<metric>": value | null}` (null: no score for that
 * sample). Such a file re-ingests with the scores in `metadata`: it is for analysis, not for the
 * round trip.
 */
export async function* exportVersionJsonl(
  db: Executor,
  versionId: number,
  onRows?: (rows: number) => void,
  scoreColumns: readonly ScoreColumn[] = [],
): AsyncGenerator<string> {
  let chunk = '';
  for await (const { page, scores, rows } of samplePages(db, versionId, scoreColumns)) {
    for (const s of page) {
      chunk += `${exportLine(s, scores && scoresOfSample(s.id, scoreColumns, scores))}\n`;
      if (chunk.length >= CHUNK_CHARS) {
        yield chunk;
        chunk = '';
      }
    }
    onRows?.(rows);
  }
  if (chunk) yield chunk;
}

/** One sample as export reads it. */
export interface ExportSample {
  id: number;
  ordinal: number;
  prompt: string | null;
  response: string | null;
  reference: string | null;
  messages: unknown;
  metadata: unknown;
}

/**
 * The version's samples in ordinal order, in pages, each with the score values of its samples
 * (null without score columns) and the rows read so far. Shared by every export format.
 *
 * A page is an ordinal range (`after < ordinal <= after + pageSize`), not `ordinal > after LIMIT
 * n`: without fresh planner statistics (PGlite never collects any; PostgreSQL not until analyze
 * runs after an ingest) the open-ended form is planned as a bitmap scan that sorts every remaining
 * row of the version for each page, which made exports quadratic (0.25-0.7 s per 5000-row page at
 * 200k rows here, against 24 ms for the range). Ordinals are dense, so a range holds pageSize
 * samples; a gap only makes a page shorter. The next page's query is sent before the current page
 * is handed out, so the database works while the consumer encodes (at most two pages in memory).
 * With `metadataAsText`, `metadata` is the JSON text PostgreSQL renders (`{"a": 1}`), not parsed.
 */
export async function* samplePages(
  db: Executor,
  versionId: number,
  scoreColumns: readonly ScoreColumn[] = [],
  pageSize = PAGE_SIZE,
  options: { metadataAsText?: boolean } = {},
): AsyncGenerator<{ page: ExportSample[]; scores: Map<string, number> | null; rows: number }> {
  // As JSON text (the database's own rendering) for a writer that stores text: no parse here.
  const metadata = options.metadataAsText ? sql<string | null>`${samples.metadata}::text` : samples.metadata;
  const [last] = await db
    .select({ ordinal: max(samples.ordinal) })
    .from(samples)
    .where(eq(samples.versionId, versionId));
  const lastOrdinal = last?.ordinal ?? -1;
  type Page = { page: ExportSample[]; scores: Map<string, number> | null };
  const read = (after: number): Promise<Page> => {
    const query = db
      .select({
        id: samples.id,
        ordinal: samples.ordinal,
        prompt: samples.prompt,
        response: samples.response,
        reference: samples.reference,
        messages: samples.messages,
        metadata,
      })
      .from(samples)
      .where(
        and(
          eq(samples.versionId, versionId),
          gt(samples.ordinal, after),
          lte(samples.ordinal, after + pageSize),
        ),
      )
      .orderBy(asc(samples.ordinal))
      .then(async (page) => ({
        page,
        scores: scoreColumns.length
          ? await scoresOfSamples(
              db,
              scoreColumns.map((c) => c.resultId),
              page.map((s) => s.id),
            )
          : null,
      }));
    // A consumer that stops early leaves the prefetched page unread: its failure is not an error.
    query.catch(() => undefined);
    return query;
  };
  let rows = 0;
  let after = -1;
  let next: Promise<Page> | null = lastOrdinal >= 0 ? read(after) : null;
  while (next) {
    const { page, scores }: Page = await next;
    after += pageSize;
    next = after < lastOrdinal ? read(after) : null;
    rows += page.length;
    if (page.length > 0) yield { page, scores, rows };
  }
}
