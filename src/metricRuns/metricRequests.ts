/** Turning "compute these metrics with these params" into validated, resolved metric runs. */
import { BadInputError } from '../errors.js';
import { metricParamsHash, resolveParams } from '../metrics/params.js';
import { METRICS, requireMetric } from '../metrics/registry.js';
import type { MetricDefinition, ResolvedParams } from '../metrics/types.js';

export interface ResolvedMetricRun {
  metric: MetricDefinition;
  params: ResolvedParams;
  paramsHash: string;
}

/**
 * `keys`: metric keys (empty or absent: every built-in metric that can run, see defaultMetrics). `params`: a JSON object whose
 * entries are either a metric key with that metric's parameters, or a parameter name applied to
 * every requested metric that has it, e.g. `{"field": "prompt", "diversity.distinct_n": {"n": 1}}`.
 * Per-metric entries win over shared ones.
 */
export function resolveMetricRuns(
  keys: readonly string[] | null | undefined,
  params: unknown,
  options: { embeddingsAvailable?: boolean } = {},
): ResolvedMetricRun[] {
  const metrics =
    keys && keys.length > 0
      ? unique(keys).map(requireMetric)
      : defaultMetrics(options.embeddingsAvailable ?? false);
  if (params !== undefined && params !== null && (typeof params !== 'object' || Array.isArray(params))) {
    throw new BadInputError('params must be a JSON object of metric keys and/or shared parameter names', {
      field: 'params',
    });
  }
  const given = (params ?? {}) as Record<string, unknown>;
  const shared: Record<string, unknown> = {};
  const perMetric = new Map<string, unknown>();
  for (const [name, value] of Object.entries(given)) {
    if (name.includes('.')) {
      const metric = requireMetric(name);
      if (!metrics.includes(metric)) {
        throw new BadInputError(`params names ${name}, which is not among the requested metrics`, {
          field: 'params',
          metric: name,
        });
      }
      perMetric.set(name, value);
    } else {
      if (!metrics.some((m) => Object.hasOwn(m.params, name))) {
        throw new BadInputError(`no requested metric has a parameter "${name}"`, {
          field: 'params',
          param: name,
        });
      }
      shared[name] = value;
    }
  }
  return metrics.map((metric) => {
    const own = perMetric.get(metric.key);
    if (own !== undefined && (own === null || typeof own !== 'object' || Array.isArray(own))) {
      throw new BadInputError(`params.${metric.key} must be a JSON object`, {
        field: 'params',
        metric: metric.key,
      });
    }
    const mine = Object.fromEntries(
      Object.entries(shared).filter(([name]) => Object.hasOwn(metric.params, name)),
    );
    const resolved = resolveParams(metric, { ...mine, ...(own as Record<string, unknown> | undefined) });
    return { metric, params: resolved, paramsHash: metricParamsHash(metric, resolved) };
  });
}

/**
 * "Every metric": the text metrics (not the judge metrics, which need an endpoint), plus the embedding metrics when the version is embedded in the
 * default space, except those that need an argument no default can give (diversity_gain's base).
 * Metrics that run a causal language model are only computed when asked for by key.
 */
export function defaultMetrics(embeddingsAvailable: boolean): MetricDefinition[] {
  return METRICS.filter((metric) => {
    if (metric.input === 'languageModel') return false;
    if (metric.input === 'judge') return false;
    if (metric.input !== 'embedding') return true;
    return embeddingsAvailable && !Object.values(metric.params).some((spec) => spec.type === 'version');
  });
}

function unique(keys: readonly string[]): string[] {
  return [...new Set(keys)];
}
