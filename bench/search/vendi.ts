/**
 * Scaling of `diversity.vendi` in n: the accumulator (d x d sum of outer products, O(n d^2)) plus
 * finalize (eigenvalues of the d x d matrix, O(d^3), independent of n) over n clustered vectors,
 * streamed in batches of 1000 as the metric runner does. The vectors come from a pool of POOL
 * pre-generated vectors (already wrapped as metric samples) cycled through, so generation is not
 * timed and 1M vectors are never held in memory. Only update + finalize are timed.
 */
import { performance } from 'node:perf_hooks';
import { vendiMetric } from '../../src/metrics/diversity/vendiScore.js';
import type { MetricSample } from '../../src/metrics/types.js';
import { vectorStream, type ClusterModel } from './vectors.js';

const BATCH = 1000;
const POOL = 20_000;

export interface VendiPoint {
  n: number;
  /** Median of the runs. */
  ms: number;
  runs: number[];
  value: number | null;
}

export function vendiPool(model: ClusterModel, seed: number): MetricSample[][] {
  const next = vectorStream(model, seed);
  const batches: MetricSample[][] = [];
  for (let start = 0; start < POOL; start += BATCH) {
    batches.push(
      Array.from({ length: BATCH }, (_, i) => ({ ordinal: start + i, contentHash: '', prompt: '', response: '', reference: null, embedding: next().vector })),
    );
  }
  return batches;
}

export async function timeVendi(pool: MetricSample[][], n: number): Promise<{ ms: number; value: number | null }> {
  const accumulator = vendiMetric.create({ space: '' }, undefined, { sampleCount: n });
  const state = accumulator.init();
  const started = performance.now();
  for (let b = 0; b * BATCH < n; b++) await accumulator.update(state, pool[b % pool.length]!, () => {});
  const outcome = await accumulator.finalize(state);
  return { ms: performance.now() - started, value: outcome.value };
}

/** n = from, 2 from, ... up to max; each n `repeat(n)` times, median kept. */
export async function vendiScaling(pool: MetricSample[][], from: number, max: number, repeat: (n: number) => number, log: (point: VendiPoint) => void): Promise<VendiPoint[]> {
  const points: VendiPoint[] = [];
  await timeVendi(pool, from); // warm-up (JIT)
  for (let n = from; n <= max; n *= 2) {
    const runs: number[] = [];
    let value: number | null = null;
    for (let r = 0; r < repeat(n); r++) {
      const run = await timeVendi(pool, n);
      runs.push(run.ms);
      value = run.value;
    }
    const sorted = [...runs].sort((a, b) => a - b);
    const point = { n, ms: sorted[Math.floor(sorted.length / 2)]!, runs, value };
    points.push(point);
    log(point);
  }
  return points;
}
