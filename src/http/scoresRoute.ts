/**
 *   POST /v1/versions/{id}/scores?scorer=NAME[&model=M][&scorerVersion=V]
 * Streams a JSONL (or JSON array) file of per-sample scores, one `{"ordinal": 3, "value": 0.82}` or
 * `{"sample": "<Sample id>", "value": 0.82}` per line, for files too large for GraphQL; or, sent as
 * application/vnd.apache.parquet, a Parquet file with the same columns (ordinal or sample, value),
 * spooled to a temporary file first. All or nothing: one bad line or row (its number is in the
 * error) stores none.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BadInputError } from '../errors.js';
import { idOf, toGlobalId } from '../globalId.js';
import type { AsyncBuffer } from 'hyparquet';
import { PARQUET_CONTENT_TYPE } from '../ingest/exportParquet.js';
import { spoolParquet, type ParquetFile } from '../ingest/parquetFile.js';
import { readRecords, type ReaderItem } from '../ingest/readers.js';
import { readParquetRecords } from '../ingest/readers/parquetReader.js';
import {
  recordExternalScores,
  type ExternalScore,
  type RecordScoresResult,
} from '../metricRuns/externalScores.js';
import { decodedBody, decodePathPart, drainOnError, type BulkRouteOptions } from './bulkRoutes.js';
import { HttpError, startedBody } from './readBody.js';
import { ChunkSpool } from '../catalog/chunkSpool.js';

export const SCORES_PATH = /^\/v1\/versions\/([^/]+)\/scores$/;
const BATCH = 5000;
const SPOOL_MEMORY_BYTES = 8 << 20;
const SCORE_KEYS = new Set(['ordinal', 'sample', 'value']);

export async function handleScores(
  req: IncomingMessage,
  res: ServerResponse,
  rawId: string,
  url: URL,
  options: BulkRouteOptions,
) {
  if (req.method !== 'POST') throw new HttpError(405, 'BAD_REQUEST', 'use POST to push scores');
  const versionId = idOf('DatasetVersion', decodePathPart(rawId, 'version id'), 'id');
  const scorer = url.searchParams.get('scorer');
  if (!scorer)
    throw new BadInputError("the query parameter scorer (the scorer's name) is required", {
      argument: 'scorer',
    });
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    throw new HttpError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `content encoding "${encoding}" is not supported; use gzip or none`,
    );
  }
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const parquet = mediaType === PARQUET_CONTENT_TYPE || mediaType === 'application/x-parquet';
  // The scores' transaction opens only once the upload has begun; a stall then aborts it (408).
  let raw = await startedBody(req, { idleMs: options.bodyIdleMs });
  if (parquet) {
    await handleParquetScores(
      req,
      res,
      versionId,
      scorer,
      url,
      options,
      decodedBody(raw, encoding, options.gunzip),
    );
    return;
  }
  // PGlite has one connection: the upload is taken in whole before the transaction holds it.
  const spool = options.database.backend === 'pglite' ? new ChunkSpool(SPOOL_MEMORY_BYTES) : null;
  try {
    // A refused push still reads the rest of the body, so clients that send it all before
    // reading get the error rather than a reset connection.
    const outcome = await drainOnError(req, async () => {
      if (spool) {
        for await (const chunk of raw) await spool.add(chunk);
        raw = spool.chunks();
      }
      const body = decodedBody(raw, encoding, options.gunzip);
      return recordExternalScores(
        options.database,
        versionId,
        {
          name: scorer,
          model: url.searchParams.get('model'),
          version: url.searchParams.get('scorerVersion'),
        },
        scoreBatches(body, options.maxRecordBytes),
      );
    });
    sendResult(res, outcome);
  } finally {
    await spool?.dispose();
  }
}

/** A Parquet upload: spooled to disk (read from its footer), then stored like a JSONL one. */
async function handleParquetScores(
  req: IncomingMessage,
  res: ServerResponse,
  versionId: number,
  scorer: string,
  url: URL,
  options: BulkRouteOptions,
  body: AsyncIterable<Uint8Array>,
) {
  let file: ParquetFile | null = null;
  try {
    const outcome = await drainOnError(req, async () => {
      file = await spoolParquet(body);
      return recordExternalScores(
        options.database,
        versionId,
        {
          name: scorer,
          model: url.searchParams.get('model'),
          version: url.searchParams.get('scorerVersion'),
        },
        parquetScoreBatches(file.buffer, 'the Parquet body'),
      );
    });
    sendResult(res, outcome);
  } finally {
    await (file as ParquetFile | null)?.close();
  }
}

function sendResult(res: ServerResponse, outcome: RecordScoresResult) {
  res.statusCode = 200;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(scoresResponse(outcome)));
}

/** The route's JSON answer; `qdc scores push` prints the same in direct mode. */
export function scoresResponse(outcome: RecordScoresResult) {
  const r = outcome.result;
  return {
    recorded: outcome.recorded,
    result: {
      id: toGlobalId('MetricResult', r.id),
      metric: r.metric,
      status: r.status,
      value: r.value,
      n: r.n,
      details: r.details,
    },
  };
}

/** JSONL score records in batches, each checked with its line number (shared with `qdc scores push`). */
export function scoreBatches(
  body: AsyncIterable<Uint8Array>,
  maxRecordBytes: number,
): AsyncGenerator<ExternalScore[]> {
  return scoreItemBatches(readRecords(body, { maxRecordBytes }), 'line');
}

/**
 * The rows of a Parquet score file in batches, each checked with its row number: columns ordinal
 * (integer) or sample (Sample id), and value; a null cell counts as absent, so one file may mix
 * both kinds of reference. A pandas index column (`__index_level_0__`) is ignored.
 */
export async function* parquetScoreBatches(file: AsyncBuffer, name: string): AsyncGenerator<ExternalScore[]> {
  async function* rows(): AsyncGenerator<ReaderItem> {
    for await (const item of readParquetRecords(file, { name, requireTextColumn: false })) {
      if (item.kind === 'record' && item.value !== null && typeof item.value === 'object') {
        const value: Record<string, unknown> = {};
        for (const [key, v] of Object.entries(item.value)) {
          if (v !== null && !key.startsWith('__index_level_')) value[key] = v;
        }
        yield { ...item, value };
      } else {
        yield item;
      }
    }
  }
  yield* scoreItemBatches(rows(), `${name}: row`);
}

async function* scoreItemBatches(
  items: AsyncIterable<ReaderItem>,
  unit: string,
): AsyncGenerator<ExternalScore[]> {
  let batch: ExternalScore[] = [];
  for await (const item of items) {
    const where = `${unit} ${item.line}`;
    if (item.kind === 'rejected')
      throw new BadInputError(`${where}: ${item.reason}; nothing was stored`, { line: item.line });
    const record = item.value;
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw new BadInputError(
        `${where}: expected an object like {"ordinal": 0, "value": 0.5}; nothing was stored`,
        { line: item.line },
      );
    }
    const fields = record as Record<string, unknown>;
    const unknown = Object.keys(fields).find((key) => !SCORE_KEYS.has(key));
    if (unknown) {
      throw new BadInputError(
        `${where}: unknown field "${unknown}" (expected ordinal or sample, and value); nothing was stored`,
        {
          line: item.line,
        },
      );
    }
    if (fields.sample !== undefined && typeof fields.sample !== 'string') {
      throw new BadInputError(`${where}: sample must be a Sample id string; nothing was stored`, {
        line: item.line,
      });
    }
    batch.push({
      sampleId: typeof fields.sample === 'string' ? idOf('Sample', fields.sample, `${where}: sample`) : null,
      ordinal: fields.ordinal === undefined ? null : (fields.ordinal as number),
      value: fields.value,
      where,
    });
    if (batch.length >= BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
