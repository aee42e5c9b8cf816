/** Reading overlap runs and their sample pairs (the write side is overlapJob.ts). */
import { and, asc, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import type { OverlapRunRow } from '../db/schema.js';
import { overlapRuns, sampleOverlaps } from '../db/schema.js';
import { anyOf } from '../db/sqlHelpers.js';
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
  const { sampleId, matchedSampleId, similarity } = sampleOverlaps;
  let after: SQL | undefined;
  if (page.after) {
    const [afterSimilarity, afterSampleId, matchedId] = page.after;
    if (
      typeof afterSimilarity !== 'number' ||
      typeof afterSampleId !== 'number' ||
      typeof matchedId !== 'number'
    )
      throw invalidCursorError();
    after = sql`(${similarity}, -${sampleId}, -${matchedSampleId}) < (${afterSimilarity}::float8, ${-afterSampleId}::bigint, ${-matchedId}::bigint)`;
  }
  const pairs = await db
    .select({ sampleId, matchedSampleId, kind: sampleOverlaps.kind, similarity })
    .from(sampleOverlaps)
    .where(and(eq(sampleOverlaps.runId, runId), kind ? eq(sampleOverlaps.kind, kind) : undefined, after))
    .orderBy(desc(similarity), asc(sampleId), asc(matchedSampleId))
    .limit(page.first + 1);
  return toPage(pairs, page.first, (p) =>
    encodeCursor(OVERLAP_PAIRS_CURSOR, [p.similarity, p.sampleId, p.matchedSampleId]),
  );
}
