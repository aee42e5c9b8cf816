/**
 * Bulk routes beside /graphql:
 *   POST /v1/datasets/{slug}/versions      stream a JSONL / JSON-array file in as a new version
 *   GET  /v1/versions/{id}/samples.jsonl   stream a version out as JSONL (gzip when asked)
 *   GET  /v1/versions/{id}/samples.parquet stream a version out as Parquet, one row group at a time
 * All stream: none holds the body in memory, whatever its size (a Parquet upload is spooled to a
 * temporary file, since Parquet is read from its footer).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Database } from '../db/connect.js';
import { BadInputError } from '../errors.js';
import { findDatasetsByIds } from '../catalog/datasets.js';
import { idOf, toGlobalId } from '../globalId.js';
import {
  exportVersionJsonl,
  parseMetricList,
  requireVersionById,
  scoreColumnsFor,
} from '../ingest/export.js';
import { exportVersionParquet, PARQUET_CONTENT_TYPE } from '../ingest/exportParquet.js';
import { parseFieldMapping, parseFormat } from '../ingest/formats.js';
import { gunzipStream } from '../ingest/gunzip.js';
import { ingestStream, type OnError } from '../ingest/ingest.js';
import { ingestResultJson } from '../ingest/ingestResultJson.js';
import type { Container } from '../ingest/readers.js';
import { HttpError, startedBody } from './readBody.js';

/** Content types the ingest route accepts, and the container each implies. */
const INGEST_TYPES: Record<string, Container | 'auto'> = {
  'application/x-ndjson': 'jsonl',
  'application/ndjson': 'jsonl',
  'application/jsonl': 'jsonl',
  'application/x-jsonlines': 'jsonl',
  'application/jsonlines': 'jsonl',
  'application/json': 'auto',
  'application/vnd.apache.parquet': 'parquet',
  'application/x-parquet': 'parquet',
};

export const INGEST_PATH = /^\/v1\/datasets\/([^/]+)\/versions$/;
export const EXPORT_PATH = /^\/v1\/versions\/([^/]+)\/samples\.(?:jsonl|parquet)$/;

export interface BulkRouteOptions {
  database: Database;
  maxRecordBytes: number;
  /** Longest wait for the next bytes of an upload (QDC_BODY_IDLE_TIMEOUT_MS). */
  bodyIdleMs: number;
  /** Caps on a gzip body (QDC_MAX_GUNZIP_BYTES, QDC_MAX_GUNZIP_RATIO). */
  gunzip: { maxBytes: number; maxRatio: number };
}

/** Past this many decompressed bytes, a gzip body's ratio is judged. */
const RATIO_AFTER_BYTES = 16 << 20;

/** The body as sent, or gunzipped within the caps: 400 for corrupt gzip, 413 for a bomb. */
export function decodedBody(
  raw: AsyncIterable<Uint8Array>,
  encoding: string,
  caps: BulkRouteOptions['gunzip'],
): AsyncIterable<Uint8Array> {
  if (encoding !== 'gzip') return raw;
  return gunzipStream(
    raw,
    (reason) => new HttpError(400, 'BAD_REQUEST', `request body is not valid gzip: ${reason}`),
    {
      caps: { ...caps, ratioAfterBytes: RATIO_AFTER_BYTES },
      tooLarge: (over) =>
        new HttpError(
          413,
          'PAYLOAD_TOO_LARGE',
          `${over.reason} (QDC_MAX_GUNZIP_BYTES, QDC_MAX_GUNZIP_RATIO); nothing was stored`,
          {
            limit: over.limit,
            decompressedBytes: over.decompressedBytes,
            compressedBytes: over.compressedBytes,
          },
        ),
    },
  );
}

export async function handleIngest(
  req: IncomingMessage,
  res: ServerResponse,
  rawSlug: string,
  url: URL,
  options: BulkRouteOptions,
) {
  if (req.method !== 'POST')
    throw new HttpError(405, 'BAD_REQUEST', `use POST to ingest into ${url.pathname}`);
  const slug = decodePathPart(rawSlug, 'dataset slug');
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const container = Object.hasOwn(INGEST_TYPES, mediaType) ? INGEST_TYPES[mediaType] : undefined;
  if (!container) {
    throw new HttpError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `content type "${mediaType || '(none)'}" cannot be ingested; send the file as application/x-ndjson (JSONL), application/json (JSON array or JSONL) or application/vnd.apache.parquet (Parquet)`,
    );
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    throw new HttpError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `content encoding "${encoding}" is not supported; use gzip or none`,
    );
  }
  const params = url.searchParams;
  const format = params.get('format');
  const map = params.get('map');
  const onError = params.get('onError') ?? 'fail';
  if (onError !== 'fail' && onError !== 'skip') {
    throw new BadInputError(`onError must be "fail" or "skip" (got "${onError}")`, { argument: 'onError' });
  }
  const ingestOptions = {
    format: format && format !== 'auto' ? parseFormat(format) : ('auto' as const),
    mapping: map ? parseFieldMapping(map) : undefined,
    onError: onError as OnError,
    container,
    maxRecordBytes: recordLimit(params.get('maxRecordBytes'), options.maxRecordBytes),
    inputName: 'the Parquet body',
  };
  // Nothing touches the database until the upload has begun; a stall then aborts it (408).
  const raw = await startedBody(req, { idleMs: options.bodyIdleMs });
  const body = decodedBody(raw, encoding, options.gunzip);
  const result = await drainOnError(req, () => ingestStream(options.database, slug, body, ingestOptions));
  sendJson(res, result.created ? 201 : 200, ingestResultJson(slug, result));
}

export async function handleExport(
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
  options: BulkRouteOptions,
) {
  if (req.method !== 'GET' && req.method !== 'HEAD')
    throw new HttpError(405, 'BAD_REQUEST', 'use GET to export samples');
  const version = await requireVersionById(
    options.database.db,
    idOf('DatasetVersion', decodePathPart(id, 'version id'), 'id'),
  );
  const url = new URL(req.url ?? '/', 'http://localhost');
  // Resolved before the response starts, so an unknown metric is a clean 400.
  const scoreColumns = await scoreColumnsFor(
    options.database.db,
    version.id,
    parseMetricList(url.searchParams.get('scores')),
  );
  if (url.pathname.endsWith('.parquet')) {
    const [dataset] = await findDatasetsByIds(options.database.db, [version.datasetId]);
    res.statusCode = 200;
    res.setHeader('content-type', PARQUET_CONTENT_TYPE);
    res.setHeader('content-disposition', `attachment; filename="version-${version.id}.parquet"`);
    res.setHeader('x-qdc-content-hash', version.contentHash);
    res.setHeader('x-qdc-sample-count', String(version.sampleCount));
    if (req.method === 'HEAD') return void res.end();
    const info = {
      versionId: toGlobalId('DatasetVersion', version.id),
      dataset: dataset?.slug ?? `dataset-${version.datasetId}`,
      version: version.version,
      contentHash: version.contentHash,
    };
    // Parquet pages are already compressed (Brotli): no gzip on top.
    await pipeline(
      Readable.from(exportVersionParquet(options.database.db, version.id, info, undefined, scoreColumns)),
      res,
    );
    return;
  }
  const gzip = acceptsGzip(req.headers['accept-encoding']);
  res.statusCode = 200;
  res.setHeader('content-type', 'application/x-ndjson; charset=utf-8');
  res.setHeader('content-disposition', `attachment; filename="version-${version.id}.jsonl"`);
  res.setHeader('x-qdc-content-hash', version.contentHash);
  res.setHeader('x-qdc-sample-count', String(version.sampleCount));
  res.setHeader('vary', 'accept-encoding');
  if (gzip) res.setHeader('content-encoding', 'gzip');
  if (req.method === 'HEAD') return void res.end();
  const lines = Readable.from(exportVersionJsonl(options.database.db, version.id, undefined, scoreColumns));
  if (gzip) await pipeline(lines, createGzip({ level: 6 }), res);
  else await pipeline(lines, res);
}

/**
 * The request body as chunks for a reader that may stop early (at a refused record): stopping
 * leaves the request open instead of destroying its socket (see drainOnError).
 */
export function requestChunks(req: IncomingMessage): AsyncIterable<Uint8Array> {
  const iterator = req.iterator({ destroyOnReturn: false }) as AsyncIterator<Uint8Array>;
  return { [Symbol.asyncIterator]: () => iterator };
}

/**
 * Runs `read`; when it fails before the whole body is in, the rest of the body is read and
 * dropped while the error goes out at once. Answering and then closing the socket with unread
 * data would reset the connection: a client that sends its whole body before reading (Python
 * requests, say) would see ECONNRESET instead of the error and its line number, while clients
 * that read as they send (curl, fetch) still get the answer early and may stop sending.
 */
export async function drainOnError<T>(req: IncomingMessage, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!req.complete && !req.destroyed) {
      // read() rather than resume(): the reader's iterator may still hold a 'readable' listener,
      // which keeps resume() from starting the flow.
      const drop = () => {
        while (req.read() !== null);
      };
      req.on('readable', drop);
      req.once('end', () => req.off('readable', drop));
      drop();
    }
    throw error;
  }
}

/** True when Accept-Encoding lists gzip (or `*`) with a q-value above 0 (RFC 9110 12.5.3). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let star = false;
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    if (name === 'gzip' || name === 'x-gzip') return weight > 0;
    if (name === '*') star = weight > 0;
  }
  return star;
}

export function decodePathPart(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new HttpError(
      400,
      'BAD_REQUEST',
      `the ${what} in the path is not valid percent-encoding: "${part}"`,
    );
  }
}

/** A request may lower the record limit (QDC_MAX_RECORD_BYTES), never raise it. */
function recordLimit(requested: string | null, serverLimit: number): number {
  if (requested === null) return serverLimit;
  const n = Number(requested);
  if (!Number.isInteger(n) || n < 64 || n > serverLimit) {
    throw new BadInputError(
      `maxRecordBytes must be an integer from 64 to ${serverLimit} (the server's QDC_MAX_RECORD_BYTES)`,
      {
        argument: 'maxRecordBytes',
      },
    );
  }
  return n;
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}
