/**
 * `qdc scores push <version> <file> --scorer NAME`: stores per-sample scores computed elsewhere (a
 * reward model, an LLM judge) from a JSONL file, `{"ordinal": 3, "value": 0.82}` or
 * `{"sample": "<Sample id>", "value": 0.82}` per line, or from a Parquet file with those columns,
 * all or nothing, straight in the database or through `POST /v1/versions/{id}/scores`. Both modes
 * print the route's JSON.
 */
import { idOf } from '../../globalId.js';
import { PARQUET_CONTENT_TYPE } from '../../ingest/exportParquet.js';
import { looksLikeParquet, openParquetFile } from '../../ingest/parquetFile.js';
import { recordExternalScores } from '../../metricRuns/externalScores.js';
import { parquetScoreBatches, scoreBatches, scoresResponse } from '../../http/scoresRoute.js';
import {
  CLIENT_ENV_HELP,
  CLIENT_OPTIONS,
  resolveVersion,
  withCatalogClient,
  type CatalogClient,
} from '../catalogClient.js';
import { UsageError, type Command } from '../command.js';
import { describeFsError, gunzipped, openInput } from '../inputFiles.js';
import { CommandFailure, remoteFetch, reportFailure, responseFailure, type Remote } from '../remote.js';
import { VERSION_REF_HELP } from '../versionRef.js';

export type ScoresJson = ReturnType<typeof scoresResponse>;

/** The score file formats: by name ending, and a file starting with "PAR1" is Parquet too. */
type ScoreFormat = 'jsonl' | 'jsonl.gz' | 'parquet';

async function scoreFormatOf(file: string): Promise<ScoreFormat> {
  const lower = file.toLowerCase();
  if (lower.endsWith('.parquet') || (file !== '-' && (await looksLikeParquet(file)))) return 'parquet';
  if (lower.endsWith('.gz')) return 'jsonl.gz';
  return 'jsonl';
}

export const scoresCommand: Command = {
  name: 'scores',
  summary: 'Push per-sample scores computed elsewhere (reward model, LLM judge) for a version.',
  usage:
    'qdc scores push <version> <file.jsonl[.gz] | file.parquet | -> --scorer NAME [--model ID]\n' +
    '                [--scorer-version V] [--json]\n' +
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
    ...CLIENT_OPTIONS,
  },
  epilog: [
    VERSION_REF_HELP,
    'Each line is {"ordinal": N, "value": X} or {"sample": "<id>", "value": X}; a Parquet file has',
    'the columns ordinal (integer) or sample (string), and value (a null cell counts as absent).',
    'One bad line or row (its number is in the message) stores nothing; pushing a sample again',
    'replaces its score. The scores become the metric external:<scorer>, comparable with',
    '"qdc compare -m external:<scorer>".',
    '',
    ...CLIENT_ENV_HELP,
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
    const identity = {
      name: scorer,
      model: (values.model as string | undefined) ?? null,
      version: (values['scorer-version'] as string | undefined) ?? null,
    };
    try {
      const format = await scoreFormatOf(file);
      const output = await withCatalogClient(values, async (client) => {
        const version = await resolveVersion(client, ref);
        return client.remote
          ? pushRemote(client.remote, version.id, file, format, identity)
          : pushDirect(client, version.id, file, format, identity);
      });
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
  client: CatalogClient,
  versionId: string,
  file: string,
  format: ScoreFormat,
  identity: Identity,
): Promise<ScoresJson> {
  const { database, config } = client.local!;
  const id = idOf('DatasetVersion', versionId, 'version');
  if (format === 'parquet') {
    const parquet = await openParquetFile(file).catch((error: unknown) => {
      throw new CommandFailure(`cannot read ${file}: ${describeFsError(error)}`);
    });
    try {
      return scoresResponse(
        await recordExternalScores(database, id, identity, parquetScoreBatches(parquet.buffer, file)),
      );
    } finally {
      await parquet.close();
    }
  }
  const input = await openInput(file);
  try {
    const bytes = format === 'jsonl.gz' ? gunzipped(input.stream, file) : input.stream;
    return scoresResponse(
      await recordExternalScores(database, id, identity, scoreBatches(bytes, config.maxRecordBytes)),
    );
  } finally {
    await input.close();
  }
}

async function pushRemote(
  remote: Remote,
  versionId: string,
  file: string,
  format: ScoreFormat,
  identity: Identity,
): Promise<ScoresJson> {
  const query = new URLSearchParams({ scorer: identity.name });
  if (identity.model !== null) query.set('model', identity.model);
  if (identity.version !== null) query.set('scorerVersion', identity.version);
  const input = await openInput(file);
  try {
    const response = await remoteFetch(
      remote,
      `/v1/versions/${encodeURIComponent(versionId)}/scores?${query}`,
      {
        method: 'POST',
        headers: {
          'content-type': format === 'parquet' ? PARQUET_CONTENT_TYPE : 'application/x-ndjson',
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
