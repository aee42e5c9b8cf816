/**
 * `qdc scores push <version> <file> --scorer NAME`: stores per-sample scores computed elsewhere (a
 * reward model, an LLM judge) from a JSONL file, `{"ordinal": 3, "value": 0.82}` or
 * `{"sample": "<Sample id>", "value": 0.82}` per line, all or nothing, straight in the database or
 * through `POST /v1/versions/{id}/scores`. Both modes print the route's JSON.
 */
import { openCatalog } from '../../app.js';
import { loadConfig } from '../../config.js';
import { recordExternalScores } from '../../metricRuns/externalScores.js';
import { scoreBatches, scoresResponse } from '../../http/scoresRoute.js';
import { idOf } from '../../globalId.js';
import { UsageError, type Command } from '../command.js';
import { gunzipped, openInput } from '../inputFiles.js';
import {
  API_KEY_ENV_DOC,
  remoteFetch,
  remoteFrom,
  remoteOptions,
  reportFailure,
  responseFailure,
  type Remote,
} from '../remote.js';
import { resolveDirect, resolveRemote, VERSION_REF_HELP } from '../versionRef.js';
import { connectOptions, fileDatabaseOptions } from './databaseOptions.js';

const { 'no-progress': _noProgress, ...serverOptions } = remoteOptions;

export type ScoresJson = ReturnType<typeof scoresResponse>;

/** The score file formats by name ending. */
type ScoreFormat = 'jsonl' | 'jsonl.gz' | 'parquet';

/**
 * How a file's name says it is read. Parquet is the hook for the Parquet reader (the `parquet`
 * branch): give `scoreFileRecords` a Parquet case that yields the same ExternalScore batches and
 * send `application/vnd.apache.parquet` to the route; until then it is refused by name.
 */
function scoreFormatOf(file: string): ScoreFormat {
  const lower = file.toLowerCase();
  if (lower.endsWith('.parquet')) return 'parquet';
  if (lower.endsWith('.gz')) return 'jsonl.gz';
  return 'jsonl';
}

export const scoresCommand: Command = {
  name: 'scores',
  summary: 'Push per-sample scores computed elsewhere (reward model, LLM judge) for a version.',
  usage:
    'qdc scores push <version> <file.jsonl[.gz] | -> --scorer NAME [--model ID] [--scorer-version V] [--json]\n' +
    '                [--data-dir DIR | --database-url URL | --server URL [--api-key KEY]]',
  options: {
    scorer: {
      type: 'string',
      description: 'Name of the scorer (required), e.g. skywork-reward.',
      valueName: 'name',
    },
    model: { type: 'string', description: "The scorer's model id.", valueName: 'id' },
    'scorer-version': { type: 'string', description: 'Version of the scorer or its prompt.', valueName: 'v' },
    json: { type: 'boolean', description: 'Print the stored aggregate as JSON.' },
    ...serverOptions,
    ...fileDatabaseOptions,
  },
  epilog: [
    VERSION_REF_HELP,
    'Each line is {"ordinal": N, "value": X} or {"sample": "<id>", "value": X}. One bad line (its',
    'number is in the message) stores nothing; pushing a sample again replaces its score. The',
    'scores become the metric external:<scorer>, comparable with "qdc compare -m external:<scorer>".',
    'Parquet score files are not read yet.',
    '',
    'Environment:',
    '  DATABASE_URL              PostgreSQL URL; unset: the embedded PGlite database.',
    '  QDC_DATA_DIR              PGlite data directory (default ./.qdc/pglite).',
    API_KEY_ENV_DOC,
  ].join('\n'),
  async run({ values, positionals }) {
    const [action, ...rest] = positionals;
    if (action !== 'push') {
      throw new UsageError(
        action === undefined ? 'expected an action: push' : `unknown action "${action}" (expected push)`,
      );
    }
    if (rest.length !== 2) throw new UsageError('push takes a version and a file');
    const scorer = values.scorer as string | undefined;
    if (!scorer) throw new UsageError('--scorer NAME is required');
    const [ref, file] = rest as [string, string];
    const format = scoreFormatOf(file);
    if (format === 'parquet') {
      throw new UsageError(`${file}: Parquet score files are not supported yet; convert them to JSONL`);
    }
    const identity = {
      name: scorer,
      model: (values.model as string | undefined) ?? null,
      version: (values['scorer-version'] as string | undefined) ?? null,
    };
    try {
      const remote = remoteFrom(values);
      const output = remote
        ? await pushRemote(remote, ref, file, format, identity)
        : await pushDirect(values, ref, file, format, identity);
      process.stdout.write(values.json ? `${JSON.stringify(output, null, 2)}\n` : formatScores(output));
      return 0;
    } catch (error) {
      return reportFailure('scores', error);
    }
  },
};

interface Identity {
  name: string;
  model: string | null;
  version: string | null;
}

async function pushDirect(
  values: Record<string, unknown>,
  ref: string,
  file: string,
  format: ScoreFormat,
  identity: Identity,
): Promise<ScoresJson> {
  const config = loadConfig();
  const database = await openCatalog(connectOptions(config, values));
  const input = await openInput(file);
  try {
    const version = await resolveDirect(database.db, ref);
    const bytes = format === 'jsonl.gz' ? gunzipped(input.stream, file) : input.stream;
    const outcome = await recordExternalScores(
      database,
      version.id,
      identity,
      scoreBatches(bytes, config.maxRecordBytes),
    );
    return scoresResponse(outcome);
  } finally {
    await input.close();
    await database.close();
  }
}

async function pushRemote(
  remote: Remote,
  ref: string,
  file: string,
  format: ScoreFormat,
  identity: Identity,
): Promise<ScoresJson> {
  const version = await resolveRemote(remote, ref);
  idOf('DatasetVersion', version.id, 'version');
  const query = new URLSearchParams({ scorer: identity.name });
  if (identity.model !== null) query.set('model', identity.model);
  if (identity.version !== null) query.set('scorerVersion', identity.version);
  const input = await openInput(file);
  try {
    const response = await remoteFetch(
      remote,
      `/v1/versions/${encodeURIComponent(version.id)}/scores?${query}`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-ndjson',
          accept: 'application/json',
          ...(format === 'jsonl.gz' ? { 'content-encoding': 'gzip' } : {}),
        },
        body: chunks(input.stream),
        duplex: 'half',
      },
    );
    if (!response.ok) throw await responseFailure(response);
    return (await response.json()) as ScoresJson;
  } finally {
    await input.close();
  }
}

async function* chunks(stream: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const chunk of stream) yield chunk;
}

function formatScores(s: ScoresJson): string {
  const r = s.result;
  return `stored ${s.recorded} scores as ${r.metric}: mean ${r.value ?? '-'} over ${r.n ?? 0} samples (${r.status})\n`;
}
