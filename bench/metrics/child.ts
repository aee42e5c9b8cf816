/**
 * One measurement in its own process, so its peak RSS is its own. Prints one JSON line.
 *
 *   child.ts metric <file> <n> <metric-key> [params-json]
 *     Streams the first n samples of the corpus in batches of 1000 through the metric's prepass
 *     (when it has one: a first full pass, as src/metricRuns/computeJob.ts does) and then its
 *     accumulator, then finalizes. Per-sample values are counted, not kept. Prints
 *     {metric, n, ms, metricMs, prepassMs, samplesPerSec, value, estimator, maxRssMB, ...}:
 *     ms is the wall time of the whole run (reading, JSON parsing and sha256 included), metricMs
 *     the time spent inside the metric's own calls (prepass, create, update, finalize), stateMB
 *     the live heap + external memory after a full GC just before finalize (with --expose-gc).
 *   child.ts read <file> <n>
 *     The same streaming with no metric: the cost of reading, parsing and hashing alone.
 *   child.ts naive <file> <n> self_bleu|rougeL
 *     The naive all-pairs baseline over all n responses (see naive.ts); holds the n texts.
 */
import { performance } from 'node:perf_hooks';
import { resolveParams } from '../../src/metrics/params.js';
import { requireMetric } from '../../src/metrics/registry.js';
import { naiveMeanRougeL, naiveSelfBleu } from './naive.js';
import { loadTexts, sampleBatches } from './stream.js';

const [mode, file, nArg, what, paramsJson] = process.argv.slice(2);
const n = Number(nArg);
if (!file || !Number.isInteger(n) || n < 1)
  throw new Error('usage: child.ts metric|read|naive <file> <n> [metric-key|self_bleu|rougeL] [params-json]');
const startRssMB = process.memoryUsage().rss / 2 ** 20;
const maxRssMB = () => process.resourceUsage().maxRSS / 1024;
/** Live heap + external memory after a full GC (needs --expose-gc; null without it): what the state retains. */
function retainedMB(): number | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return null;
  gc();
  const usage = process.memoryUsage();
  return (usage.heapUsed + usage.external) / 2 ** 20;
}

async function runMetric(key: string) {
  const metric = requireMetric(key);
  const params = resolveParams(metric, paramsJson ? JSON.parse(paramsJson) : {});
  const started = performance.now();
  let metricMs = 0;
  let prepassMs = 0;
  const timed = <T>(f: () => T): T => {
    const t = performance.now();
    try {
      return f();
    } finally {
      metricMs += performance.now() - t;
    }
  };

  let prepared: unknown;
  const prepass = metric.prepass?.(params);
  if (prepass) {
    const state = timed(() => prepass.init());
    for await (const batch of sampleBatches(file!, n)) timed(() => prepass.update(state, batch));
    prepared = timed(() => prepass.result(state));
    prepassMs = metricMs;
  }
  const accumulator = timed(() => metric.create(params, prepared, { sampleCount: n }));
  const state = timed(() => accumulator.init());
  let emitted = 0;
  const emit = () => {
    emitted += 1;
  };
  let seen = 0;
  for await (const batch of sampleBatches(file!, n)) {
    const t = performance.now();
    await accumulator.update(state, batch, emit);
    metricMs += performance.now() - t;
    seen += batch.length;
  }
  const stateMB = retainedMB();
  const t = performance.now();
  const outcome = await accumulator.finalize(state);
  metricMs += performance.now() - t;
  const ms = performance.now() - started;
  if (seen !== n) throw new Error(`streamed ${seen} samples, expected ${n}`);
  return {
    metric: key,
    params,
    n,
    ms,
    metricMs,
    prepassMs,
    samplesPerSec: (n * 1000) / ms,
    value: outcome.value,
    reason: outcome.reason,
    estimator: outcome.estimator,
    outcomeN: outcome.n,
    sampleSize: outcome.sampleSize,
    perSampleValues: emitted,
    details: outcome.details,
    stateMB,
    startRssMB,
    maxRssMB: maxRssMB(),
  };
}

async function runRead() {
  const started = performance.now();
  let seen = 0;
  let chars = 0;
  for await (const batch of sampleBatches(file!, n)) {
    seen += batch.length;
    for (const s of batch) chars += s.response.length;
  }
  const ms = performance.now() - started;
  return {
    metric: '(read only)',
    n: seen,
    ms,
    samplesPerSec: (seen * 1000) / ms,
    responseChars: chars,
    stateMB: retainedMB(),
    startRssMB,
    maxRssMB: maxRssMB(),
  };
}

async function runNaive(which: string) {
  const texts = await loadTexts(file!, n);
  const started = performance.now();
  let value: number;
  if (which === 'self_bleu') value = naiveSelfBleu(texts);
  else if (which === 'rougeL') value = naiveMeanRougeL(texts);
  else throw new Error(`unknown naive metric ${which}`);
  const ms = performance.now() - started;
  return { metric: `naive ${which}`, n, ms, value, startRssMB, maxRssMB: maxRssMB() };
}

const result =
  mode === 'metric'
    ? await runMetric(what!)
    : mode === 'read'
      ? await runRead()
      : mode === 'naive'
        ? await runNaive(what!)
        : null;
if (!result) throw new Error(`unknown mode ${mode}`);
console.log(JSON.stringify(result));
