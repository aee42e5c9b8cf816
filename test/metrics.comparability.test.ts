/** When two stored results compare: Vendi's small-n rule (arXiv 2410.21719), beside the general rules. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { incomparability, VENDI_CONVERGED_N, type MetricResultView } from '../src/metricRuns/results.js';

function result(metric: string, n: number, overrides: Partial<MetricResultView> = {}): MetricResultView {
  return {
    id: 1,
    versionId: 1,
    metric,
    definitionId: 1,
    definitionVersion: 1,
    scorerId: null,
    params: { field: 'response' },
    paramsHash: 'h',
    status: 'COMPLETE',
    statusReason: null,
    value: 1.5,
    n,
    samplesDone: n,
    estimator: 'EXACT',
    seed: null,
    sampleSize: null,
    details: {},
    jobId: null,
    spaceId: 1,
    computedAt: new Date(0),
    createdAt: new Date(0),
    ...overrides,
  };
}

describe('incomparability', () => {
  it('Vendi at different n compares only when both n are at least 20,000', () => {
    assert.equal(VENDI_CONVERGED_N, 20_000);
    for (const metric of ['diversity.vendi', 'diversity.vendi_q']) {
      assert.match(
        incomparability(result(metric, 5_000), result(metric, 50_000)) ?? '',
        /^Vendi has not converged below 20,000 samples \(n = 5000 vs 50000; arXiv 2410\.21719\)/,
      );
      assert.match(incomparability(result(metric, 19_999), result(metric, 20_000)) ?? '', /not converged/);
      assert.equal(incomparability(result(metric, 20_000), result(metric, 90_000)), null);
      assert.equal(incomparability(result(metric, 300), result(metric, 300)), null, 'equal n compare');
    }
  });

  it('other metrics at different n still compare', () => {
    assert.equal(
      incomparability(result('diversity.distinct_n', 5), result('diversity.distinct_n', 90_000)),
      null,
    );
  });

  it('the general rules come first', () => {
    const a = result('diversity.vendi', 10);
    assert.match(
      incomparability(a, result('diversity.vendi', 10, { definitionVersion: 2 })) ?? '',
      /v1 vs v2/,
    );
    assert.match(
      incomparability(
        a,
        result('diversity.vendi', 99, { paramsHash: 'other', params: { field: 'prompt' } }),
      ) ?? '',
      /different parameters \(field: "response" vs "prompt"\)/,
    );
  });
});
