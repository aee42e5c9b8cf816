/**
 * Per-point colour values of an embedding map, aligned with its points: a metric's per-sample
 * scores (NaN where a sample has none) or overlap membership (1 when the sample has a match in the
 * newest overlap run against a version, else 0). One query each, whatever the map's size.
 */
import { eq, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { sampleOverlaps, samples, sampleScores } from '../db/schema.js';
import { latestOverlapRun } from '../embeddings/overlaps.js';
import { BadInputError } from '../errors.js';
import { perSampleResults } from './sampleTable.js';

/** `ordinals` ascending (a projection's). */
export async function metricValuesAt(
  db: Executor,
  versionId: number,
  metric: string,
  ordinals: Uint32Array,
): Promise<Float32Array> {
  const result = (await perSampleResults(db, versionId, [metric], 'metric')).get(metric)!;
  const rows = await db
    .select({ ordinal: samples.ordinal, value: sampleScores.value })
    .from(sampleScores)
    .innerJoin(samples, eq(samples.id, sampleScores.sampleId))
    .where(eq(sampleScores.resultId, result.id));
  const byOrdinal = new Map(rows.map((r) => [r.ordinal, r.value]));
  return Float32Array.from(ordinals, (o) => byOrdinal.get(o) ?? Number.NaN);
}

export async function overlapValuesAt(
  db: Executor,
  versionId: number,
  againstId: number,
  spaceId: number,
  ordinals: Uint32Array,
): Promise<Float32Array> {
  const run = await latestOverlapRun(db, versionId, againstId, spaceId);
  if (!run) {
    throw new BadInputError(
      `version ${versionId} has no finished overlap run against version ${againstId} in this map's space: run Mutation.findOverlap first`,
      { argument: 'overlap' },
    );
  }
  const rows = await db
    .selectDistinct({ ordinal: samples.ordinal })
    .from(sampleOverlaps)
    .innerJoin(samples, eq(samples.id, sampleOverlaps.sampleId))
    .where(sql`${sampleOverlaps.runId} = ${run.id}`);
  const matched = new Set(rows.map((r) => r.ordinal));
  return Float32Array.from(ordinals, (o) => (matched.has(o) ? 1 : 0));
}
