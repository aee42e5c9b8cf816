/**
 * The TInt noise grid of Havrilla & Iyer 2024 ("Understanding the Effect of Noise in LLM Training
 * Data with Algorithmic Chains of Thought", arXiv 2402.04004), run through the catalog itself:
 * every cell is a `tint.generate` job that writes a dataset version, and every version is measured
 * by a `metrics.compute` job; both run on one real worker, and the numbers are read back from the
 * stored metric results. Progress goes to stderr, the markdown table to stdout.
 *
 *   npm run example:tint-grid -- [--n 500] [--op mul] [--digits 1-3] [--seed 1]
 *
 * Runs on an in-memory PGlite database, or on PostgreSQL when DATABASE_URL is set.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createJobHandlers, openCatalog } from '../src/app.js';
import { EmbedderRegistry } from '../src/embeddings/registry.js';
import { loadConfig } from '../src/config.js';
import type { ConnectOptions, Database } from '../src/db/connect.js';
import type { JobRow } from '../src/db/schema.js';
import { enqueueTIntGeneration } from '../src/generation/tintJob.js';
import { FINISHED_STATUSES, getJob } from '../src/jobs/queue.js';
import { startWorker } from '../src/jobs/worker.js';
import { silentLogger } from '../src/logger.js';
import { enqueueComputeMetrics } from '../src/metricRuns/computeJob.js';
import { latestResultsOfVersions, type MetricResultView } from '../src/metricRuns/results.js';
import { metricKeys } from '../src/metrics/registry.js';
import { parseRangeText, type DynamicNoiseSpec, type StaticNoiseSpec } from '../src/tint/spec.js';

const USAGE = `Usage: npm run example:tint-grid -- [options]

Generates the TInt noise grid of Havrilla & Iyer 2024 (arXiv 2402.04004) into a catalog and
measures every version with the metric engine; prints a markdown table to stdout.

Grid: doc_noise 0.2, 0.5, 0.8 x {static char 0.3/0.6/0.9, static line 0.3/0.6/0.9,
dynamic p 0.2/0.4}, plus one clean version (doc_noise 0): 25 versions.

Options:
  --n N          samples per version (default 500)
  --op OP        TInt operation: add, sub, mul, div, mod, sort, gcd, median (default mul)
  --digits A-B   operand digit counts, inclusive (default 1-3)
  --seed S       generation seed; the same seed gives the same prompts in every cell (default 1)
  --help         show this help

Database: in-memory PGlite, or PostgreSQL when DATABASE_URL is set.`;

const METRICS = {
  validity: 'quality.tint_trace_validity',
  distinct: 'diversity.distinct_n',
  compression: 'diversity.compression_ratio',
  steps: 'complexity.steps',
  length: 'complexity.length',
} as const;

const DOC_NOISE = [0.2, 0.5, 0.8] as const;

interface NoiseKind {
  /** Row label, e.g. "static char 0.3". */
  label: string;
  /** Slug part, e.g. "static-char-0-3". */
  slug: string;
  noise: (doc: number) => { static: StaticNoiseSpec | null; dynamic: DynamicNoiseSpec | null };
}

const slugNumber = (value: number) => String(value).replace('.', '-');

const NOISE_KINDS: NoiseKind[] = [
  ...[0.3, 0.6, 0.9].map((char) => ({
    label: `static char ${char}`,
    slug: `static-char-${slugNumber(char)}`,
    noise: (doc: number) => ({ static: { doc, char, line: 0 }, dynamic: null }),
  })),
  ...[0.3, 0.6, 0.9].map((line) => ({
    label: `static line ${line}`,
    slug: `static-line-${slugNumber(line)}`,
    noise: (doc: number) => ({ static: { doc, char: 0, line }, dynamic: null }),
  })),
  ...[0.2, 0.4].map((p) => ({
    label: `dynamic p ${p}`,
    slug: `dynamic-p-${slugNumber(p)}`,
    noise: (doc: number) => ({ static: null, dynamic: { doc, p } }),
  })),
];

interface Cell {
  label: string;
  doc: number;
  dataset: string;
  static: StaticNoiseSpec | null;
  dynamic: DynamicNoiseSpec | null;
}

interface Row {
  cell: Cell;
  validity: number | null;
  answerAccuracy: number | null;
  cleanRate: number | null;
  localRate: number | null;
  propagatingRate: number | null;
  distinct: number | null;
  compression: number | null;
  steps: number | null;
  length: number | null;
}

function parseOptions() {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '500' },
      op: { type: 'string', default: 'mul' },
      digits: { type: 'string', default: '1-3' },
      seed: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const integer = (name: string, text: string) => {
    const value = Number(text);
    if (!Number.isInteger(value)) throw new Error(`--${name} must be an integer (got "${text}")`);
    return value;
  };
  const range = parseRangeText(values.digits);
  if (!range) throw new Error(`--digits must look like 1-3 or 2 (got "${values.digits}")`);
  // n, op, digits and seed are validated by the TInt spec when the first job is queued.
  return {
    n: integer('n', values.n),
    op: values.op,
    digits: [Number(range[0]), Number(range[1])] as [number, number],
    seed: integer('seed', values.seed),
  };
}

function gridCells(op: string): Cell[] {
  const cells: Cell[] = [
    { label: 'clean', doc: 0, dataset: `tint-${op}-clean`, static: null, dynamic: null },
  ];
  for (const doc of DOC_NOISE) {
    for (const kind of NOISE_KINDS) {
      cells.push({
        label: kind.label,
        doc,
        dataset: `tint-${op}-${kind.slug}-doc-${slugNumber(doc)}`,
        ...kind.noise(doc),
      });
    }
  }
  return cells;
}

/** Polls until the job has finished (as test/helpers/jobs.ts does); throws unless it SUCCEEDED. */
async function waitForJob(database: Database, jobId: number): Promise<JobRow> {
  for (;;) {
    const job = await getJob(database.db, jobId);
    if (!job) throw new Error(`job ${jobId} does not exist`);
    if (FINISHED_STATUSES.includes(job.status)) {
      if (job.status !== 'SUCCEEDED')
        throw new Error(`job ${jobId} (${job.kind}) ${job.status}: ${job.error ?? 'no error recorded'}`);
      return job;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const num = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

function resultOf(results: readonly MetricResultView[], key: string): MetricResultView {
  const result = results.find((r) => r.metric === key);
  if (!result) throw new Error(`no stored result for ${key}`);
  if (result.status !== 'COMPLETE')
    throw new Error(`${key} is ${result.status}: ${result.statusReason ?? ''}`);
  return result;
}

async function measureCell(database: Database, cell: Cell, options: ReturnType<typeof parseOptions>) {
  const generation = await enqueueTIntGeneration(database.db, {
    op: options.op,
    digits: options.digits,
    n: options.n,
    seed: options.seed,
    static: cell.static,
    dynamic: cell.dynamic,
    dataset: cell.dataset,
  });
  const generated = await waitForJob(database, generation.id);
  const train = (generated.result as { train?: { versionId?: unknown; noised?: unknown } } | null)?.train;
  if (typeof train?.versionId !== 'number')
    throw new Error(`job ${generation.id} returned no train.versionId`);
  const versionId = train.versionId;

  const compute = await enqueueComputeMetrics(database.db, versionId, Object.values(METRICS), {
    field: 'response',
    [METRICS.validity]: { calls: 'shown' },
  });
  await waitForJob(database, compute.id);
  const results =
    (await latestResultsOfVersions(database.db, [versionId], { metrics: Object.values(METRICS) })).get(
      versionId,
    ) ?? [];

  const validity = resultOf(results, METRICS.validity);
  const row: Row = {
    cell,
    validity: validity.value,
    answerAccuracy: num(validity.details.answerAccuracy),
    cleanRate: num(validity.details.cleanRate),
    localRate: num(validity.details.localRate),
    propagatingRate: num(validity.details.propagatingRate),
    distinct: resultOf(results, METRICS.distinct).value,
    compression: resultOf(results, METRICS.compression).value,
    steps: resultOf(results, METRICS.steps).value,
    length: resultOf(results, METRICS.length).value,
  };
  return { row, versionId, noised: num(train.noised) };
}

const fixed = (value: number | null) => (value === null ? '-' : value.toFixed(3));

function markdownTable(rows: readonly Row[]): string {
  const header = [
    'noise',
    'doc_noise',
    'valid-line fraction',
    'answer accuracy',
    'CLEAN',
    'LOCAL',
    'PROPAGATING',
    'distinct_n',
    'compression_ratio',
    'steps',
    'length',
  ];
  const lines = [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
  ];
  for (const row of rows) {
    const cells = [
      row.cell.label,
      row.cell.doc.toFixed(1),
      fixed(row.validity),
      fixed(row.answerAccuracy),
      fixed(row.cleanRate),
      fixed(row.localRate),
      fixed(row.propagatingRate),
      fixed(row.distinct),
      fixed(row.compression),
      fixed(row.steps),
      fixed(row.length),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions();
  const known = new Set(metricKeys());
  const missing = Object.values(METRICS).filter((key) => !known.has(key));
  if (missing.length > 0) throw new Error(`the registry has no metric ${missing.join(', ')}`);

  const databaseUrl = process.env.DATABASE_URL?.trim() || undefined;
  const connectOptions: ConnectOptions = databaseUrl ? { databaseUrl } : { dataDir: 'memory://' };
  const started = performance.now();
  const database = await openCatalog(connectOptions);
  const worker = startWorker(database, {
    handlers: createJobHandlers({ embedders: new EmbedderRegistry(loadConfig().embedding, silentLogger) }),
    concurrency: 1,
    logger: silentLogger,
    pollMs: 20,
    backoffMs: 50,
  });
  const cells = gridCells(options.op);
  process.stderr.write(
    `TInt noise grid: ${cells.length} versions of ${options.n} ${options.op} samples ` +
      `(digits ${options.digits.join('-')}, seed ${options.seed}) on ${database.location}\n`,
  );
  const rows: Row[] = [];
  try {
    for (const [index, cell] of cells.entries()) {
      const cellStarted = performance.now();
      const { row, versionId, noised } = await measureCell(database, cell, options);
      rows.push(row);
      process.stderr.write(
        `[${String(index + 1).padStart(2)}/${cells.length}] ${cell.dataset} (version ${versionId}, ${noised ?? '?'} noised): ` +
          `valid ${fixed(row.validity)}, accuracy ${fixed(row.answerAccuracy)} ` +
          `(${((performance.now() - cellStarted) / 1000).toFixed(1)} s)\n`,
      );
    }
  } finally {
    await worker.stop();
    await database.close();
  }
  process.stdout.write(`${markdownTable(rows)}\n`);
  process.stderr.write(`done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`tint-noise-grid: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
