/** Checking user-supplied metric parameters against a metric's schema and filling in defaults. */
import { createHash } from 'node:crypto';
import { BadInputError } from '../errors.js';
import type { MetricDefinition, ParamSpec, ResolvedParams } from './types.js';

/**
 * Returns every parameter of the schema, each either as given or its default. Unknown names,
 * wrong types and out-of-range values are refused with the parameter, the allowed range and the
 * metric named in the message.
 */
export function resolveParams<P = ResolvedParams>(metric: MetricDefinition<P>, given: unknown): P {
  if (given !== undefined && given !== null && (typeof given !== 'object' || Array.isArray(given))) {
    throw new BadInputError(`params of ${metric.key} must be a JSON object`, { metric: metric.key });
  }
  const raw = (given ?? {}) as Record<string, unknown>;
  const known = Object.keys(metric.params);
  for (const name of Object.keys(raw)) {
    if (!Object.hasOwn(metric.params, name)) {
      throw new BadInputError(
        known.length === 0
          ? `${metric.key} takes no parameters (got "${name}")`
          : `${metric.key} has no parameter "${name}"; its parameters are ${known.join(', ')}`,
        { metric: metric.key, param: name, allowed: known },
      );
    }
  }
  const resolved: ResolvedParams = {};
  for (const [name, spec] of Object.entries(metric.params)) {
    if (Object.hasOwn(raw, name) && raw[name] !== null)
      resolved[name] = checkValue(metric.key, name, spec, raw[name]);
    else if (spec.type === 'version' || (spec.type === 'string' && spec.default === undefined)) {
      throw new BadInputError(`${metric.key} needs the parameter "${name}": ${spec.description}`, {
        metric: metric.key,
        param: name,
      });
    } else resolved[name] = spec.default!;
  }
  return resolved as P;
}

function checkValue(metricKey: string, name: string, spec: ParamSpec, value: unknown): number | string {
  const where = `${metricKey} parameter "${name}"`;
  if (spec.type === 'space') {
    if (typeof value !== 'string') {
      throw new BadInputError(
        `${where} must be an embedding space name such as Xenova/all-MiniLM-L6-v2@main:q8 (got ${JSON.stringify(value)})`,
        {
          metric: metricKey,
          param: name,
        },
      );
    }
    return value.trim();
  }
  if (spec.type === 'languageModel') {
    if (typeof value !== 'string') {
      throw new BadInputError(
        `${where} must be a causal language model name such as Xenova/gpt2@main:fp32 (got ${JSON.stringify(value)})`,
        { metric: metricKey, param: name },
      );
    }
    return value.trim();
  }
  if (spec.type === 'string') {
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new BadInputError(`${where} must be a string (got ${JSON.stringify(value)})`, {
        metric: metricKey,
        param: name,
      });
    }
    const text = String(value).trim();
    if (text.length > 2000) {
      throw new BadInputError(`${where} is longer than 2000 characters`, { metric: metricKey, param: name });
    }
    return text;
  }
  if (spec.type === 'version') {
    const ok =
      (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) ||
      (typeof value === 'string' && value.trim() !== '');
    if (!ok) {
      throw new BadInputError(`${where} must be a version id (got ${JSON.stringify(value)})`, {
        metric: metricKey,
        param: name,
      });
    }
    return typeof value === 'string' ? value.trim() : value;
  }
  if (spec.type === 'enum') {
    if (typeof value !== 'string' || !spec.values.includes(value)) {
      throw new BadInputError(
        `${where} must be one of ${spec.values.join(', ')} (got ${JSON.stringify(value)})`,
        {
          metric: metricKey,
          param: name,
          allowed: spec.values,
        },
      );
    }
    return value;
  }
  const range = `${spec.type === 'int' ? 'an integer' : 'a number'} from ${spec.min} to ${spec.max}`;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (spec.type === 'number' || Number.isInteger(value)) &&
    value >= spec.min &&
    value <= spec.max;
  if (!ok) {
    throw new BadInputError(`${where} must be ${range} (got ${JSON.stringify(value)})`, {
      metric: metricKey,
      param: name,
      min: spec.min,
      max: spec.max,
    });
  }
  return value as number;
}

/** Canonical JSON of resolved params (keys sorted), the identity of "the same parameters". */
export function canonicalParamsJson(params: ResolvedParams): string {
  return JSON.stringify(
    Object.fromEntries(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  );
}

/**
 * The hash of the parameters that say what a metric measures: operational ones (concurrency,
 * retries, where the API key is read from) are left out, so runs differing only in them compare.
 */
export function metricParamsHash(metric: Pick<MetricDefinition, 'params'>, params: ResolvedParams): string {
  const identity = Object.fromEntries(
    Object.entries(params).filter(([name]) => !metric.params[name]?.operational),
  );
  return paramsHash(identity);
}

export function paramsHash(params: ResolvedParams): string {
  return createHash('sha256').update(canonicalParamsJson(params)).digest('hex');
}
