/**
 * `qdc tint generate`: TInt datasets of known quality, generated as a job straight into the
 * catalog (progress bar), on the database directly or through a server. `qdc tint sample` prints
 * samples of a spec without touching any database, to see what a setting produces.
 */
import { openCatalog } from '../../app.js';
import { loadConfig } from '../../config.js';
import { EmbedderRegistry } from '../../embeddings/registry.js';
import { silentLogger } from '../../logger.js';
import {
  enqueueTIntGeneration,
  type SplitSummary,
  type TIntGenerationRequest,
} from '../../generation/tintJob.js';
import { generateSample } from '../../tint/generate.js';
import { OPERATION_NAMES } from '../../tint/operations.js';
import {
  DEFAULT_LINE_CAP,
  MAX_DIGITS,
  parseNoiseText,
  parseRangeText,
  validateTIntSpec,
  type TIntSpecInput,
} from '../../tint/spec.js';
import { CALL_MODES } from '../../tint/tracer.js';
import { UsageError, type Command, type OptionSpec } from '../command.js';
import { followRemoteJob, runOwnJob, type JobView } from '../jobFollower.js';
import {
  API_KEY_ENV_DOC,
  makeProgress,
  PROGRESS_ENV_DOC,
  remoteFrom,
  remoteGraphQL,
  remoteOptions,
  reportFailure,
  type Remote,
} from '../remote.js';
import { connectOptions, fileDatabaseOptions } from './databaseOptions.js';

const specOptions: Record<string, OptionSpec> = {
  op: { type: 'string', description: `Operation: ${OPERATION_NAMES.join(', ')}.`, valueName: 'name' },
  digits: {
    type: 'string',
    description: `Operand lengths in digits, e.g. 1-5 or 3 (default 1-3; at most ${MAX_DIGITS}).`,
    valueName: 'a-b',
  },
  range: {
    type: 'string',
    description: 'Operand magnitudes instead of lengths, e.g. 0-999.',
    valueName: 'lo-hi',
  },
  length: {
    type: 'string',
    description: 'List length for sort, gcd and median (default 5).',
    valueName: 'a-b',
  },
  n: { type: 'string', description: 'Training samples to generate.', valueName: 'count' },
  static: { type: 'string', description: 'Static noise: doc=FRACTION[,char=P][,line=P].', valueName: 'spec' },
  dynamic: { type: 'string', description: 'Dynamic noise: doc=FRACTION,p=P.', valueName: 'spec' },
  calls: {
    type: 'string',
    description: `How sub-calls appear: ${CALL_MODES.join(', ')} (default shown).`,
    valueName: 'mode',
  },
  'line-cap': {
    type: 'string',
    description: `Most lines per sample, the answer included (default ${DEFAULT_LINE_CAP}).`,
    valueName: 'lines',
  },
  seed: {
    type: 'string',
    description: 'Seed (default 0); the same seed and settings give the same samples.',
    valueName: 'int',
  },
};

export const tintCommand: Command = {
  name: 'tint',
  summary: 'Generate TInt traced-integer datasets with controlled static/dynamic noise, or preview samples.',
  usage:
    'qdc tint generate --op OP --n COUNT --dataset SLUG [--digits A-B | --range LO-HI] [--length A-B]\n' +
    '                [--static doc=F,char=P,line=P] [--dynamic doc=F,p=P] [--test-n COUNT] [--test-dataset SLUG]\n' +
    '                [--calls MODE] [--line-cap N] [--seed S] [--no-wait] [--data-dir DIR | --database-url URL | --server URL]\n' +
    '       qdc tint sample --op OP [same generation options] [--index I] [--count K] [--json]',
  options: {
    ...specOptions,
    dataset: {
      type: 'string',
      description: 'generate: dataset slug for the training split (created when missing).',
      valueName: 'slug',
    },
    'test-n': {
      type: 'string',
      description: 'generate: clean test samples, generated separately (default 0).',
      valueName: 'count',
    },
    'test-dataset': {
      type: 'string',
      description: 'generate: dataset slug for the test split (default <dataset>-test).',
      valueName: 'slug',
    },
    'no-wait': {
      type: 'boolean',
      description: 'generate: queue the job, print its id and exit (needs a running worker).',
    },
    index: { type: 'string', description: 'sample: first sample index (default 0).', valueName: 'i' },
    count: { type: 'string', description: 'sample: how many samples to print (default 1).', valueName: 'k' },
    json: {
      type: 'boolean',
      description: 'sample: print JSON lines (prompt, response, reference, metadata).',
    },
    ...remoteOptions,
    ...fileDatabaseOptions,
  },
  epilog: [
    "Example (the paper's setting: half the samples with 30% of digits replaced, a fifth with propagating errors):",
    '  qdc tint generate --op mul --digits 1-5 --n 20000 --static doc=0.5,char=0.3 --dynamic doc=0.2,p=0.2 \\',
    '                    --seed 1 --dataset tint-mul --test-n 1000',
    '',
    'Static noise changes a finished trace (digits replaced, lines deleted; never the prompt or the answer line).',
    'Dynamic noise corrupts intermediate values while computing, so later steps and the answer use them.',
    "Each sample's metadata.tint says whether and how it was noised. Measure a version with",
    '  qdc compute tint-mul -m quality.tint_trace_validity',
    '',
    'Environment:',
    '  DATABASE_URL              PostgreSQL URL; unset: the embedded PGlite database.',
    '  QDC_TINT_MAX_SAMPLES      Most samples one generation may ask for (default 10000000).',
    API_KEY_ENV_DOC,
    PROGRESS_ENV_DOC,
  ].join('\n'),
  async run({ values, positionals }) {
    const [action, ...rest] = positionals;
    if (action !== 'generate' && action !== 'sample')
      throw new UsageError('expected an action: generate or sample');
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    if (action === 'sample') return printSamples(values);
    if (typeof values.dataset !== 'string') throw new UsageError('tint generate needs --dataset SLUG');
    if (values.n === undefined) throw new UsageError('tint generate needs --n COUNT');
    const config = loadConfig();
    const request: TIntGenerationRequest = {
      ...specInput(values),
      testN: optionalInt(values, 'test-n') ?? 0,
      dataset: values.dataset,
      testDataset: (values['test-dataset'] as string | undefined) ?? null,
    };
    validateTIntSpec(request, config.tintMaxSamples); // every error before anything is generated
    try {
      const remote = remoteFrom(values);
      const job = remote
        ? await generateRemote(remote, request, values)
        : await generateDirect(request, values, config.jobLeaseMs, config.tintMaxSamples);
      if (job) printOutcome(job);
      return 0;
    } catch (error) {
      return reportFailure('tint', error);
    }
  },
};

function optionalInt(values: Record<string, unknown>, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  if (!/^-?\d+$/.test(text)) throw new UsageError(`--${name} must be an integer (got "${text}")`);
  return Number(text);
}

function rangeOption(values: Record<string, unknown>, name: string): [string, string] | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const range = parseRangeText(String(raw));
  if (!range)
    throw new UsageError(`--${name} must look like A-B or A with non-negative integers (got "${raw}")`);
  return range;
}

const toInts = (range: [string, string] | undefined): [number, number] | undefined =>
  range ? [Number(range[0]), Number(range[1])] : undefined;

/** The generation settings from flags; validation of the values is validateTIntSpec's. */
function specInput(values: Record<string, unknown>): TIntSpecInput {
  if (typeof values.op !== 'string') throw new UsageError(`--op is required (${OPERATION_NAMES.join(', ')})`);
  return {
    op: values.op,
    digits: toInts(rangeOption(values, 'digits')),
    range: rangeOption(values, 'range'),
    length: toInts(rangeOption(values, 'length')),
    n: optionalInt(values, 'n') ?? NaN,
    static: typeof values.static === 'string' ? parseNoiseText('static', values.static) : null,
    dynamic: typeof values.dynamic === 'string' ? parseNoiseText('dynamic', values.dynamic) : null,
    calls: values.calls as string | undefined,
    lineCap: optionalInt(values, 'line-cap'),
    seed: optionalInt(values, 'seed'),
  };
}

function printSamples(values: Record<string, unknown>): number {
  const index = optionalInt(values, 'index') ?? 0;
  const count = optionalInt(values, 'count') ?? 1;
  if (index < 0 || count < 1 || count > 10_000)
    throw new UsageError('--index must be >= 0 and --count between 1 and 10000');
  const input = specInput(values);
  const spec = validateTIntSpec({ ...input, n: Number.isNaN(input.n) ? index + count : input.n });
  for (let i = index; i < index + count; i++) {
    const sample = generateSample(spec, 'train', i);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(sample)}\n`);
    } else {
      const tint = sample.metadata.tint;
      const noise =
        [tint.static ? 'static' : null, tint.dynamic ? 'dynamic' : null].filter(Boolean).join('+') || 'clean';
      process.stdout.write(
        `# sample ${i} (${noise}${tint.truncated ? ', cut at the line cap' : ''}; correct answer: ${sample.reference})\n`,
      );
      process.stdout.write(`${sample.prompt}\n${sample.response}\n\n`);
    }
  }
  return 0;
}

async function generateDirect(
  request: TIntGenerationRequest,
  values: Record<string, unknown>,
  leaseMs: number,
  maxSamples: number,
) {
  const database = await openCatalog(connectOptions(loadConfig(), values));
  try {
    const job = await enqueueTIntGeneration(database.db, request, maxSamples);
    process.stderr.write(
      `tint: queued job ${job.id} (${(job.progressTotal ?? 0).toLocaleString('en-US')} samples)\n`,
    );
    if (values['no-wait']) return null;
    const progress = makeProgress(values, {
      label: 'tint',
      unit: 'samples',
      totalUnits: job.progressTotal ?? undefined,
    });
    return await runOwnJob(database, job, {
      leaseMs,
      progress,
      cancelledNote: 'cancelled: the split being written was not kept',
      interruptedNote:
        'went back to the queue (the split being written was not kept; generation restarts it identically)',
      embedders: new EmbedderRegistry(loadConfig().embedding, silentLogger),
    });
  } finally {
    await database.close();
  }
}

async function generateRemote(
  remote: Remote,
  request: TIntGenerationRequest,
  values: Record<string, unknown>,
) {
  const input = {
    dataset: request.dataset,
    testDataset: request.testDataset,
    op: request.op.toUpperCase(),
    digits: request.digits ? { min: request.digits[0], max: request.digits[1] } : null,
    range: request.range ? { min: String(request.range[0]), max: String(request.range[1]) } : null,
    length: request.length ? { min: request.length[0], max: request.length[1] } : null,
    n: request.n,
    testN: request.testN,
    static: request.static,
    dynamic: request.dynamic,
    calls: request.calls?.toUpperCase(),
    lineCap: request.lineCap,
    seed: request.seed,
  };
  const { generateTIntDataset: job } = await remoteGraphQL<{
    generateTIntDataset: { id: string; progress: { total: number | null } };
  }>(
    remote,
    'mutation ($input: TIntGenerationInput!) { generateTIntDataset(input: $input) { id progress { total } } }',
    { input: Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined && v !== null)) },
  );
  process.stderr.write(`tint: queued job ${job.id}\n`);
  if (values['no-wait']) return null;
  const progress = makeProgress(values, {
    label: 'tint',
    unit: 'samples',
    totalUnits: job.progress.total ?? undefined,
  });
  return followRemoteJob(remote, job.id, progress, 'cancelled: the split being written was not kept');
}

interface SplitOutcome extends SplitSummary {
  dataset: string;
  version: number;
  versionId: number;
  created: boolean;
}

function printOutcome(job: JobView): void {
  const result = (job.result ?? {}) as {
    train?: SplitOutcome | null;
    test?: SplitOutcome | null;
    stopped?: string;
  };
  if (result.stopped) {
    process.stdout.write(`stopped (${result.stopped}); no unfinished split was kept\n`);
    return;
  }
  for (const [label, split] of [
    ['train', result.train],
    ['test', result.test],
  ] as const) {
    if (!split) continue;
    const reused = split.created ? '' : ' (identical content already existed; returned it)';
    process.stdout.write(
      `${label}: ${split.dataset}@${split.version} (version id ${split.versionId})${reused}: ${split.samples} samples, ` +
        `${split.noised} noised (${split.staticNoised} static, ${split.dynamicNoised} dynamic), ${split.truncated} cut at the line cap\n`,
    );
    if (split.truncated > 0) {
      process.stderr.write(
        `tint: ${split.truncated} ${label} traces reached the line cap; raise --line-cap or shorten operands\n`,
      );
    }
  }
}
