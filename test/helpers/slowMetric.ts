/**
 * A metric for tests only, registered through the real registry on import (in the test's process,
 * and in metric threads that import this module through `MetricThreadOptions.modules`): the
 * response length of each sample, except that a response containing PATHOLOGICAL makes `update`
 * spin for ten minutes, the way a pathological input stalls a real metric. Before it spins it
 * writes the sample's ordinal to the file its `marker` parameter names, so a test knows when.
 * A second one spins the same way in its prepass (which counts the samples), and its values are
 * each response's length divided by that count. A third never finishes its `finalize` (writing
 * the marker first), the way a pairwise pass over a pathological subset would.
 */
import { writeFileSync } from 'node:fs';
import { registerMetric } from '../../src/metrics/registry.js';
import type { MetricDefinition, Prepass } from '../../src/metrics/types.js';

export const SLOW_METRIC_KEY = 'quality.test_slow_length';
export const SLOW_PREPASS_METRIC_KEY = 'quality.test_slow_prepass';
export const SLOW_FINALIZE_METRIC_KEY = 'quality.test_slow_finalize';
export const SLOW_METRIC_MODULE = import.meta.url;
export const PATHOLOGICAL = 'PATHOLOGICAL';

interface State {
  sum: number;
  n: number;
}

export const slowLengthMetric: MetricDefinition<{ marker: string }, State> = {
  key: SLOW_METRIC_KEY,
  axis: 'QUALITY',
  version: 1,
  direction: 'NEUTRAL',
  description: 'Test only: response length in characters; a response with PATHOLOGICAL never finishes.',
  citation: 'test/helpers/slowMetric.ts',
  params: {
    marker: { type: 'string', default: '', description: 'File written when the slow sample starts.' },
  },
  sampleValue: 'Characters of the response.',
  exactMerge: true,
  create: (params) => ({
    init: () => ({ sum: 0, n: 0 }),
    update(state, batch, emit) {
      for (const sample of batch) {
        spinOn(sample, params.marker);
        state.sum += sample.response.length;
        state.n += 1;
        emit({ ordinal: sample.ordinal, value: sample.response.length });
      }
    },
    merge: (left, right) => ({ sum: left.sum + right.sum, n: left.n + right.n }),
    finalize: (state) => ({
      value: state.n === 0 ? null : state.sum / state.n,
      n: state.n,
      estimator: 'EXACT',
      details: {},
    }),
  }),
};

function spinOn(sample: { ordinal: number; response: string }, marker: string): void {
  if (!sample.response.includes(PATHOLOGICAL)) return;
  if (marker !== '') writeFileSync(marker, String(sample.ordinal));
  const until = Date.now() + 600_000;
  while (Date.now() < until);
}

function countingPrepass(marker: string): Prepass<{ n: number }, number> {
  return {
    init: () => ({ n: 0 }),
    update(state, batch) {
      for (const sample of batch) {
        spinOn(sample, marker);
        state.n += 1;
      }
    },
    merge: (left, right) => ({ n: left.n + right.n }),
    result: (state) => state.n,
  };
}

export const slowPrepassMetric: MetricDefinition<{ marker: string }, State, number> = {
  ...(slowLengthMetric as unknown as MetricDefinition<{ marker: string }, State, number>),
  key: SLOW_PREPASS_METRIC_KEY,
  description: 'Test only: response length over the sample count; PATHOLOGICAL never finishes the prepass.',
  sampleValue: 'Characters of the response over the samples counted in the prepass.',
  prepass: (params) => countingPrepass(params.marker) as Prepass<unknown, number>,
  create: (_params, counted) => ({
    init: () => ({ sum: 0, n: 0 }),
    update(state, batch, emit) {
      for (const sample of batch) {
        const value = sample.response.length / counted!;
        state.sum += value;
        state.n += 1;
        emit({ ordinal: sample.ordinal, value });
      }
    },
    merge: (left, right) => ({ sum: left.sum + right.sum, n: left.n + right.n }),
    finalize: (state) => ({
      value: state.n === 0 ? null : state.sum / state.n,
      n: state.n,
      estimator: 'EXACT',
      details: {},
    }),
  }),
};

export const slowFinalizeMetric: MetricDefinition<{ marker: string }, State> = {
  ...slowLengthMetric,
  key: SLOW_FINALIZE_METRIC_KEY,
  description: 'Test only: response length in characters; its finalize never finishes.',
  create: (params) => ({
    init: () => ({ sum: 0, n: 0 }),
    update(state, batch, emit) {
      for (const sample of batch) {
        state.sum += sample.response.length;
        state.n += 1;
        emit({ ordinal: sample.ordinal, value: sample.response.length });
      }
    },
    merge: (left, right) => ({ sum: left.sum + right.sum, n: left.n + right.n }),
    finalize: () => {
      if (params.marker !== '') writeFileSync(params.marker, 'finalize');
      const until = Date.now() + 600_000;
      while (Date.now() < until);
      throw new Error('unreachable');
    },
  }),
};

registerMetric(slowLengthMetric as unknown as MetricDefinition);
registerMetric(slowFinalizeMetric as unknown as MetricDefinition);
registerMetric(slowPrepassMetric as unknown as MetricDefinition);
