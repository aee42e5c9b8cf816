/**
 * bench/metrics: time, samples/s and peak RSS of every metric in METRICS at its default
 * parameters, each in its own child process streaming the corpus in batches of 1000 exactly as
 * the metrics.compute job does (prepass pass first when the metric has one). Run at n and n/10 to
 * see whether peak RSS stays bounded as n grows 10x. Plus, in the same run (ratios carry over
 * between machines, absolute times do not):
 *   - compression_ratio against the system `gzip -9 -c` on exactly the same text (the responses
 *     joined with one space). Goal: metric time <= 2x gzip time.
 *   - self_bleu and homogenization_rougeL at the default subset (1000) against the naive
 *     all-pairs computation over ALL samples of a smaller corpus prefix (naive.ts): time ratio and
 *     value difference. The fast implementation with subsetSize = that n (exact, all pairs) is run
 *     too, to separate the algorithm's speed-up from the sampling's, and the subset at 5 seeds
 *     shows the sampling spread.
 * The bench prints; it never fails on timings.
 *
 *   npm run bench:metrics -- [--n 100000] [--small 10000] [--bleu-n 3500] [--rouge-n 3000]
 *                            [--gzip-rounds 3] [--only <substring of metric keys>] [--skip-naive]
 *
 * The corpus is built from ../shared/datasets (see corpus.ts) and cached in the OS temp dir.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, createWriteStream, existsSync, openSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { METRICS } from '../../src/metrics/registry.js';
import { writeCorpus } from './corpus.js';
import { sampleBatches } from './stream.js';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    small: { type: 'string' },
    'bleu-n': { type: 'string', default: '3500' },
    'rouge-n': { type: 'string', default: '3000' },
    'gzip-rounds': { type: 'string', default: '3' },
    only: { type: 'string' },
    'skip-naive': { type: 'boolean', default: false },
  },
});
const N = Number(args.n);
const SMALL = Number(args.small ?? Math.round(N / 10));
const BLEU_N = Number(args['bleu-n']);
const ROUGE_N = Number(args['rouge-n']);
const GZIP_ROUNDS = Math.max(1, Number(args['gzip-rounds']));
const SEEDS = [0, 1, 2, 3, 4];
/** Bumped whenever corpus.ts changes its output, so a stale cached corpus is never reused. */
const CORPUS_VERSION = 1;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const sig = (x: number | null | undefined, digits = 4) =>
  x === null || x === undefined ? 'null' : Number(x.toPrecision(digits)).toString();
const log = (message: string) => process.stderr.write(`${message}\n`);

interface ChildResult {
  metric: string;
  n: number;
  ms: number;
  metricMs?: number;
  prepassMs?: number;
  samplesPerSec?: number;
  value?: number | null;
  reason?: string;
  estimator?: string;
  sampleSize?: number;
  details?: Record<string, unknown>;
  stateMB: number | null;
  startRssMB: number;
  maxRssMB: number;
}

async function corpus(rows: number): Promise<string> {
  const path = join(tmpdir(), `qdc-bench-metrics-v${CORPUS_VERSION}-${rows}.jsonl`);
  if (!existsSync(path)) {
    log(`building corpus of ${fmt(rows)} samples at ${path} ...`);
    await writeCorpus(path, rows);
  }
  return path;
}

async function child(...argv: string[]): Promise<ChildResult> {
  const proc = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', join(import.meta.dirname, 'child.ts'), ...argv],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  const [code] = await once(proc, 'exit');
  if (code !== 0) throw new Error(`child ${argv.join(' ')} exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
}

/** The responses of the first n samples joined with one space, as compression_ratio sees them. */
async function joinedResponses(file: string, n: number): Promise<string> {
  const path = `${file}.responses-${n}.txt`;
  if (existsSync(path)) return path;
  const out = createWriteStream(path);
  let first = true;
  for await (const batch of sampleBatches(file, n)) {
    const text = (first ? '' : ' ') + batch.map((s) => s.response).join(' ');
    first = false;
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return path;
}

/** True when the system `gzip` can be run. */
function haveGzip(): boolean {
  return !spawnSync('gzip', ['--version'], { stdio: 'ignore' }).error;
}

/** `gzip -9 -c < file`, its output counted and dropped. */
async function timeGzip(file: string): Promise<{ ms: number; bytes: number }> {
  const fd = openSync(file, 'r');
  try {
    const started = performance.now();
    const proc = spawn('gzip', ['-9', '-c'], { stdio: [fd, 'pipe', 'inherit'] });
    let bytes = 0;
    proc.stdout!.on('data', (chunk: Buffer) => (bytes += chunk.length));
    const [code] = await once(proc, 'close');
    if (code !== 0) throw new Error(`gzip exited with ${String(code)}`);
    return { ms: performance.now() - started, bytes };
  } finally {
    closeSync(fd);
  }
}

function table(header: string[], rows: string[][]): string {
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

async function main() {
  const file = await corpus(N);
  const metrics = METRICS.filter((m) => !args.only || m.key.includes(args.only));
  const started = performance.now();

  log(`read-only baseline at ${fmt(SMALL)} and ${fmt(N)} ...`);
  const readSmall = await child('read', file, String(SMALL));
  const readLarge = await child('read', file, String(N));

  const runs: Array<{ key: string; small: ChildResult; large: ChildResult }> = [];
  for (const metric of metrics) {
    log(`${metric.key} at ${fmt(SMALL)} ...`);
    const small = await child('metric', file, String(SMALL), metric.key);
    log(`${metric.key} at ${fmt(N)} ...`);
    const large = await child('metric', file, String(N), metric.key);
    runs.push({ key: metric.key, small, large });
  }

  // compression_ratio vs gzip -9, interleaved rounds, best of each.
  let gzipReport: string[] = [];
  let gzipSummary: Record<string, unknown> | null = null;
  const compression = runs.find((r) => r.key === 'diversity.compression_ratio');
  if (compression) {
    const textFile = await joinedResponses(file, N);
    const textBytes = statSync(textFile).size;
    const metricMs = [compression.large.metricMs!];
    const wallMs = [compression.large.ms];
    const gzipMs: number[] = [];
    let gzipBytes = 0;
    const missing = !haveGzip();
    for (let round = 1; round <= GZIP_ROUNDS && !missing; round++) {
      log(`compression_ratio vs gzip -9, round ${round}/${GZIP_ROUNDS} ...`);
      const g = await timeGzip(textFile);
      gzipMs.push(g.ms);
      gzipBytes = g.bytes;
      if (round > 1) {
        const again = await child('metric', file, String(N), 'diversity.compression_ratio');
        metricMs.push(again.metricMs!);
        wallMs.push(again.ms);
      }
    }
    const details = compression.large.details ?? {};
    if (missing) {
      gzipReport = ['`gzip` is not installed: the compression_ratio vs gzip comparison is skipped.'];
    } else {
      const best = (xs: number[]) => Math.min(...xs);
      const ratio = best(metricMs) / best(gzipMs);
      gzipSummary = {
        textBytes,
        gzipBytes,
        metricCompressedBytes: details.compressedBytes,
        metricMs,
        wallMs,
        gzipMs,
        ratio,
      };
      gzipReport = [
        `compression_ratio vs gzip -9 on the same ${(textBytes / 1e6).toFixed(1)} MB of text (the ${fmt(N)} responses joined with one space), best of ${GZIP_ROUNDS}:`,
        `  metric (accumulator calls only)  ${best(metricMs).toFixed(0).padStart(6)} ms   (${metricMs.map((x) => x.toFixed(0)).join(', ')})`,
        `  metric child, whole run           ${best(wallMs).toFixed(0).padStart(6)} ms   (read + parse + sha256 included)`,
        `  gzip -9 -c (system binary)        ${best(gzipMs).toFixed(0).padStart(6)} ms   (${gzipMs.map((x) => x.toFixed(0)).join(', ')})`,
        `  metric / gzip = ${ratio.toFixed(2)}   goal <= 2.00  ${ratio <= 2 ? 'MET' : 'MISSED'}`,
        `  input bytes: metric ${String(details.inputBytes)}, file ${textBytes}${details.inputBytes === textBytes ? ' (same)' : ' (DIFFERENT)'}; ` +
          `compressed: metric (pako, reference zlib) ${String(details.compressedBytes)}, GNU gzip ${gzipBytes}`,
      ];
    }
  }

  // Subset metrics vs naive all-pairs.
  const pairwise: string[][] = [];
  const pairwiseJson: Record<string, unknown>[] = [];
  if (!args['skip-naive']) {
    for (const [key, naiveName, n] of [
      ['diversity.self_bleu', 'self_bleu', BLEU_N],
      ['diversity.homogenization_rougeL', 'rougeL', ROUGE_N],
    ] as const) {
      if (!metrics.some((m) => m.key === key)) continue;
      log(`${key}: naive all-pairs over ${fmt(n)} samples ...`);
      const naive = await child('naive', file, String(n), naiveName);
      log(`${key}: fast all-pairs (subsetSize = ${n}) and default subset at ${SEEDS.length} seeds ...`);
      const exact = await child('metric', file, String(n), key, JSON.stringify({ subsetSize: n }));
      const subsets: ChildResult[] = [];
      for (const seed of SEEDS)
        subsets.push(await child('metric', file, String(n), key, JSON.stringify({ seed })));
      const subset = subsets[0]!;
      const diff = subset.value! - naive.value!;
      const values = subsets.map((s) => s.value!);
      pairwise.push([
        key,
        fmt(n),
        `${(naive.ms / 1000).toFixed(1)} s`,
        `${exact.metricMs!.toFixed(0)} ms`,
        `${subset.metricMs!.toFixed(0)} ms`,
        `${fmt(naive.ms / subset.metricMs!)}x`,
        sig(naive.value),
        `${sig(exact.value)} (diff ${sig(Math.abs(exact.value! - naive.value!), 1)})`,
        sig(subset.value),
        `${diff >= 0 ? '+' : ''}${sig(diff, 3)} (${diff >= 0 ? '+' : ''}${((100 * diff) / naive.value!).toFixed(1)}%)`,
        `${sig(Math.min(...values))} .. ${sig(Math.max(...values))}`,
      ]);
      pairwiseJson.push({
        key,
        n,
        naiveMs: naive.ms,
        naiveValue: naive.value,
        exactMs: exact.metricMs,
        exactValue: exact.value,
        subsetMs: subset.metricMs,
        subsetValues: values,
        naiveRssMB: naive.maxRssMB,
      });
    }
  }

  const totalS = (performance.now() - started) / 1000;
  const live = (small: ChildResult, large: ChildResult) =>
    small.stateMB === null || large.stateMB === null
      ? '-'
      : `${small.stateMB.toFixed(0)} -> ${large.stateMB.toFixed(0)} MB`;
  const rssRatio = (r: { small: ChildResult; large: ChildResult }) => r.large.maxRssMB / r.small.maxRssMB;
  console.log(
    `\nbench/metrics: ${fmt(N)} samples (RSS also at ${fmt(SMALL)}), default parameters, field = response, batches of 1000, one child process per run`,
  );
  console.log(
    table(
      [
        'metric',
        `ms at ${fmt(N)}`,
        'metric ms',
        'samples/s',
        'value',
        'estimator',
        `peak RSS ${fmt(SMALL)}`,
        `peak RSS ${fmt(N)}`,
        'RSS ratio',
        `live heap ${fmt(SMALL)} -> ${fmt(N)}`,
      ],
      [
        [
          '(read + parse + sha256 only)',
          fmt(readLarge.ms),
          '-',
          fmt(readLarge.samplesPerSec!),
          '-',
          '-',
          `${readSmall.maxRssMB.toFixed(0)} MB`,
          `${readLarge.maxRssMB.toFixed(0)} MB`,
          (readLarge.maxRssMB / readSmall.maxRssMB).toFixed(2),
          live(readSmall, readLarge),
        ],
        ...runs.map((r) => [
          r.key + (r.large.prepassMs ? ' (prepass + pass)' : ''),
          fmt(r.large.ms),
          fmt(r.large.metricMs!),
          fmt(r.large.samplesPerSec!),
          r.large.value === null ? `null (${r.large.reason})` : sig(r.large.value),
          r.large.estimator + (r.large.sampleSize ? ` (${r.large.sampleSize})` : ''),
          `${r.small.maxRssMB.toFixed(0)} MB`,
          `${r.large.maxRssMB.toFixed(0)} MB`,
          rssRatio(r).toFixed(2),
          live(r.small, r.large),
        ]),
      ],
    ),
  );
  console.log(
    "ms = wall time of the child run (streaming the JSONL twice when there is a prepass); metric ms = inside the metric's calls; samples/s = n / ms; live heap = V8 heap + external after a full GC just before finalize.",
  );
  if (gzipReport.length) console.log(`\n${gzipReport.join('\n')}`);
  if (pairwise.length) {
    console.log(
      `\nsubset (default subsetSize 1000, seed 0) vs naive all-pairs over ALL n samples (naive.ts); exact = the metric with subsetSize = n`,
    );
    console.log(
      table(
        [
          'metric',
          'n',
          'naive all-pairs',
          'exact (fast, all pairs)',
          'subset 1000',
          'naive / subset',
          'naive value',
          'exact value',
          'subset value',
          'subset - naive',
          `subset, seeds ${SEEDS[0]}..${SEEDS.at(-1)}`,
        ],
        pairwise,
      ),
    );
  }
  console.log(`\ntotal ${totalS.toFixed(0)} s`);
  console.log(
    JSON.stringify({
      n: N,
      small: SMALL,
      read: { small: readSmall, large: readLarge },
      runs: runs.map((r) => ({ key: r.key, small: r.small, large: r.large })),
      gzip: gzipSummary,
      pairwise: pairwiseJson,
    }),
  );
}

await main();
