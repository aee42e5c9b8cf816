/** Batch lookups for the GraphQL loaders. */
import { inArray, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { metricDefinitions, scorers, type MetricDefinitionRow, type ScorerRow } from '../db/schema.js';
import { bigintArray, rowsOf } from '../db/sqlHelpers.js';
import { findResultsByIds, type MetricResultView } from './results.js';

export async function findDefinitionsByIds(db: Executor, ids: readonly number[]): Promise<MetricDefinitionRow[]> {
  if (ids.length === 0) return [];
  return db.select().from(metricDefinitions).where(inArray(metricDefinitions.id, [...ids]));
}

export async function findScorersByIds(db: Executor, ids: readonly number[]): Promise<ScorerRow[]> {
  if (ids.length === 0) return [];
  return db.select().from(scorers).where(inArray(scorers.id, [...ids]));
}

export async function findResultsOfJobs(db: Executor, jobIds: readonly number[]): Promise<MetricResultView[]> {
  if (jobIds.length === 0) return [];
  const rows = rowsOf<{ id: string | number }>(
    await db.execute(sql`select id from metric_results where job_id = any(${bigintArray(jobIds)}) order by id`),
  );
  return findResultsByIds(db, rows.map((r) => Number(r.id)));
}
