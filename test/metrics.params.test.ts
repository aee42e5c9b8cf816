/** Metric parameters: names are looked up as own keys only (security review F14). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadInputError } from '../src/errors.js';
import { resolveMetricRuns } from '../src/metricRuns/metricRequests.js';
import { resolveParams } from '../src/metrics/params.js';
import { requireMetric } from '../src/metrics/registry.js';

/** Names every plain object answers to through its prototype. */
const INHERITED = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];

describe('metric parameter names', () => {
  const distinct = requireMetric('diversity.distinct_n');

  it('resolveParams refuses names a metric only inherits from Object.prototype', () => {
    for (const name of INHERITED) {
      // JSON.parse makes "__proto__" an own key, as a GraphQL JSON argument does.
      const given = JSON.parse(`{${JSON.stringify(name)}: 1}`) as Record<string, unknown>;
      assert.throws(
        () => resolveParams(distinct, given),
        (e: unknown) =>
          e instanceof BadInputError &&
          e.message === `diversity.distinct_n has no parameter "${name}"; its parameters are field, n`,
        name,
      );
    }
  });

  it('resolveMetricRuns refuses them as shared names and inside a metric entry', () => {
    for (const name of INHERITED) {
      const shared = JSON.parse(`{${JSON.stringify(name)}: 1}`) as unknown;
      assert.throws(
        () => resolveMetricRuns(['diversity.distinct_n'], shared),
        (e: unknown) =>
          e instanceof BadInputError && e.message === `no requested metric has a parameter "${name}"`,
        name,
      );
      const nested = JSON.parse(`{"diversity.distinct_n": {${JSON.stringify(name)}: 1}}`) as unknown;
      assert.throws(
        () => resolveMetricRuns(['diversity.distinct_n'], nested),
        (e: unknown) => e instanceof BadInputError && /has no parameter/.test(e.message),
        name,
      );
    }
  });

  it('still resolves real parameters and defaults', () => {
    const [run] = resolveMetricRuns(['diversity.distinct_n'], { n: 2 });
    assert.deepEqual(run!.params, { field: 'response', n: 2 });
  });
});
