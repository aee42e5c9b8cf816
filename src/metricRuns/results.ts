/** Reading metric results: the latest per metric and parameters, and per-sample scores. */
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { bigintArray, rowsOf } from '../db/sqlHelpers.js';
import type { Estimator } from '../metrics/types.js';

export type MetricStatus = 'PENDING' | 'RUNNING' | 'PARTIAL' | 'COMPLETE' | 'FAILED';

/** A stored result with the names that identify what it measures. */
export interface MetricResultView {
  id: number;
  versionId: number;
  /** The definition key (e.g. `diversity.distinct_n`) or `external:<scorer name>` for pushed scores. */
  metric: string;
  definitionId: number | null;
  definitionVersion: number | null;
  scorerId: number | null;
  params: Record<string, unknown>;
  paramsHash: string;
  status: MetricStatus;
  statusReason: string | null;
  value: number | null;
  n: number | null;
  samplesDone: number;
  estimator: Estimator | null;
  seed: number | null;
  sampleSize: number | null;
  details: Record<string, unknown>;
  jobId: number | null;
  /** The embedding space an embedding metric read; null for text metrics. */
  spaceId: number | null;
  computedAt: Date | null;
  createdAt: Date;
}

interface ResultRowRaw {
  id: string | number;
  version_id: string | number;
  metric: string;
  definition_id: number | null;
  definition_version: number | null;
  scorer_id: number | null;
  params: Record<string, unknown>;
  params_hash: string;
  status: MetricStatus;
  status_reason: string | null;
  value: number | string | null;
  n: number | null;
  samples_done: number;
  estimator: Estimator | null;
  seed: number | null;
  sample_size: number | null;
  details: Record<string, unknown>;
  job_id: string | number | null;
  space_id: number | null;
  computed_at: string | Date | null;
  created_at: string | Date;
}

const RESULT_COLUMNS = sql`
  r.id, r.version_id, coalesce(d.key, 'external:' || sc.name) as metric, r.definition_id, d.version as definition_version,
  r.scorer_id, r.params, r.params_hash, r.status, r.status_reason, r.value, r.n, r.samples_done, r.estimator, r.seed,
  r.sample_size, r.details, r.job_id, r.space_id, r.computed_at, r.created_at`;

const RESULT_FROM = sql`
  metric_results r
  left join metric_definitions d on d.id = r.definition_id
  left join scorers sc on sc.id = r.scorer_id`;

function toView(row: ResultRowRaw): MetricResultView {
  return {
    id: Number(row.id),
    versionId: Number(row.version_id),
    metric: row.metric,
    definitionId: row.definition_id,
    definitionVersion: row.definition_version,
    scorerId: row.scorer_id,
    params: row.params,
    paramsHash: row.params_hash,
    status: row.status,
    statusReason: row.status_reason,
    value: row.value === null ? null : Number(row.value),
    n: row.n,
    samplesDone: row.samples_done,
    estimator: row.estimator,
    seed: row.seed,
    sampleSize: row.sample_size,
    details: row.details,
    jobId: row.job_id === null ? null : Number(row.job_id),
    spaceId: row.space_id,
    computedAt: row.computed_at === null ? null : new Date(row.computed_at),
    createdAt: new Date(row.created_at),
  };
}

export async function findResultsByIds(db: Executor, ids: readonly number[]): Promise<MetricResultView[]> {
  if (ids.length === 0) return [];
  const rows = rowsOf<ResultRowRaw>(
    await db.execute(sql`select ${RESULT_COLUMNS} from ${RESULT_FROM} where r.id = any(${bigintArray(ids)})`),
  );
  return rows.map(toView);
}

/** Every result a job wrote, oldest first. */
export async function findResultsOfJobs(
  db: Executor,
  jobIds: readonly number[],
): Promise<MetricResultView[]> {
  if (jobIds.length === 0) return [];
  const rows = rowsOf<ResultRowRaw>(
    await db.execute(
      sql`select ${RESULT_COLUMNS} from ${RESULT_FROM} where r.job_id = any(${bigintArray(jobIds)}) order by r.id`,
    ),
  );
  return rows.map(toView);
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
    ? sql`and coalesce(d.key, 'external:' || sc.name) = any(${sql.param([...filter.metrics])}::text[])`
    : sql``;
  const statusFilter = filter.succeededOnly
    ? sql`and r.status in ('COMPLETE', 'PARTIAL')`
    : filter.finishedOnly === false
      ? sql``
      : sql`and r.status in ('COMPLETE', 'PARTIAL', 'FAILED')`;
  const rows = rowsOf<ResultRowRaw>(
    await db.execute(sql`
      select * from (
        select distinct on (r.version_id, coalesce(d.key, 'external:' || sc.name || '/' || sc.model || '/' || sc.version), r.params_hash)
          ${RESULT_COLUMNS}
        from ${RESULT_FROM}
        where r.version_id = any(${bigintArray(versionIds)}) ${metricFilter} ${statusFilter}
        order by r.version_id, coalesce(d.key, 'external:' || sc.name || '/' || sc.model || '/' || sc.version), r.params_hash,
          r.computed_at desc nulls last, r.id desc
      ) latest
      order by version_id, metric, computed_at desc nulls last, id desc`),
  );
  for (const row of rows.map(toView)) byVersion.get(row.versionId)?.push(row);
  return byVersion;
}

export interface SampleScoreView {
  sampleId: number;
  ordinal: number;
  value: number;
  details: Record<string, unknown> | null;
}

/** Per-sample values of one result in ordinal order, keyset-paged by ordinal. */
export async function sampleScoresOfResult(
  db: Executor,
  resultId: number,
  afterOrdinal: number,
  limit: number,
): Promise<SampleScoreView[]> {
  const rows = rowsOf<{
    sample_id: string | number;
    ordinal: number;
    value: number | string;
    details: Record<string, unknown> | null;
  }>(
    await db.execute(sql`
      select ss.sample_id, s.ordinal, ss.value, ss.details
      from sample_scores ss join samples s on s.id = ss.sample_id
      where ss.result_id = ${resultId} and s.ordinal > ${afterOrdinal}
      order by s.ordinal limit ${limit}`),
  );
  return rows.map((r) => ({
    sampleId: Number(r.sample_id),
    ordinal: r.ordinal,
    value: Number(r.value),
    details: r.details,
  }));
}

/** Which of these results stored per-sample values (some metrics keep only the aggregate). */
export async function resultsWithSampleScores(
  db: Executor,
  resultIds: readonly number[],
): Promise<Set<number>> {
  if (resultIds.length === 0) return new Set();
  const rows = rowsOf<{ result_id: string | number }>(
    await db.execute(sql`
      select r.id as result_id from unnest(${bigintArray(resultIds)}) as r(id)
       where exists (select 1 from sample_scores s where s.result_id = r.id)`),
  );
  return new Set(rows.map((r) => Number(r.result_id)));
}

/** The values of several results for a set of samples, keyed `resultId:sampleId`. */
export async function scoresOfSamples(
  db: Executor,
  resultIds: readonly number[],
  sampleIds: readonly number[],
): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  if (resultIds.length === 0 || sampleIds.length === 0) return found;
  const rows = rowsOf<{ result_id: string | number; sample_id: string | number; value: number | string }>(
    await db.execute(sql`
      select result_id, sample_id, value from sample_scores
       where result_id = any(${bigintArray(resultIds)}) and sample_id = any(${bigintArray(sampleIds)})`),
  );
  for (const row of rows) found.set(`${Number(row.result_id)}:${Number(row.sample_id)}`, Number(row.value));
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
  return null;
}

function describeParamDiff(a: Record<string, unknown>, b: Record<string, unknown>): string {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return names
    .filter((name) => JSON.stringify(a[name]) !== JSON.stringify(b[name]))
    .map((name) => `${name}: ${JSON.stringify(a[name])} vs ${JSON.stringify(b[name])}`)
    .join(', ');
}
