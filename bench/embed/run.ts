/**
 * bench/embed: samples/s of the embedding job (`embeddings.embed`, run by the real worker) versus
 * a bare onnxruntime-node session on the same ONNX file, with the same batch size, thread count,
 * texts and batches. Every figure is also given as a ratio against that baseline, measured in the
 * same run (ratios carry over between machines, absolute rates do not). Goal: job >= 0.8x. The
 * bench prints; it never fails on timings.
 *
 * Configurations, each in its own child process (child.ts), for threads x batch:
 *   ort        THE baseline: tokenizer + bare InferenceSession + mean pooling + L2 norm in plain JS
 *   pipeline   the project's embedder (transformers.js pipeline) called as the job calls it, no database
 *   job        the real job: enqueue -> worker -> SUCCEEDED, reading samples and writing vectors
 * Every configuration runs --rounds times, interleaved (the order of the three modes alternates),
 * best time kept. The job's HNSW index build (at its end) is reported apart and not counted in the
 * job's rate.
 *
 * Models: the generated tiny BERT (test/helpers/tinyBert.ts, 32 dims), and Xenova/all-MiniLM-L6-v2
 * when QDC_MODEL_DIR holds it (config.json, tokenizer.json, onnx/model_quantized.onnx).
 *
 *   npm run bench:embed -- [--n 5000] [--real-n 1000] [--threads 1,2] [--batch 8,32] [--rounds 5] [--real-rounds 2] [--quick]
 *   (database: PGlite in memory by default; with DATABASE_URL set, PostgreSQL: the bench creates
 *    qdc_bench_embed_<random> on that server and drops it at the end)
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openCatalog } from '../../src/app.js';
import { writeTinyBertModel } from '../../test/helpers/tinyBert.js';
import { createScratchDatabase, type ScratchDatabase } from '../scratchDatabase.js';
import { ONNX_FILE, REAL_MODEL, TINY_MODEL } from './workload.js';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string' },
    'real-n': { type: 'string', default: '1000' },
    threads: { type: 'string', default: '1,2' },
    batch: { type: 'string', default: '8,32' },
    rounds: { type: 'string' },
    'real-rounds': { type: 'string', default: '2' },
    quick: { type: 'boolean', default: false },
  },
});
const TINY_N = Number(args.n ?? (args.quick ? 1000 : 5000));
const REAL_N = Number(args['real-n']);
const THREADS = args.threads.split(',').map(Number);
const BATCHES = args.batch.split(',').map(Number);
const ROUNDS = Math.max(1, Number(args.rounds ?? (args.quick ? 1 : 5)));
const REAL_ROUNDS = Math.max(1, Number(args['real-rounds']));
const GOAL = 0.8;
const SERVER_URL = process.env.DATABASE_URL;

const MODES = ['ort', 'pipeline', 'job'] as const;
type Mode = (typeof MODES)[number];
const LABEL: Record<Mode, string> = {
  ort: 'bare onnxruntime session (baseline)',
  pipeline: 'transformers.js pipeline, no database',
  job: 'embedding job (worker, database)',
};

interface ChildResult {
  mode: Mode;
  n: number;
  threads: number;
  batchSize: number;
  ms: number;
  samplesPerSec: number;
  cpuMs: number;
  maxRssMB: number;
  dims: number;
  vectors: Record<string, number[]>;
  // ort
  tokenizeMs?: number;
  runMs?: number;
  poolMs?: number;
  tokens?: number;
  paddedTokens?: number;
  // job
  backend?: string;
  storeMs?: number;
  jobSamplesPerSecond?: number | null;
  jobMs?: number | null;
  indexBuilt?: boolean;
  indexMs?: number;
  /**
   * CPU from enqueue to the last chunk's progress report, in the job's process: the index build
   * that follows runs in the same process, so its CPU can only be cut off there. (Wall time leaves
   * the index out by the job's own `indexMs`.)
   */
  embedPhase?: { cpuMs: number } | null;
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const log = (message: string) => process.stderr.write(`${message}\n`);
const ratio = (x: number, base: number) => (x / base).toFixed(2);

async function child(argv: string[]): Promise<ChildResult> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'child.ts'), ...argv], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  const [code] = await once(proc, 'exit');
  if (code !== 0) throw new Error(`child ${argv.slice(0, 6).join(' ')} exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
}

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

/** Smallest cosine between the vectors of the same ordinals in two runs (NaN when an ordinal is missing). */
function minCosine(a: ChildResult, b: ChildResult): number {
  let min = Infinity;
  for (const [ordinal, vector] of Object.entries(a.vectors)) {
    const other = b.vectors[ordinal];
    if (!other || other.length !== vector.length) return NaN;
    min = Math.min(min, cosine(vector, other));
  }
  return Object.keys(b.vectors).length === Object.keys(a.vectors).length ? min : NaN;
}

/** Why Xenova/all-MiniLM-L6-v2 cannot run, or null when QDC_MODEL_DIR holds it. */
function realModelMissing(): string | null {
  const dir = process.env.QDC_MODEL_DIR;
  if (!dir) return 'QDC_MODEL_DIR is not set';
  const missing = ['config.json', 'tokenizer.json', ONNX_FILE].filter(
    (file) => !existsSync(join(dir, REAL_MODEL, file)),
  );
  return missing.length > 0
    ? `QDC_MODEL_DIR=${dir} has no ${missing.map((f) => `${REAL_MODEL}/${f}`).join(', ')}`
    : null;
}

interface ConfigResult {
  threads: number;
  batch: number;
  runs: Record<Mode, ChildResult[]>;
}

async function benchModel(
  modelRoot: string,
  modelId: string,
  n: number,
  rounds: number,
  target: string,
  checkpoint: () => Promise<void>,
): Promise<ConfigResult[]> {
  const configs: ConfigResult[] = [];
  for (const threads of THREADS)
    for (const batch of BATCHES) configs.push({ threads, batch, runs: { ort: [], pipeline: [], job: [] } });
  for (let round = 1; round <= rounds; round++) {
    for (const config of configs) {
      // The order of the modes alternates between rounds, so a slow spell does not always hit the same one.
      const order = round % 2 === 1 ? MODES : [...MODES].reverse();
      for (const mode of order) {
        log(
          `${modelId}, ${config.threads} thread(s), batch ${config.batch}, round ${round}/${rounds}: ${mode} ...`,
        );
        if (mode === 'job') await checkpoint();
        const argv = [
          mode,
          modelRoot,
          modelId,
          String(config.threads),
          String(config.batch),
          String(n),
          ...(mode === 'job' ? [target] : []),
        ];
        config.runs[mode].push(await child(argv));
      }
    }
  }
  return configs;
}

/** The job's time without the HNSW index build (enqueue -> SUCCEEDED seen, minus the build the job timed). */
const jobMsExclIndex = (r: ChildResult) => r.ms - (r.indexMs ?? 0);
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const best = (xs: ChildResult[], time: (r: ChildResult) => number = (r) => r.ms) =>
  xs.reduce((a, b) => (time(b) < time(a) ? b : a));

function report(
  modelId: string,
  n: number,
  rounds: number,
  configs: ConfigResult[],
  backendLabel: string,
): Record<string, unknown>[] {
  console.log(`\n${modelId} (q8: ${ONNX_FILE}), n = ${fmt(n)}, ${backendLabel}, best of ${rounds}`);
  console.log(MODES.map((m) => `${m} = ${LABEL[m]}`).join('; '));
  const header = [
    'threads',
    'batch',
    'ort (baseline) samples/s',
    'pipeline samples/s',
    '/ ort',
    '**job** samples/s (excl. index)',
    '**/ ort**',
    'job / ort, median of rounds',
    'job-reported samples/s',
    'job incl. index samples/s',
    '/ ort',
    'index build',
    'min cosine job/ort',
    `goal >= ${GOAL}`,
  ];
  console.log(`| ${header.join(' | ')} |\n| ${header.map(() => '---').join(' | ')} |`);
  const rows: Record<string, unknown>[] = [];
  for (const config of configs) {
    const ort = best(config.runs.ort);
    const pipe = best(config.runs.pipeline);
    const job = best(config.runs.job, jobMsExclIndex);
    const jobWall = best(config.runs.job);
    const jobRate = (n * 1000) / jobMsExclIndex(job);
    const jobWallRate = (n * 1000) / jobWall.ms;
    // Every run of every mode against every ort run: all must agree.
    const cosines = [...config.runs.job, ...config.runs.pipeline].flatMap((r) =>
      config.runs.ort.map((o) => minCosine(o, r)),
    );
    const cosJob = Math.min(...config.runs.job.flatMap((r) => config.runs.ort.map((o) => minCosine(o, r))));
    const allAgree = cosines.every((c) => c > 0.9999);
    const pass = jobRate / ort.samplesPerSec >= GOAL;
    // The modes of one round ran back to back: their ratio is less exposed to load that changes between rounds.
    const roundRatios = config.runs.job.map((r, i) => config.runs.ort[i]!.ms / jobMsExclIndex(r));
    const medianRatio = median(roundRatios);
    const indexMs = config.runs.job.map((r) => r.indexMs ?? 0);
    rows.push({
      model: modelId,
      n,
      threads: config.threads,
      batch: config.batch,
      ort: Math.round(ort.samplesPerSec),
      pipeline: Math.round(pipe.samplesPerSec),
      job: Math.round(jobRate),
      jobReported: job.jobSamplesPerSecond,
      jobInclIndex: Math.round(jobWallRate),
      ratioPipeline: pipe.samplesPerSec / ort.samplesPerSec,
      ratioJob: jobRate / ort.samplesPerSec,
      ratioJobInclIndex: jobWallRate / ort.samplesPerSec,
      ratioJobMedianOfRounds: medianRatio,
      indexMs: Math.round(Math.min(...indexMs)),
      minCosine: Math.min(...cosines),
      vectorsAgree: allAgree,
      pass,
      ortBreakdown: {
        tokenizeMs: Math.round(ort.tokenizeMs!),
        runMs: Math.round(ort.runMs!),
        poolMs: Math.round(ort.poolMs!),
      },
      tokens: ort.tokens,
      paddedTokens: ort.paddedTokens,
      cpuUsPerSample: {
        ort: Math.round((ort.cpuMs * 1000) / n),
        pipeline: Math.round((pipe.cpuMs * 1000) / n),
        job: Math.round(((job.embedPhase?.cpuMs ?? job.cpuMs) * 1000) / n),
      },
      peakRssMB: {
        ort: Math.round(ort.maxRssMB),
        pipeline: Math.round(pipe.maxRssMB),
        job: Math.round(job.maxRssMB),
      },
      allRunsMs: Object.fromEntries(
        MODES.map((m) => [m, config.runs[m].map((r) => Math.round(m === 'job' ? jobMsExclIndex(r) : r.ms))]),
      ),
    });
    console.log(
      `| ${[
        config.threads,
        config.batch,
        fmt(ort.samplesPerSec),
        fmt(pipe.samplesPerSec),
        ratio(pipe.samplesPerSec, ort.samplesPerSec),
        `**${fmt(jobRate)}**`,
        `**${ratio(jobRate, ort.samplesPerSec)}**`,
        medianRatio.toFixed(2),
        job.jobSamplesPerSecond == null ? '-' : fmt(job.jobSamplesPerSecond),
        fmt(jobWallRate),
        ratio(jobWallRate, ort.samplesPerSec),
        `${(Math.min(...indexMs) / 1000).toFixed(2)} s`,
        cosJob.toFixed(6),
        pass ? 'PASS' : 'FAIL',
      ].join(' | ')} |`,
    );
  }
  console.log('\nbaseline time split (best ort run), CPU per sample (all threads) and peak RSS:');
  for (const row of rows) {
    const b = row.ortBreakdown as { tokenizeMs: number; runMs: number; poolMs: number };
    const total = b.tokenizeMs + b.runMs + b.poolMs;
    const cpu = row.cpuUsPerSample as Record<Mode, number>;
    const rss = row.peakRssMB as Record<Mode, number>;
    console.log(
      `  ${row.threads} thread(s), batch ${row.batch}: tokenize ${((100 * b.tokenizeMs) / total).toFixed(0)}%, session.run ${((100 * b.runMs) / total).toFixed(0)}%, ` +
        `pool + normalise ${((100 * b.poolMs) / total).toFixed(0)}%; padding ${((100 * (Number(row.paddedTokens) - Number(row.tokens))) / Number(row.paddedTokens)).toFixed(1)}% of ` +
        `${fmt(Number(row.paddedTokens))} token slots; CPU µs/sample ort ${cpu.ort}, pipeline ${cpu.pipeline}, job ${cpu.job} (until the last chunk, index excluded); ` +
        `peak RSS ort ${rss.ort} MB, pipeline ${rss.pipeline} MB, job ${rss.job} MB`,
    );
  }
  const agree = rows.every((r) => r.vectorsAgree);
  console.log(
    `  vectors: ${agree ? 'every pipeline and job run agrees with every ort run' : 'DISAGREE'} (smallest cosine ${Math.min(...rows.map((r) => r.minCosine as number)).toFixed(7)} ` +
      `over ${Object.keys(configs[0]!.runs.ort[0]!.vectors).length} samples per run; must be > 0.9999)`,
  );
  return rows;
}

async function main() {
  const startedAll = performance.now();
  const load = [loadavg()[0]!];
  const tinyRoot = mkdtempSync(join(tmpdir(), 'qdc-bench-embed-models-'));
  let scratch: ScratchDatabase | undefined;
  let bench: pg.Client | undefined;
  try {
    await writeTinyBertModel(tinyRoot);
    let target = 'memory://';
    let backendLabel = 'PGlite in memory';
    if (SERVER_URL) {
      scratch = await createScratchDatabase(SERVER_URL, 'qdc_bench_embed');
      target = scratch.url;
      backendLabel = `PostgreSQL at ${new URL(target).host}`;
      await (await openCatalog({ databaseUrl: target })).close(); // migrate once, untimed
      bench = new pg.Client({ connectionString: target });
      await bench.connect();
    }
    const checkpoint = async () => {
      await bench?.query('checkpoint').catch(() => undefined); // needs superuser; best effort
    };

    const rows: Record<string, unknown>[] = [];
    const tiny = await benchModel(tinyRoot, TINY_MODEL, TINY_N, ROUNDS, target, checkpoint);
    const missing = realModelMissing();
    const real = missing
      ? null
      : await benchModel(process.env.QDC_MODEL_DIR!, REAL_MODEL, REAL_N, REAL_ROUNDS, target, checkpoint);
    load.push(loadavg()[0]!);

    console.log(
      `\nbench/embed: embedding job vs bare onnxruntime-node session; threads ${THREADS.join(', ')} x batch ${BATCHES.join(', ')}; ${backendLabel}; ` +
        `load average ${load.map((l) => l.toFixed(1)).join(' -> ')}`,
    );
    rows.push(...report(TINY_MODEL, TINY_N, ROUNDS, tiny, backendLabel));
    if (real) rows.push(...report(REAL_MODEL, REAL_N, REAL_ROUNDS, real, backendLabel));
    else
      console.log(
        `\n${REAL_MODEL}: SKIPPED (${missing}; put config.json, tokenizer.json and ${ONNX_FILE} in <QDC_MODEL_DIR>/${REAL_MODEL}/ to run it)`,
      );

    const pass = rows.every((r) => r.pass);
    const minRatio = Math.min(...rows.map((r) => r.ratioJob as number));
    console.log(
      `\njob / ort (index build excluded): ${rows.map((r) => `${(r.model as string).split('/')[1]} ${r.threads}t b${r.batch} ${(r.ratioJob as number).toFixed(2)}`).join(', ')}; ` +
        `lowest ${minRatio.toFixed(2)}, goal >= ${GOAL}: ${pass ? 'PASS' : 'FAIL'}${real ? '' : ' (tiny model only)'}`,
    );
    console.log(`total bench time ${((performance.now() - startedAll) / 60_000).toFixed(1)} min`);
    console.log(
      JSON.stringify({
        backend: backendLabel,
        rounds: ROUNDS,
        realRounds: REAL_ROUNDS,
        load,
        realModel: missing ? { skipped: missing } : { n: REAL_N },
        rows,
        pass,
      }),
    );
  } finally {
    await bench?.end().catch(() => undefined);
    await scratch?.drop();
    rmSync(tinyRoot, { recursive: true, force: true });
  }
}

await main();
