/** Batch lookups for the GraphQL loaders. */
import type { Executor } from '../db/connect.js';
import { metricDefinitions, scorers, type MetricDefinitionRow, type ScorerRow } from '../db/schema.js';
import { anyOf } from '../db/sqlHelpers.js';

export async function findDefinitionsByIds(
  db: Executor,
  ids: readonly number[],
): Promise<MetricDefinitionRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(metricDefinitions)
    .where(anyOf(metricDefinitions.id, ids, 'int'));
}

export async function findScorersByIds(db: Executor, ids: readonly number[]): Promise<ScorerRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(scorers)
    .where(anyOf(scorers.id, ids, 'int'));
}
