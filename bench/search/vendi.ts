/**
 * Scaling of `diversity.vendi` in n: the accumulator (d x d sum of outer products, O(n d^2)) plus
 * finalize (eigenvalues of the d x d matrix, O(d^3), independent of n) over n clustered vectors,
 * streamed in batches of 1000 as the metric runner does. The vectors come from a pool of POOL
 * pre-generated vectors (already wrapped as metric samples) cycled through, so generation is not
 * timed and 1M vectors are never held in memory. Only update + finalize are timed, as wall time
 * and as the process's CPU time (which a busy shared machine inflates less: waiting for a core is
 * not counted). Every n runs once per round; rounds alternate the order of n so load drift is
 * spread over all n; the median per n is kept.
 */
import { performance } from 'node:perf_hooks';
import { vendiMetric } from '../../src/metrics/diversity/vendiScore.js';
import type { MetricSample } from '../../src/metrics/types.js';
import { vectorStream, type ClusterModel } from './vectors.js';

const BATCH = 1000;
const POOL = 20_000;

export interface VendiRun {
  ms: number;
  cpuMs: number;
  finalizeMs: number;
  value: number | null;
}

export interface VendiPoint {
  n: number;
  /** Medians over the rounds. */
  ms: number;
  cpuMs: number;
  finalizeMs: number;
  runs: VendiRun[];
}

export function vendiPool(model: ClusterModel, seed: number): MetricSample[][] {
  const next = vectorStream(model, seed);
  const batches: MetricSample[][] = [];
  for (let start = 0; start < POOL; start += BATCH) {
    batches.push(
      Array.from({ length: BATCH }, (_, i) => ({
        ordinal: start + i,
        contentHash: '',
        prompt: '',
        response: '',
        reference: null,
        embedding: next().vector,
      })),
    );
  }
  return batches;
}

export async function timeVendi(pool: MetricSample[][], n: number): Promise<VendiRun> {
  const accumulator = vendiMetric.create({ space: '' }, undefined, { sampleCount: n });
  const state = accumulator.init();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let b = 0; b * BATCH < n; b++) await accumulator.update(state, pool[b % pool.length]!, () => {});
  const finalizing = performance.now();
  const outcome = await accumulator.finalize(state);
  const ended = performance.now();
  const used = process.cpuUsage(cpu);
  return {
    ms: ended - started,
    cpuMs: (used.user + used.system) / 1000,
    finalizeMs: ended - finalizing,
    value: outcome.value,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** n = from, 2 from, ... up to max, `rounds` interleaved rounds; `log` hears every run. */
export async function vendiScaling(
  pool: MetricSample[][],
  from: number,
  max: number,
  rounds: number,
  log: (n: number, run: VendiRun) => void,
): Promise<VendiPoint[]> {
  const sizes: number[] = [];
  for (let n = from; n <= max; n *= 2) sizes.push(n);
  await timeVendi(pool, from); // warm-up (JIT)
  const runs = new Map<number, VendiRun[]>(sizes.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const n of r % 2 === 0 ? sizes : [...sizes].reverse()) {
      const run = await timeVendi(pool, n);
      runs.get(n)!.push(run);
      log(n, run);
    }
  }
  return sizes.map((n) => {
    const of = runs.get(n)!;
    return {
      n,
      ms: median(of.map((x) => x.ms)),
      cpuMs: median(of.map((x) => x.cpuMs)),
      finalizeMs: median(of.map((x) => x.finalizeMs)),
      runs: of,
    };
  });
}
