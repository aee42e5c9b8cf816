/** Reading metric results: the latest per metric and parameters, and per-sample scores. */
import { and, asc, desc, eq, exists, getTableColumns, gt, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import {
  metricDefinitions,
  metricResults,
  samples,
  sampleScores,
  scorers,
  type MetricResultRow,
  type SampleRow,
  type SampleScoreRow,
} from '../db/schema.js';
import { anyOf } from '../db/sqlHelpers.js';

export type MetricStatus = MetricResultRow['status'];

/** A stored result with the names that identify what it measures. */
export type MetricResultView = MetricResultRow & {
  /** The definition key (e.g. `diversity.distinct_n`) or `external:<scorer name>` for pushed scores. */
  metric: string;
  definitionVersion: number | null;
};

const metricKey = sql<string>`coalesce(${metricDefinitions.key}, 'external:' || ${scorers.name})`;

const { id, versionId, definitionId, ...resultColumns } = getTableColumns(metricResults);
const resultFields = {
  id,
  versionId,
  metric: metricKey,
  definitionId,
  definitionVersion: metricDefinitions.version,
  ...resultColumns,
};

/** Results with their metric names: the definition's key, or the scorer's. */
function selectResults(db: Executor) {
  return db
    .select(resultFields)
    .from(metricResults)
    .leftJoin(metricDefinitions, eq(metricDefinitions.id, metricResults.definitionId))
    .leftJoin(scorers, eq(scorers.id, metricResults.scorerId));
}

export async function findResultsByIds(db: Executor, ids: readonly number[]): Promise<MetricResultView[]> {
  if (ids.length === 0) return [];
  return selectResults(db).where(anyOf(metricResults.id, ids, 'bigint'));
}

/** Every result a job wrote, oldest first. */
export async function findResultsOfJobs(
  db: Executor,
  jobIds: readonly number[],
): Promise<MetricResultView[]> {
  if (jobIds.length === 0) return [];
  return selectResults(db)
    .where(anyOf(metricResults.jobId, jobIds, 'bigint'))
    .orderBy(asc(metricResults.id));
}

export interface LatestResultsFilter {
  /** Only these metric keys (`external:<name>` for pushed scores). */
  metrics?: readonly string[] | null;
  /** Only results that finished (COMPLETE, PARTIAL, FAILED); default true. */
  finishedOnly?: boolean;
  /** Only COMPLETE and PARTIAL results, so that a failed run never hides an older good one. */
  succeededOnly?: boolean;
}

/**
 * For each version, the newest result of every (metric, parameters) pair, ordered by metric key.
 * Two runs of one metric with different parameters are two entries, never mixed.
 */
export async function latestResultsOfVersions(
  db: Executor,
  versionIds: readonly number[],
  filter: LatestResultsFilter = {},
): Promise<Map<number, MetricResultView[]>> {
  const byVersion = new Map<number, MetricResultView[]>(versionIds.map((id) => [id, []]));
  if (versionIds.length === 0) return byVersion;
  const metricFilter = filter.metrics?.length
    ? sql`${metricKey} = any(${sql.param([...filter.metrics])}::text[])`
    : undefined;
  const statusFilter = filter.succeededOnly
    ? inArray(metricResults.status, ['COMPLETE', 'PARTIAL'])
    : filter.finishedOnly === false
      ? undefined
      : inArray(metricResults.status, ['COMPLETE', 'PARTIAL', 'FAILED']);
  // One (metric, parameters) pair: external scores of one scorer name but another model or
  // version are other pairs.
  const pairKey = sql`coalesce(${metricDefinitions.key}, 'external:' || ${scorers.name} || '/' || ${scorers.model} || '/' || ${scorers.version})`;
  const latest = db
    .selectDistinctOn([metricResults.versionId, pairKey, metricResults.paramsHash], {
      ...resultFields,
      metric: metricKey.as('metric'),
    })
    .from(metricResults)
    .leftJoin(metricDefinitions, eq(metricDefinitions.id, metricResults.definitionId))
    .leftJoin(scorers, eq(scorers.id, metricResults.scorerId))
    .where(and(anyOf(metricResults.versionId, versionIds, 'bigint'), metricFilter, statusFilter))
    .orderBy(
      metricResults.versionId,
      pairKey,
      metricResults.paramsHash,
      sql`${metricResults.computedAt} desc nulls last`,
      desc(metricResults.id),
    )
    .as('latest');
  const rows = await db
    .select()
    .from(latest)
    .orderBy(latest.versionId, latest.metric, sql`${latest.computedAt} desc nulls last`, desc(latest.id));
  for (const row of rows) byVersion.get(row.versionId)?.push(row);
  return byVersion;
}

export type SampleScoreView = Pick<SampleScoreRow, 'sampleId' | 'value' | 'details'> &
  Pick<SampleRow, 'ordinal'>;

/** Per-sample values of one result in ordinal order, keyset-paged by ordinal. */
export async function sampleScoresOfResult(
  db: Executor,
  resultId: number,
  afterOrdinal: number,
  limit: number,
): Promise<SampleScoreView[]> {
  return db
    .select({
      sampleId: sampleScores.sampleId,
      ordinal: samples.ordinal,
      value: sampleScores.value,
      details: sampleScores.details,
    })
    .from(sampleScores)
    .innerJoin(samples, eq(samples.id, sampleScores.sampleId))
    .where(and(eq(sampleScores.resultId, resultId), gt(samples.ordinal, afterOrdinal)))
    .orderBy(asc(samples.ordinal))
    .limit(limit);
}

/** Which of these results stored per-sample values (some metrics keep only the aggregate). */
export async function resultsWithSampleScores(
  db: Executor,
  resultIds: readonly number[],
): Promise<Set<number>> {
  if (resultIds.length === 0) return new Set();
  const rows = await db
    .select({ id: metricResults.id })
    .from(metricResults)
    .where(
      and(
        anyOf(metricResults.id, resultIds, 'bigint'),
        exists(
          db
            .select({ one: sql`1` })
            .from(sampleScores)
            .where(eq(sampleScores.resultId, metricResults.id)),
        ),
      ),
    );
  return new Set(rows.map((r) => r.id));
}

/** The values of several results for a set of samples, keyed `resultId:sampleId`. */
export async function scoresOfSamples(
  db: Executor,
  resultIds: readonly number[],
  sampleIds: readonly number[],
): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  if (resultIds.length === 0 || sampleIds.length === 0) return found;
  const rows = await db
    .select({ resultId: sampleScores.resultId, sampleId: sampleScores.sampleId, value: sampleScores.value })
    .from(sampleScores)
    .where(
      and(
        anyOf(sampleScores.resultId, resultIds, 'bigint'),
        anyOf(sampleScores.sampleId, sampleIds, 'bigint'),
      ),
    );
  for (const row of rows) found.set(`${row.resultId}:${row.sampleId}`, row.value);
  return found;
}

/** Why two results of one metric cannot be compared, or null when they can. */
export function incomparability(a: MetricResultView, b: MetricResultView): string | null {
  if (a.metric !== b.metric) return `different metrics (${a.metric} vs ${b.metric})`;
  if (a.definitionVersion !== b.definitionVersion) {
    return `different definition versions (v${a.definitionVersion} vs v${b.definitionVersion})`;
  }
  if (a.paramsHash !== b.paramsHash) return `different parameters (${describeParamDiff(a.params, b.params)})`;
  if (a.estimator !== b.estimator) return `different estimators (${a.estimator} vs ${b.estimator})`;
  if (a.estimator === 'SAMPLED' && a.sampleSize !== b.sampleSize) {
    return `different sample sizes (${a.sampleSize} vs ${b.sampleSize})`;
  }
  if (VENDI_KEYS.has(a.metric) && a.n !== b.n && Math.min(a.n ?? 0, b.n ?? 0) < VENDI_CONVERGED_N) {
    return (
      `Vendi has not converged below ${VENDI_CONVERGED_N.toLocaleString('en-US')} samples ` +
      `(n = ${a.n} vs ${b.n}; arXiv 2410.21719): it keeps growing with n, so only equal n compare`
    );
  }
  return null;
}

/**
 * Vendi scores keep growing with the number of samples until about 20k (Ospanov et al. 2024,
 * arXiv 2410.21719), so two values at different n compare only when both are past that.
 */
const VENDI_KEYS = new Set(['diversity.vendi', 'diversity.vendi_q']);
export const VENDI_CONVERGED_N = 20_000;

function describeParamDiff(a: Record<string, unknown>, b: Record<string, unknown>): string {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return names
    .filter((name) => JSON.stringify(a[name]) !== JSON.stringify(b[name]))
    .map((name) => `${name}: ${JSON.stringify(a[name])} vs ${JSON.stringify(b[name])}`)
    .join(', ');
}
