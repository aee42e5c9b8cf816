/**
 * `qdc overlap <version> --against <version>`: how much of a version is found in another one
 * (contamination with a benchmark's test split, say), or duplicated within itself without
 * --against: runs the overlap job (in this process, or on the server) and prints the outcome.
 */
import { getJob } from '../../jobs/queue.js';
import { idOf } from '../../globalId.js';
import { UsageError, type Command } from '../command.js';
import { refOf, resolveVersion, withCatalogClient, type CatalogClient } from '../catalogClient.js';
import { followRemoteJob, runOwnJob } from '../jobFollower.js';
import {
  API_KEY_ENV_DOC,
  CommandFailure,
  makeProgress,
  PROGRESS_ENV_DOC,
  remoteOptions,
  reportFailure,
} from '../remote.js';
import { VERSION_REF_HELP } from '../versionRef.js';
import { fileDatabaseOptions } from './databaseOptions.js';
import { intOption } from './lineage.js';

const SAMPLE = 'id ordinal prompt';
const OVERLAP_QUERY = `query ($v: ID!, $against: ID, $space: String, $pairs: Int) {
  version(id: $v) { overlaps(against: $against, space: $space) {
    id status statusReason estimator threshold neighbours sampleCount matchedSamples contaminationRate
    exactPairs nearPairs computedAt
    version { id version dataset { slug } } against { id version dataset { slug } } space { key }
    pairs(first: $pairs) { edges { node { kind similarity sample { ${SAMPLE} } matched { ${SAMPLE} } } } }
  } }
}`;

interface OverlapVersion {
  id: string;
  version: number;
  dataset: { slug: string };
  ref?: string;
}

export interface OverlapJson {
  id: string;
  status: string;
  statusReason: string | null;
  estimator: string | null;
  threshold: number;
  neighbours: number;
  sampleCount: number | null;
  matchedSamples: number | null;
  contaminationRate: number | null;
  exactPairs: number | null;
  nearPairs: number | null;
  computedAt: string | null;
  version: OverlapVersion;
  against: OverlapVersion;
  space: { key: string };
  pairs: {
    kind: string;
    similarity: number;
    sample: { id: string; ordinal: number; prompt: string | null };
    matched: { id: string; ordinal: number; prompt: string | null };
  }[];
}

export const overlapCommand: Command = {
  name: 'overlap',
  summary: 'Find how much of a version occurs in another (contamination) or in itself (duplicates).',
  usage:
    'qdc overlap <version> [--against VERSION] [--threshold T] [--space SPACE] [--pairs N] [--json]\n' +
    '                   [--data-dir DIR | --database-url URL | --server URL [--api-key KEY]]',
  options: {
    against: {
      type: 'string',
      short: 'a',
      description: 'The version to check against (default: the version itself, i.e. duplicates).',
      valueName: 'version',
    },
    threshold: {
      type: 'string',
      short: 't',
      description: 'Cosine similarity in (0, 1] from which two samples are a near match (default 0.95).',
      valueName: 't',
    },
    space: {
      type: 'string',
      short: 's',
      description: 'Embedding space as model@revision:dtype (default: the default space).',
      valueName: 'space',
    },
    pairs: {
      type: 'string',
      description: 'How many matching pairs to print, most similar first, 0 to 100 (default 10).',
      valueName: 'n',
    },
    json: { type: 'boolean', description: 'Print the overlap run and its pairs as JSON.' },
    ...remoteOptions,
    ...fileDatabaseOptions,
  },
  epilog: [
    VERSION_REF_HELP,
    'Samples without a vector in the space are embedded first. Exact pairs share a content hash.',
    '',
    'Environment:',
    '  DATABASE_URL              PostgreSQL URL; unset: the embedded PGlite database.',
    '  QDC_DATA_DIR              PGlite data directory (default ./.qdc/pglite).',
    '  QDC_EMBEDDER              Default embedder in this process (direct mode).',
    API_KEY_ENV_DOC,
    PROGRESS_ENV_DOC,
  ].join('\n'),
  async run({ values, positionals }) {
    if (positionals.length !== 1) throw new UsageError('expected exactly one version');
    const thresholdText = (values.threshold as string | undefined) ?? '0.95';
    const threshold = Number(thresholdText);
    if (!Number.isFinite(threshold))
      throw new UsageError(`--threshold must be a number (got "${thresholdText}")`);
    const pairs = intOption(values, 'pairs', 10);
    const space = (values.space as string | undefined) ?? null;
    try {
      const overlap = await withCatalogClient(values, async (client) => {
        const version = await resolveVersion(client, positionals[0]!);
        const against =
          values.against === undefined ? version : await resolveVersion(client, String(values.against));
        const { findOverlap: job } = await client.request<{ findOverlap: { id: string } }>(
          'mutation ($v: ID!, $a: ID, $t: Float!, $s: String) { findOverlap(version: $v, against: $a, threshold: $t, space: $s) { id } }',
          { v: version.id, a: against.id, t: threshold, s: space },
        );
        process.stderr.write(`overlap: queued job ${job.id}: ${version.ref} against ${against.ref}\n`);
        await waitFor(client, job.id, values);
        const data = await client.request<{ version: { overlaps: RawOverlap | null } }>(OVERLAP_QUERY, {
          v: version.id,
          against: against.id,
          space,
          pairs,
        });
        const o = data.version.overlaps;
        if (!o) throw new CommandFailure(`the overlap job finished but left no result for ${version.ref}`);
        const { pairs: connection, ...rest } = o;
        return {
          ...rest,
          version: { ...o.version, ref: refOf(o.version) },
          against: { ...o.against, ref: refOf(o.against) },
          pairs: connection.edges.map((e) => e.node),
        } satisfies OverlapJson;
      });
      process.stdout.write(values.json ? `${JSON.stringify(overlap, null, 2)}\n` : formatOverlap(overlap));
      return 0;
    } catch (error) {
      return reportFailure('overlap', error);
    }
  },
};

type RawOverlap = Omit<OverlapJson, 'pairs'> & { pairs: { edges: { node: OverlapJson['pairs'][number] }[] } };

async function waitFor(client: CatalogClient, jobId: string, values: Record<string, unknown>): Promise<void> {
  const progress = makeProgress(values, { label: 'overlap', unit: 'samples' });
  const note = 'cancelled: no overlap result was stored';
  if (client.remote) {
    await followRemoteJob(client.remote, jobId, progress, note);
    return;
  }
  const { database, config, embedders } = client.local!;
  const row = await getJob(database.db, idOf('Job', jobId, 'job'));
  if (!row) throw new CommandFailure(`job ${jobId} vanished`);
  const job = await runOwnJob(database, row, {
    leaseMs: config.jobLeaseMs,
    progress,
    cancelledNote: note,
    interruptedNote: 'went back to the queue',
    embedders,
  });
  if (job.status === 'CANCELLED') throw new CommandFailure(note);
}

function formatOverlap(o: OverlapJson): string {
  const self = o.version.id === o.against.id;
  const rate = o.contaminationRate === null ? '-' : `${(o.contaminationRate * 100).toFixed(2)}%`;
  const lines = [
    self
      ? `${o.version.ref}: ${o.matchedSamples ?? 0} of ${o.sampleCount ?? 0} samples are in a duplicate pair (${rate})`
      : `${o.version.ref} against ${o.against.ref}: ${o.matchedSamples ?? 0} of ${o.sampleCount ?? 0} samples matched (${rate})`,
    `exact pairs ${o.exactPairs ?? 0}, near pairs ${o.nearPairs ?? 0} (cosine >= ${o.threshold}, space ${o.space.key}, ${o.estimator ?? '-'}, ${o.status})`,
  ];
  for (const p of o.pairs) {
    lines.push(
      `  ${p.kind.padEnd(5)} ${p.similarity.toFixed(4)}  #${p.sample.ordinal} ~ #${p.matched.ordinal}  ${(p.sample.prompt ?? '').replace(/\s+/g, ' ').slice(0, 60)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
