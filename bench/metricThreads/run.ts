/**
 * bench/metricThreads: the cost and the gain of running a metric job's text metrics in a worker
 * thread (src/metricRuns/metricThreads.ts) against running them on the main thread
 * (QDC_METRIC_THREADS=false), on the same version of the same in-memory PGlite catalog, rounds
 * interleaved (off, on, off, on, ...) so that drift hits both alike.
 *
 * Per mode: wall time of the whole job (every default text metric; the thread hop adds one
 * structured clone of each batch, one `update` call per sample and the thread's start-up) and the
 * main thread's event-loop delay while the job runs (what a GraphQL request waits before it is
 * even parsed): p99 and max of perf_hooks' monitorEventLoopDelay. Prints; never fails on timings.
 *
 * On PGlite the database is WASM on the main thread, so its queries block the loop in both
 * modes; `--database-url` runs the same on a scratch database of a PostgreSQL server instead.
 *
 *   npm run bench:metric-threads -- [--n 20000] [--rounds 3] [--only <substring of metric keys>]
 *                                   [--database-url postgres://...]
 */
import { createReadStream, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { openCatalog } from '../../src/app.js';
import { registerDataset } from '../../src/catalog/datasets.js';
import { EmbedderRegistry } from '../../src/embeddings/registry.js';
import { ingestStream } from '../../src/ingest/ingest.js';
import { getJob } from '../../src/jobs/queue.js';
import { startWorker } from '../../src/jobs/worker.js';
import { silentLogger } from '../../src/logger.js';
import {
  computeMetricsHandler,
  COMPUTE_METRICS_JOB,
  enqueueComputeMetrics,
} from '../../src/metricRuns/computeJob.js';
import { defaultMetrics } from '../../src/metricRuns/metricRequests.js';
import { MetricThreads, DEFAULT_SAMPLE_BUDGET_MS } from '../../src/metricRuns/metricThreads.js';
import { loadConfig } from '../../src/config.js';
import { writeCorpus } from '../metrics/corpus.js';
import { createScratchDatabase } from '../scratchDatabase.js';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
    'database-url': { type: 'string' },
  },
});
const N = Number(args.n);
const ROUNDS = Number(args.rounds);
const log = (message: string) => process.stderr.write(`${message}\n`);

const corpus = join(tmpdir(), `qdc-bench-metric-threads-${N}.jsonl`);
if (!existsSync(corpus)) await writeCorpus(corpus, N);

const scratch = args['database-url']
  ? await createScratchDatabase(args['database-url'], 'qdc_bench_metric_threads')
  : null;
const database = await openCatalog(scratch ? { databaseUrl: scratch.url } : { dataDir: 'memory://' });
await registerDataset(database.db, { slug: 'bench', name: 'bench' });
const { version } = await ingestStream(database, 'bench', createReadStream(corpus));
const keys = defaultMetrics(false)
  .filter((metric) => !args.only || metric.key.includes(args.only))
  .map((metric) => metric.key);
log(`${version.sampleCount} samples; metrics: ${keys.join(', ')}`);

const embedders = new EmbedderRegistry({ ...loadConfig({}).embedding, embedder: 'lexical' }, silentLogger);
const modes = {
  'main thread': new MetricThreads({ enabled: false, sampleBudgetMs: DEFAULT_SAMPLE_BUDGET_MS }),
  'worker thread': new MetricThreads({ enabled: true, sampleBudgetMs: DEFAULT_SAMPLE_BUDGET_MS }),
};

interface Run {
  ms: number;
  p99: number;
  max: number;
  values: string;
}
const runs: Record<string, Run[]> = { 'main thread': [], 'worker thread': [] };

async function runOnce(threads: MetricThreads): Promise<Run> {
  const job = await enqueueComputeMetrics(database.db, version.id, keys, {});
  const delay = monitorEventLoopDelay({ resolution: 10 });
  const start = performance.now();
  delay.enable();
  const worker = startWorker(database, {
    handlers: { [COMPUTE_METRICS_JOB]: computeMetricsHandler(embedders, threads) },
    concurrency: 1,
    onlyJobId: job.id,
    pollMs: 20,
    logger: silentLogger,
  });
  let row = await getJob(database.db, job.id);
  while (row && !['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(row.status)) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    row = await getJob(database.db, job.id);
  }
  const ms = performance.now() - start;
  delay.disable();
  await worker.stop();
  if (row?.status !== 'SUCCEEDED') throw new Error(`job ${job.id}: ${row?.status} ${row?.error}`);
  const results = (row.result as { results: Array<{ key: string; value: number | null }> }).results;
  return {
    ms,
    p99: delay.percentile(99) / 1e6,
    max: delay.max / 1e6,
    values: JSON.stringify(results.map((r) => [r.key, r.value])),
  };
}

for (let round = 1; round <= ROUNDS; round++) {
  for (const [name, threads] of Object.entries(modes)) {
    const run = await runOnce(threads);
    runs[name]!.push(run);
    log(
      `round ${round} ${name}: ${Math.round(run.ms)} ms, event-loop delay p99 ${run.p99.toFixed(1)} ms, max ${run.max.toFixed(1)} ms`,
    );
  }
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return Number.isInteger(mid) ? (sorted[mid - 1]! + sorted[mid]!) / 2 : sorted[Math.floor(mid)]!;
};
const [off, on] = [runs['main thread']!, runs['worker thread']!];
const same = off.concat(on).every((run) => run.values === off[0]!.values);
console.log(
  `bench/metricThreads: ${version.sampleCount} samples, ${keys.length} text metrics, ${ROUNDS} rounds, ${scratch ? 'PostgreSQL' : 'PGlite'}`,
);
console.log('| mode | job wall ms (median) | event-loop delay p99 ms | max ms |');
console.log('|---|---|---|---|');
for (const [name, list] of Object.entries(runs))
  console.log(
    `| ${name} | ${Math.round(median(list.map((r) => r.ms)))} | ${median(list.map((r) => r.p99)).toFixed(1)} | ${median(list.map((r) => r.max)).toFixed(1)} |`,
  );
console.log(
  `worker/main wall-time ratio ${(median(on.map((r) => r.ms)) / median(off.map((r) => r.ms))).toFixed(2)}; ` +
    `max event-loop delay ratio main/worker ${(median(off.map((r) => r.max)) / median(on.map((r) => r.max))).toFixed(1)}; ` +
    `values identical in every run: ${same}`,
);
await Promise.all(Object.values(modes).map((threads) => threads.close()));
await database.close();
await scratch?.drop();
