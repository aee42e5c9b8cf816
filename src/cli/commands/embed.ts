/**
 * `qdc embed <version>`: gives every sample of a version a vector in an embedding space (the
 * default space unless --space names one) as a job with a progress bar, then says how many were
 * embedded and whether the space's HNSW index was built. Resumable: run it again after an
 * interruption and only the missing samples are embedded.
 */
import { openCatalog } from '../../app.js';
import { ENV_DOCS, loadConfig } from '../../config.js';
import { EMBED_VERSION, enqueueEmbedVersion } from '../../embeddings/embedJob.js';
import { EmbedderRegistry } from '../../embeddings/registry.js';
import { payloadOf } from '../../jobs/kinds.js';
import { createLogger } from '../../logger.js';
import { UsageError, type Command } from '../command.js';
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
import { resolveDirect, resolveRemote, VERSION_REF_HELP } from '../versionRef.js';
import { connectOptions, fileDatabaseOptions } from './databaseOptions.js';

const CANCELLED_NOTE = 'cancelled: the vectors written so far are kept; run it again to finish';

export const embedCommand: Command = {
  name: 'embed',
  summary:
    "Embed every sample of a version into an embedding space (progress bar; resumable), then build the space's HNSW index.",
  usage:
    'qdc embed <version-id | slug@N | slug> [--space MODEL@REVISION:DTYPE] [--no-wait]\n' +
    '                 [--data-dir DIR | --database-url URL | --server URL [--api-key KEY]]',
  options: {
    space: {
      type: 'string',
      short: 's',
      description:
        'Embedding space, e.g. Xenova/all-MiniLM-L6-v2@main:q8 or qdc/lexical-hash (default: the configured default).',
      valueName: 'space',
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
    'Environment (the embedding settings apply when the job runs in this process):',
    ...ENV_DOCS.filter(([name]) => name === 'DATABASE_URL' || /EMBED|MODEL/.test(name)).map(
      ([n, d]) => `  ${n.padEnd(24)}${d}`,
    ),
    API_KEY_ENV_DOC,
    PROGRESS_ENV_DOC,
  ].join('\n'),
  async run({ values, positionals }) {
    if (positionals.length !== 1) throw new UsageError('expected exactly one version');
    const space = typeof values.space === 'string' ? values.space : null;
    try {
      const remote = remoteFrom(values);
      const job = remote
        ? await embedRemote(remote, positionals[0]!, space, values)
        : await embedDirect(positionals[0]!, space, values);
      if (job) process.stdout.write(describeResult(job));
      return 0;
    } catch (error) {
      return reportFailure('embed', error);
    }
  },
};

async function embedDirect(
  ref: string,
  space: string | null,
  values: Record<string, unknown>,
): Promise<JobView | null> {
  const config = loadConfig();
  const database = await openCatalog(connectOptions(config, values));
  const embedders = new EmbedderRegistry(
    config.embedding,
    createLogger({ level: config.logLevel, format: config.logFormat }),
  );
  try {
    const version = await resolveDirect(database.db, ref);
    const job = await enqueueEmbedVersion(database.db, embedders, version.id, space);
    process.stderr.write(
      `embed: queued job ${job.id} on version ${version.id} (${version.sampleCount} samples) into ${payloadOf(EMBED_VERSION, job).space}\n`,
    );
    if (values['no-wait']) return null;
    const progress = makeProgress(values, {
      label: 'embed',
      unit: 'samples',
      totalUnits: job.progressTotal ?? undefined,
    });
    return await runOwnJob(database, job, {
      leaseMs: config.jobLeaseMs,
      progress,
      cancelledNote: CANCELLED_NOTE,
      interruptedNote: 'went back to the queue (vectors written so far are kept)',
      embedders,
    });
  } finally {
    await embedders.close();
    await database.close();
  }
}

async function embedRemote(
  remote: Remote,
  ref: string,
  space: string | null,
  values: Record<string, unknown>,
): Promise<JobView | null> {
  const version = await resolveRemote(remote, ref);
  const { embedVersion: job } = await remoteGraphQL<{
    embedVersion: { id: string; progress: { total: number | null } };
  }>(
    remote,
    `mutation ($v: ID!, $s: String) { embedVersion(version: $v, space: $s) { id progress { total } } }`,
    { v: version.id, s: space },
  );
  process.stderr.write(
    `embed: queued job ${job.id} on version ${version.id} (${version.sampleCount} samples)\n`,
  );
  if (values['no-wait']) return null;
  const progress = makeProgress(values, {
    label: 'embed',
    unit: 'samples',
    totalUnits: job.progress.total ?? undefined,
  });
  return followRemoteJob(remote, job.id, progress, CANCELLED_NOTE);
}

export function describeResult(job: JobView): string {
  const result = (job.result ?? {}) as {
    space?: string;
    dims?: number;
    embedded?: number;
    alreadyEmbedded?: number;
    samplesPerSecond?: number | null;
    index?: { built: boolean; vectors: number; ms: number; maintenanceWorkMemMb: number };
  };
  const lines = [
    `space ${result.space ?? '?'} (${result.dims ?? '?'} dims): embedded ${result.embedded ?? 0} samples` +
      (result.samplesPerSecond ? ` at ${result.samplesPerSecond} samples/s` : '') +
      `, ${result.alreadyEmbedded ?? 0} already had a vector`,
  ];
  if (result.index?.built) {
    lines.push(
      `built the space's HNSW index over ${result.index.vectors} vectors in ${(result.index.ms / 1000).toFixed(1)} s (maintenance_work_mem ${result.index.maintenanceWorkMemMb} MB)`,
    );
  } else if (result.index) {
    lines.push(`the space's HNSW index already existed (${result.index.vectors} vectors)`);
  }
  if (job.status === 'CANCELLED') lines.push(CANCELLED_NOTE);
  return `${lines.join('\n')}\n`;
}
