/** Reading overlap runs and their sample pairs (the write side is overlapJob.ts). */
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import type { OverlapRunRow } from '../db/schema.js';
import { overlapRuns } from '../db/schema.js';
import { anyOf, rowsOf } from '../db/sqlHelpers.js';
import {
  encodeCursor,
  invalidCursorError,
  toPage,
  type Page,
  type PageRequest,
} from '../catalog/pagination.js';

export const OVERLAP_PAIRS_CURSOR = 'overlap-pairs';

/** The newest finished (COMPLETE or PARTIAL) run of `versionId` against `againstId`, optionally in one space. */
export async function latestOverlapRun(
  db: Executor,
  versionId: number,
  againstId: number,
  spaceId: number | null,
): Promise<OverlapRunRow | null> {
  const [row] = await db
    .select()
    .from(overlapRuns)
    .where(
      sql`${overlapRuns.versionId} = ${versionId} and ${overlapRuns.againstVersionId} = ${againstId}
        and ${overlapRuns.status} in ('COMPLETE', 'PARTIAL') ${spaceId === null ? sql`` : sql`and ${overlapRuns.spaceId} = ${spaceId}`}`,
    )
    .orderBy(sql`${overlapRuns.computedAt} desc nulls last, ${overlapRuns.id} desc`)
    .limit(1);
  return row ?? null;
}

export async function findOverlapRunsByIds(db: Executor, ids: readonly number[]): Promise<OverlapRunRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(overlapRuns)
    .where(anyOf(overlapRuns.id, ids, 'bigint'));
}

export interface OverlapPair {
  sampleId: number;
  matchedSampleId: number;
  kind: 'EXACT' | 'NEAR';
  similarity: number;
}

/** Pairs of a run, most similar first (then by sample ids), a keyset page at a time. */
export async function listOverlapPairs(
  db: Executor,
  runId: number,
  page: PageRequest,
  kind: 'EXACT' | 'NEAR' | null,
): Promise<Page<OverlapPair>> {
  let after = sql``;
  if (page.after) {
    const [similarity, sampleId, matchedId] = page.after;
    if (typeof similarity !== 'number' || typeof sampleId !== 'number' || typeof matchedId !== 'number')
      throw invalidCursorError();
    after = sql`and (similarity, -sample_id, -matched_sample_id) < (${similarity}::float8, ${-sampleId}::bigint, ${-matchedId}::bigint)`;
  }
  const rows = rowsOf<{
    sample_id: string | number;
    matched_sample_id: string | number;
    kind: 'EXACT' | 'NEAR';
    similarity: number;
  }>(
    await db.execute(sql`
      select sample_id, matched_sample_id, kind, similarity from sample_overlaps
      where run_id = ${runId} ${kind ? sql`and kind = ${kind}` : sql``} ${after}
      order by similarity desc, sample_id, matched_sample_id limit ${page.first + 1}`),
  );
  const pairs = rows.map((r) => ({
    sampleId: Number(r.sample_id),
    matchedSampleId: Number(r.matched_sample_id),
    kind: r.kind,
    similarity: Number(r.similarity),
  }));
  return toPage(pairs, page.first, (p) =>
    encodeCursor(OVERLAP_PAIRS_CURSOR, [p.similarity, p.sampleId, p.matchedSampleId]),
  );
}
