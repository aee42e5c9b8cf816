/**
 * `qdc compute <version>`: queues a metrics job and follows it with a progress bar, then prints the
 * results. Straight on the database (the job runs in this process unless another worker takes it
 * first) or through a server (`--server`, the server's workers run it).
 */
import { openCatalog } from '../../app.js';
import { loadConfig } from '../../config.js';
import { EmbedderRegistry } from '../../embeddings/registry.js';
import { createLogger } from '../../logger.js';
import { enqueueComputeMetrics } from '../../metricRuns/computeJob.js';
import { metricThreadsOf } from '../../metricRuns/metricThreads.js';
import { metricKeys } from '../../metrics/registry.js';
import { UsageError, type Command } from '../command.js';
import { formatMetricTable } from '../metricTable.js';
import { followRemoteJob, runOwnJob } from '../jobFollower.js';
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
import { resolveDirect, resolveRemote, VERSION_REF_HELP } from '../versionRef.js';
import { connectOptions, fileDatabaseOptions } from './databaseOptions.js';
import { metricRowsOf, remoteMetricRows } from './metrics.js';

const CANCELLED_NOTE = 'cancelled: results are PARTIAL';

export const computeCommand: Command = {
  name: 'compute',
  summary: 'Compute QDC metrics on a version as a job (progress bar), then print the results.',
  usage:
    'qdc compute <version-id | slug@N | slug> [--metrics KEY,KEY...] [--param NAME=VALUE ...] [--params JSON] [--no-wait]\n' +
    '                   [--data-dir DIR | --database-url URL | --server URL [--api-key KEY]]',
  options: {
    metrics: {
      type: 'string',
      short: 'm',
      description: 'Comma-separated metric keys (default: all; see the list below).',
      valueName: 'keys',
    },
    param: {
      type: 'string',
      multiple: true,
      description:
        'A parameter for every metric that has it (field=prompt), or for one metric (diversity.distinct_n:n=1). Repeatable.',
      valueName: 'name=value',
    },
    params: {
      type: 'string',
      description: 'All parameters as JSON, as GraphQL computeMetrics takes them.',
      valueName: 'json',
    },
    'no-wait': {
      type: 'boolean',
      description: 'Queue the job, print its id and exit (needs a running worker).',
    },
    ...remoteOptions,
    ...fileDatabaseOptions,
  },
  epilog: [
    VERSION_REF_HELP,
    '',
    `Metrics: ${metricKeys().join(', ')}.`,
    'Every text metric takes field=prompt|response|prompt+response (default response).',
    'Embedding metrics (vendi, chamfer, ...) take space=MODEL@REVISION:DTYPE (default: the default space) and need the',
    'version embedded first ("qdc embed"); diversity.diversity_gain needs base=<version>, e.g. --param diversity.diversity_gain:base=gsm8k@1,',
    'and diversity.novelsum needs reference=<version> (the pool its density is estimated in).',
    'Judge metrics (quality.llm_judge, complexity.llm_judge, quality.llm_preference, quality.reward) need endpoint=<OpenAI-compatible base URL> and',
    'model=<id>, e.g. --param endpoint=http://127.0.0.1:8000/v1 --param model=Qwen/Qwen2.5-7B-Instruct; optional template=<name[@version]>,',
    'apiKeyEnv=<variable holding the key>, concurrency, requestsPerMinute, temperature, seed, maxTokens, subsetSize.',
    '',
    'Environment:',
    '  DATABASE_URL              PostgreSQL URL; unset: the embedded PGlite database.',
    API_KEY_ENV_DOC,
    PROGRESS_ENV_DOC,
  ].join('\n'),
  async run({ values, positionals }) {
    if (positionals.length !== 1) throw new UsageError('expected exactly one version');
    const keys =
      typeof values.metrics === 'string'
        ? values.metrics
            .split(',')
            .map((k) => k.trim())
            .filter(Boolean)
        : null;
    const params = parseParams(values.param as string[] | undefined, values.params as string | undefined);
    try {
      const remote = remoteFrom(values);
      if (remote) await computeRemote(remote, positionals[0]!, keys, params, values);
      else await computeDirect(positionals[0]!, keys, params, values);
      return 0;
    } catch (error) {
      return reportFailure('compute', error);
    }
  },
};

/** `--param` values become numbers when they read as numbers, else strings. */
export function parseParams(
  pairs: readonly string[] | undefined,
  json: string | undefined,
): Record<string, unknown> | null {
  let params: Record<string, unknown> = {};
  if (json !== undefined) {
    try {
      params = JSON.parse(json) as Record<string, unknown>;
    } catch (error) {
      throw new UsageError(`--params is not valid JSON: ${(error as Error).message}`);
    }
    if (params === null || typeof params !== 'object' || Array.isArray(params))
      throw new UsageError('--params must be a JSON object');
  }
  for (const pair of pairs ?? []) {
    const match = /^(?:([^:=]+):)?([^:=]+)=(.*)$/.exec(pair);
    if (!match) throw new UsageError(`--param "${pair}" must look like name=value or metric.key:name=value`);
    const [, metric, name, raw] = match;
    const value = raw!.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    if (metric) {
      const own = (params[metric] ??= {}) as Record<string, unknown>;
      own[name!] = value;
    } else {
      params[name!] = value;
    }
  }
  return Object.keys(params).length > 0 ? params : null;
}

async function computeDirect(
  ref: string,
  keys: string[] | null,
  params: unknown,
  values: Record<string, unknown>,
): Promise<void> {
  const config = loadConfig();
  const database = await openCatalog(connectOptions(config, values));
  const embedders = new EmbedderRegistry(
    config.embedding,
    createLogger({ level: config.logLevel, format: config.logFormat }),
  );
  try {
    const version = await resolveDirect(database.db, ref);
    const job = await enqueueComputeMetrics(database.db, version.id, keys, params, {
      embedders,
      resolveVersion: async (reference) => (await resolveDirect(database.db, String(reference))).id,
    });
    process.stderr.write(
      `compute: queued job ${job.id} on version ${version.id} (${version.sampleCount} samples)\n`,
    );
    if (values['no-wait']) return;
    const progress = makeProgress(values, {
      label: 'compute',
      unit: 'samples',
      totalUnits: job.progressTotal ?? undefined,
    });
    // Ctrl-C: the worker stops at the next batch, stores PARTIAL results and hands the job back.
    await runOwnJob(database, job, {
      leaseMs: config.jobLeaseMs,
      metricThreads: metricThreadsOf(config),
      progress,
      cancelledNote: CANCELLED_NOTE,
      interruptedNote: 'went back to the queue with PARTIAL results',
      embedders,
    });
    process.stdout.write(formatMetricTable(await metricRowsOf(database.db, version.id)));
  } finally {
    await embedders.close();
    await database.close();
  }
}

async function computeRemote(
  remote: Remote,
  ref: string,
  keys: string[] | null,
  params: unknown,
  values: Record<string, unknown>,
) {
  const version = await resolveRemote(remote, ref);
  const fields = 'id status error progress { done total }';
  const { computeMetrics: job } = await remoteGraphQL<{
    computeMetrics: { id: string; progress: { total: number | null } };
  }>(
    remote,
    `mutation ($v: ID!, $m: [String!], $p: JSON) { computeMetrics(version: $v, metrics: $m, params: $p) { ${fields} } }`,
    { v: version.id, m: keys, p: params },
  );
  process.stderr.write(
    `compute: queued job ${job.id} on version ${version.id} (${version.sampleCount} samples)\n`,
  );
  if (values['no-wait']) return;
  const progress = makeProgress(values, {
    label: 'compute',
    unit: 'samples',
    totalUnits: job.progress.total ?? undefined,
  });
  await followRemoteJob(remote, job.id, progress, CANCELLED_NOTE);
  process.stdout.write(formatMetricTable(await remoteMetricRows(remote, ref)));
}
