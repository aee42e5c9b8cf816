/**
 * The questions users ask of stored results: how do these versions compare, which versions are
 * Pareto-optimal on two metrics, and what changed against a version's lineage parents. Results
 * that are not comparable (other parameters, definition version or estimator) are flagged, never
 * silently mixed.
 */
import { and, asc, eq, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { datasets, datasetVersions, readyVersion } from '../db/schema.js';
import { anyOf } from '../db/sqlHelpers.js';
import { BadInputError } from '../errors.js';
import { neighboursOfVersions, type InputRole } from '../catalog/lineage.js';
import { metricParamsHash, paramsHash, resolveParams } from '../metrics/params.js';
import { requireMetric } from '../metrics/registry.js';
import type { MetricDirection } from '../metrics/types.js';
import { incomparability, latestResultsOfVersions, type MetricResultView } from './results.js';

export const MAX_COMPARED_VERSIONS = 100;
export const MAX_PARETO_VERSIONS = 10_000;
export const EXTERNAL_PREFIX = 'external:';

/** Built-in keys are checked against the registry; `external:<scorer>` names pushed scores. */
function checkMetricKey(key: string): void {
  if (!key.startsWith(EXTERNAL_PREFIX)) requireMetric(key);
}

/** The params hash a metric's results must carry to match `params` (defaults filled in). */
function wantedHash(key: string, params: unknown): string {
  if (key.startsWith(EXTERNAL_PREFIX)) return paramsHash({});
  const metric = requireMetric(key);
  return metricParamsHash(metric, resolveParams(metric, params));
}

export interface ComparisonCell {
  metric: string;
  result: MetricResultView | null;
  /** False when this result cannot be compared with the row of the first version that has one. */
  comparable: boolean;
  note: string | null;
}

export interface VersionComparison {
  metrics: string[];
  rows: Array<{ versionId: number; cells: ComparisonCell[] }>;
  warnings: string[];
}

/**
 * A table of versions x metrics. Without `params`, each cell is the newest finished result of that
 * metric on that version; with `params` (shared names or per-metric objects, as in computeMetrics),
 * only results with exactly those parameters count. Each column is checked against its first
 * non-empty cell.
 */
export async function compareVersions(
  db: Executor,
  versionIds: readonly number[],
  metricKeys: readonly string[] | null | undefined,
  params: unknown,
): Promise<VersionComparison> {
  if (versionIds.length === 0)
    throw new BadInputError('versions must name at least one version', { argument: 'versions' });
  if (versionIds.length > MAX_COMPARED_VERSIONS) {
    throw new BadInputError(
      `at most ${MAX_COMPARED_VERSIONS} versions can be compared at once (got ${versionIds.length})`,
      {
        argument: 'versions',
      },
    );
  }
  metricKeys?.forEach(checkMetricKey);
  const latest = await latestResultsOfVersions(db, versionIds, { metrics: metricKeys });
  const keys = metricKeys?.length
    ? [...new Set(metricKeys)]
    : [...new Set([...latest.values()].flat().map((r) => r.metric))].sort();
  const hashes =
    params === undefined || params === null
      ? null
      : new Map(keys.map((k) => [k, wantedHash(k, paramsFor(k, params))]));

  const warnings: string[] = [];
  const columns = keys.map((key) => {
    const found = versionIds.map((versionId) => {
      const candidates = (latest.get(versionId) ?? []).filter((r) => r.metric === key);
      const wanted = hashes?.get(key);
      const result = (wanted ? candidates.find((r) => r.paramsHash === wanted) : candidates[0]) ?? null;
      return { result, otherParams: !result && candidates.length > 0 };
    });
    const reference = found.find((c) => c.result !== null)?.result ?? null;
    return found.map(({ result, otherParams }): ComparisonCell => {
      if (!result) {
        return {
          metric: key,
          result: null,
          comparable: false,
          note: otherParams ? 'computed only with other parameters' : 'no finished result',
        };
      }
      const why = reference && reference !== result ? incomparability(reference, result) : null;
      if (why)
        warnings.push(
          `${key}: version ${result.versionId} is not comparable with version ${reference!.versionId}: ${why}`,
        );
      return { metric: key, result, comparable: why === null, note: why ?? statusNote(result) };
    });
  });
  return {
    metrics: keys,
    rows: versionIds.map((versionId, i) => ({ versionId, cells: columns.map((column) => column[i]!) })),
    warnings,
  };
}

function paramsFor(key: string, params: unknown): unknown {
  const given = params as Record<string, unknown>;
  if (Object.hasOwn(given, key)) return given[key];
  if (key.startsWith(EXTERNAL_PREFIX)) return {};
  const metric = requireMetric(key);
  return Object.fromEntries(
    Object.entries(given).filter(([name]) => !name.includes('.') && Object.hasOwn(metric.params, name)),
  );
}

function statusNote(result: MetricResultView): string | null {
  if (result.status === 'COMPLETE') return null;
  return `${result.status}${result.statusReason ? `: ${result.statusReason}` : ''}`;
}

export interface AxisSelector {
  metric: string;
  params?: unknown;
  /** Overrides the definition's direction (required for NEUTRAL metrics); NEUTRAL itself is refused. */
  direction?: MetricDirection | null;
}

export interface ParetoScope {
  datasetSlugs?: readonly string[] | null;
  versionIds?: readonly number[] | null;
}

/** A COMPLETE result with its value: the only kind a Pareto point is placed by. */
export type ValuedResult = MetricResultView & { value: number };

const isValued = (result: MetricResultView | undefined): result is ValuedResult =>
  result !== undefined && result.status === 'COMPLETE' && result.value !== null;

export interface ParetoPoint {
  versionId: number;
  x: ValuedResult;
  y: ValuedResult;
  onFrontier: boolean;
}

export interface ParetoResult {
  points: ParetoPoint[];
  excluded: Array<{ versionId: number; reason: string }>;
  xDirection: MetricDirection;
  yDirection: MetricDirection;
}

/**
 * Versions in scope that have COMPLETE results for both metrics with exactly the given (or default)
 * parameters, and which of them no other version beats on both axes. Versions without such
 * results are listed as excluded with the reason, not silently dropped.
 */
export async function paretoFrontier(
  db: Executor,
  x: AxisSelector,
  y: AxisSelector,
  scope: ParetoScope = {},
): Promise<ParetoResult> {
  const xDirection = directionOf(x, 'x');
  const yDirection = directionOf(y, 'y');
  const versionIds = await versionsInScope(db, scope);
  const latest = await latestResultsOfVersions(db, versionIds, {
    metrics: [...new Set([x.metric, y.metric])],
  });
  const xHash = wantedHash(x.metric, x.params);
  const yHash = wantedHash(y.metric, y.params);

  const points: ParetoPoint[] = [];
  const excluded: ParetoResult['excluded'] = [];
  for (const versionId of versionIds) {
    const results = latest.get(versionId) ?? [];
    const xr = results.find((r) => r.metric === x.metric && r.paramsHash === xHash);
    const yr = results.find((r) => r.metric === y.metric && r.paramsHash === yHash);
    const missing = [
      [x.metric, xr, results.some((r) => r.metric === x.metric)],
      [y.metric, yr, results.some((r) => r.metric === y.metric)],
    ] as const;
    const reasons = missing.flatMap(([key, result, other]) =>
      !result
        ? [other ? `${key} was computed only with other parameters` : `no result for ${key}`]
        : result.status !== 'COMPLETE' || result.value === null
          ? [`${key} is ${result.status}${result.statusReason ? ` (${result.statusReason})` : ''}`]
          : [],
    );
    if (isValued(xr) && isValued(yr)) points.push({ versionId, x: xr, y: yr, onFrontier: false });
    else excluded.push({ versionId, reason: reasons.join('; ') });
  }
  markFrontier(points, xDirection === 'LOWER_IS_BETTER' ? -1 : 1, yDirection === 'LOWER_IS_BETTER' ? -1 : 1);
  return { points, excluded, xDirection, yDirection };
}

function directionOf(axis: AxisSelector, name: string): MetricDirection {
  checkMetricKey(axis.metric);
  if (axis.direction === 'NEUTRAL') {
    throw new BadInputError(`${name}.direction must be HIGHER_IS_BETTER or LOWER_IS_BETTER (got NEUTRAL)`, {
      argument: `${name}.direction`,
    });
  }
  if (axis.direction) return axis.direction;
  if (axis.metric.startsWith(EXTERNAL_PREFIX)) return 'HIGHER_IS_BETTER';
  const direction = requireMetric(axis.metric).direction;
  if (direction === 'NEUTRAL') {
    throw new BadInputError(
      `${axis.metric} has no better direction; pass ${name}.direction (HIGHER_IS_BETTER or LOWER_IS_BETTER)`,
      {
        argument: `${name}.direction`,
      },
    );
  }
  return direction;
}

/**
 * Marks the points no other point dominates (at least as good on both axes, better on one), after
 * turning both axes into "higher is better" with the signs. Sort-and-sweep, O(n log n).
 */
export function markFrontier(points: ParetoPoint[], xSign: number, ySign: number): void {
  const scored = points.map((p) => ({ p, x: xSign * p.x.value, y: ySign * p.y.value }));
  scored.sort((a, b) => b.x - a.x || b.y - a.y);
  let bestYOfBetterX = -Infinity;
  for (let i = 0; i < scored.length;) {
    let j = i;
    while (j < scored.length && scored[j]!.x === scored[i]!.x) j++;
    const groupMaxY = scored[i]!.y; // sorted by y descending within equal x
    for (let k = i; k < j; k++) {
      const point = scored[k]!;
      point.p.onFrontier = point.y === groupMaxY && point.y > bestYOfBetterX;
    }
    bestYOfBetterX = Math.max(bestYOfBetterX, groupMaxY);
    i = j;
  }
}

async function versionsInScope(db: Executor, scope: ParetoScope): Promise<number[]> {
  const conditions: SQL[] = [readyVersion];
  if (scope.datasetSlugs?.length) conditions.push(anyOf(datasets.slug, scope.datasetSlugs, 'text'));
  if (scope.versionIds?.length) conditions.push(anyOf(datasetVersions.id, scope.versionIds, 'bigint'));
  const rows = await db
    .select({ id: datasetVersions.id })
    .from(datasetVersions)
    .innerJoin(datasets, eq(datasets.id, datasetVersions.datasetId))
    .where(and(...conditions))
    .orderBy(asc(datasetVersions.id))
    .limit(MAX_PARETO_VERSIONS + 1);
  if (rows.length > MAX_PARETO_VERSIONS) {
    throw new BadInputError(
      `the scope holds more than ${MAX_PARETO_VERSIONS} versions; narrow it with datasets or versions`,
      {
        argument: 'scope',
      },
    );
  }
  return rows.map((r) => r.id);
}

export interface MetricDelta {
  metric: string;
  parentVersionId: number;
  role: InputRole;
  result: MetricResultView;
  parentResult: MetricResultView | null;
  /** value - parent value; null when either is missing or they are not comparable. */
  delta: number | null;
  relativeDelta: number | null;
  comparable: boolean;
  note: string | null;
}

/**
 * For each finished result of the version and each lineage parent (inputs of the run that produced
 * it), the parent's result of the same metric with the same parameters and the difference.
 */
export async function metricDeltas(
  db: Executor,
  versionId: number,
  metricKeys?: readonly string[] | null,
): Promise<MetricDelta[]> {
  metricKeys?.forEach(checkMetricKey);
  const parents = await neighboursOfVersions(db, [versionId], 'UPSTREAM');
  if (parents.length === 0) return [];
  const latest = await latestResultsOfVersions(db, [versionId, ...parents.map((p) => p.neighbourVersionId)], {
    metrics: metricKeys,
  });
  const own = (latest.get(versionId) ?? []).filter((r) => r.status !== 'FAILED');
  const deltas: MetricDelta[] = [];
  for (const result of own) {
    for (const parent of parents) {
      const parentResults = (latest.get(parent.neighbourVersionId) ?? []).filter(
        (r) => r.metric === result.metric,
      );
      const same = parentResults.find((r) => r.paramsHash === result.paramsHash) ?? null;
      const base = {
        metric: result.metric,
        parentVersionId: parent.neighbourVersionId,
        role: parent.role,
        result,
      };
      if (!same) {
        deltas.push({
          ...base,
          parentResult: parentResults[0] ?? null,
          delta: null,
          relativeDelta: null,
          comparable: false,
          note: parentResults.length
            ? `the parent has ${result.metric} only with other parameters (${incomparability(result, parentResults[0]!)})`
            : `the parent has no result for ${result.metric}; compute it there to see the change`,
        });
        continue;
      }
      const why = incomparability(result, same);
      const usable = !why && result.value !== null && same.value !== null;
      const delta = usable ? result.value! - same.value! : null;
      deltas.push({
        ...base,
        parentResult: same,
        delta,
        relativeDelta: delta !== null && same.value !== 0 ? delta / Math.abs(same.value!) : null,
        comparable: !why,
        note:
          why ??
          (result.status !== 'COMPLETE' || same.status !== 'COMPLETE'
            ? 'one of the two results is not COMPLETE'
            : null),
      });
    }
  }
  return deltas;
}

export interface DiffMetricDelta {
  metric: string;
  baseResult: MetricResultView | null;
  headResult: MetricResultView | null;
  /** head value - base value; null when either is missing or they are not comparable. */
  delta: number | null;
  relativeDelta: number | null;
  comparable: boolean;
  note: string | null;
}

/**
 * Per metric, the newest finished result of each of two versions and the change from base to
 * head, flagged like `compareVersions` (the head's result is checked against the base's).
 */
export async function diffMetricDeltas(
  db: Executor,
  baseVersionId: number,
  headVersionId: number,
  metricKeys?: readonly string[] | null,
): Promise<DiffMetricDelta[]> {
  const table = await compareVersions(db, [baseVersionId, headVersionId], metricKeys, null);
  const [base, head] = table.rows;
  return table.metrics.map((metric, i) => {
    const b = base!.cells[i]!;
    const h = head!.cells[i]!;
    const missing = !b.result ? 'base' : !h.result ? 'head' : null;
    const comparable = missing === null && h.comparable;
    const delta =
      comparable && b.result!.value !== null && h.result!.value !== null
        ? h.result!.value - b.result!.value
        : null;
    return {
      metric,
      baseResult: b.result,
      headResult: h.result,
      delta,
      relativeDelta: delta !== null && b.result!.value !== 0 ? delta / Math.abs(b.result!.value!) : null,
      comparable,
      note: missing ? `the ${missing} version: ${(missing === 'base' ? b : h).note}` : (h.note ?? b.note),
    };
  });
}
