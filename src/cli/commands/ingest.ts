/**
 * `qdc ingest <file> --dataset <slug>`: streams a JSONL / JSON-array file (optionally gzipped) into a
 * new dataset version, either straight into the database (default) or through a running server's
 * POST /v1/datasets/{slug}/versions route (`--server`). Prints the version's global id on stdout.
 *
 * Also holds the small helpers `qdc export` shares (progress interval, server requests, failures).
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { openCatalog } from '../../app.js';
import { requireDatasetBySlug } from '../../catalog/datasets.js';
import { loadConfig } from '../../config.js';
import { BadInputError } from '../../errors.js';
import { ingestResultJson } from '../../http/bulkRoutes.js';
import { FORMAT_EXAMPLE_MAPPING, FORMAT_EXAMPLES, FORMATS, parseFieldMapping, parseFormat } from '../../ingest/formats.js';
import { ingestStream, MAX_LISTED_REJECTIONS, type OnError } from '../../ingest/ingest.js';
import { UsageError, type Command, type OptionSpec } from '../command.js';
import { Progress } from '../progress.js';
import { connectOptions, databaseOptions } from './databaseOptions.js';

/** Read size for input files: large reads keep the per-chunk overhead negligible. */
const READ_CHUNK_BYTES = 1 << 20;
/** How many rejections the human summary lists (--json has up to MAX_LISTED_REJECTIONS). */
const SHOWN_REJECTIONS = 5;

// ---------------------------------------------------------------------------------------------
// Shared with `qdc export`
// ---------------------------------------------------------------------------------------------

/** A failure the command reports as `qdc <command>: <message>` with exit code 1. */
export class CommandFailure extends Error {}

/** Reports a CommandFailure the way main.ts reports domain errors; rethrows anything else. */
export function reportFailure(command: string, error: unknown): number {
  if (!(error instanceof CommandFailure)) throw error;
  process.stderr.write(`qdc ${command}: ${error.message}\n`);
  return 1;
}

/** `--server`, `--api-key` and `--no-progress`, shared by ingest and export. */
export const remoteOptions: Record<string, OptionSpec> = {
  server: {
    type: 'string',
    description: 'Go through a running qdc server (e.g. http://host:4000) instead of opening the database.',
    valueName: 'url',
  },
  'api-key': { type: 'string', description: 'API key for --server (default: $QDC_API_KEY).', valueName: 'key' },
  'no-progress': { type: 'boolean', description: 'Do not draw the progress line on stderr.' },
};

export const PROGRESS_ENV_DOC =
  '  QDC_PROGRESS_INTERVAL_MS  Milliseconds between progress redraws (default 100 on a terminal, 5000\n' +
  '                            otherwise, where each redraw is one log line; 0 = on every update).';
export const API_KEY_ENV_DOC = '  QDC_API_KEY               API key for --server when --api-key is not given.';

/** The progress interval from QDC_PROGRESS_INTERVAL_MS; undefined = Progress's default. */
function progressIntervalMs(): number | undefined {
  const raw = process.env.QDC_PROGRESS_INTERVAL_MS?.trim();
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw new UsageError(`QDC_PROGRESS_INTERVAL_MS must be a non-negative integer (got "${raw}")`);
  }
  return n;
}

/** A Progress on stderr, or null with --no-progress. */
export function makeProgress(
  values: Record<string, unknown>,
  options: { label: string; unit?: string; totalBytes?: number },
): Progress | null {
  if (values['no-progress']) return null;
  return new Progress({ ...options, intervalMs: progressIntervalMs() });
}

export interface Remote {
  /** Base URL without a trailing '/'. */
  url: string;
  headers: Record<string, string>;
}

/** The --server target with its Authorization header, or null in direct mode. */
export function remoteFrom(values: Record<string, unknown>): Remote | null {
  const server = values.server as string | undefined;
  if (server === undefined) {
    if (values['api-key'] !== undefined) throw new UsageError('--api-key only applies with --server');
    return null;
  }
  for (const option of ['data-dir', 'database-url']) {
    if (values[option] !== undefined) throw new UsageError(`--${option} cannot be combined with --server`);
  }
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new UsageError(`--server "${server}" is not a URL (expected e.g. http://localhost:4000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--server "${server}" must be an http:// or https:// URL`);
  }
  const key = (values['api-key'] as string | undefined) ?? (process.env.QDC_API_KEY?.trim() || undefined);
  return {
    url: url.href.replace(/\/+$/, ''),
    headers: key ? { authorization: `Bearer ${key}` } : {},
  };
}

/** fetch, turning a network failure into a CommandFailure naming the server. */
export async function remoteFetch(remote: Remote, path: string, init: RequestInit & { duplex?: 'half' }): Promise<Response> {
  try {
    return await fetch(`${remote.url}${path}`, { ...init, headers: { ...remote.headers, ...(init.headers as Record<string, string>) } });
  } catch (error) {
    const cause = (error as { cause?: { message?: string; code?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new CommandFailure(`request to ${remote.url}${path.split('?')[0]} failed: ${reason}`);
  }
}

/** The error a failed response carries (`{errors: [{message, extensions: {code}}]}`), as a CommandFailure. */
export async function responseFailure(response: Response): Promise<CommandFailure> {
  const text = await response.text().catch(() => '');
  let message = text.trim().slice(0, 500) || response.statusText;
  let code: unknown;
  try {
    const body = JSON.parse(text) as { errors?: { message?: unknown; extensions?: { code?: unknown } }[] };
    const first = body.errors?.[0];
    if (first && typeof first.message === 'string') {
      message = first.message;
      code = first.extensions?.code;
    }
  } catch {
    // Not JSON (a proxy's error page, say): the text is shown as it is.
  }
  return new CommandFailure(`${message} (HTTP ${response.status}${typeof code === 'string' ? ` ${code}` : ''})`);
}

/** Runs a GraphQL query against the server; fails on HTTP or GraphQL errors. */
export async function remoteGraphQL<T>(remote: Remote, query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await remoteFetch(remote, '/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new CommandFailure(`the server answered HTTP ${response.status} with something other than JSON: ${text.slice(0, 200)}`);
  }
  const first = body.errors?.[0];
  if (first) {
    throw new CommandFailure(`${first.message}${first.extensions?.code ? ` (${first.extensions.code})` : ''}`);
  }
  if (!response.ok || body.data === undefined) throw new CommandFailure(`the server answered HTTP ${response.status}`);
  return body.data;
}

/** Opens an input file for streaming (or stdin for '-'), failing early with a readable message. */
async function openInput(file: string): Promise<{ stream: AsyncIterable<Uint8Array>; size: number | undefined; close(): Promise<void> }> {
  if (file === '-') {
    return { stream: process.stdin, size: undefined, close: async () => {} };
  }
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new CommandFailure(`cannot read ${file}: ${describeFsError(error)}`);
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw new CommandFailure(`cannot read ${file}: not a regular file`);
  }
  const stream = handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES, autoClose: true });
  return {
    stream,
    size: stat.size,
    close: async () => {
      stream.destroy();
    },
  };
}

export function describeFsError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file or directory';
  if (e.code === 'EACCES') return 'permission denied';
  if (e.code === 'EISDIR') return 'is a directory';
  return e.message;
}

/** Gunzips `source`; a corrupt stream is a BadInputError naming the file. */
async function* gunzipped(source: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<Uint8Array> {
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  // Errors on either side reach the consumer through `gunzip`.
  pipeline(Readable.from(source, { objectMode: false }), gunzip).catch(() => {});
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('Z_')) throw new BadInputError(`${file} is not valid gzip: ${(error as Error).message}`);
    throw error;
  } finally {
    gunzip.destroy();
  }
}

function countNewlines(chunk: Uint8Array): number {
  let n = 0;
  for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) n += 1;
  return n;
}

// ---------------------------------------------------------------------------------------------
// The command
// ---------------------------------------------------------------------------------------------

type IngestJson = ReturnType<typeof ingestResultJson>;

const { memory: _memory, ...fileDatabaseOptions } = databaseOptions;

const formatList = FORMATS.map((f) => `  ${f}\n      ${FORMAT_EXAMPLES[f]}`).join('\n');

export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'Stream a JSONL or JSON-array file (optionally .gz) into a new dataset version.',
  usage:
    'qdc ingest <file|-> --dataset <slug> [--format auto|<format>] [--map field=path,...] [--on-error fail|skip]\n' +
    '                  [--max-record-bytes N] [--json] [--no-progress]\n' +
    '                  [--data-dir DIR | --database-url URL | --server URL [--api-key KEY]]',
  options: {
    dataset: { type: 'string', short: 'd', description: 'Slug of the (existing) dataset that receives the version.', valueName: 'slug' },
    format: { type: 'string', short: 'f', description: 'Sample format (see below); default auto: detected from the first record.', valueName: 'format' },
    map: { type: 'string', short: 'm', description: 'Field mapping field=path,... (see below).', valueName: 'mapping' },
    'on-error': {
      type: 'string',
      description: 'fail (default): one bad record refuses the whole file; skip: bad records are left out and listed.',
      valueName: 'mode',
    },
    'max-record-bytes': {
      type: 'string',
      description: 'Longest accepted record in bytes (default $QDC_MAX_RECORD_BYTES or 1 MiB; with --server, at most its limit).',
      valueName: 'n',
    },
    json: { type: 'boolean', description: 'Print the full result as JSON on stdout instead of the version id.' },
    ...remoteOptions,
    ...fileDatabaseOptions,
  },
  epilog: [
    'Input:',
    '  <file> is JSONL (one record per line) or a JSON array of records; the container is detected',
    '  from the first non-blank byte. "-" reads stdin (uncompressed). A name ending in .gz is',
    '  gunzipped (with --server it is sent as is, with Content-Encoding: gzip).',
    '',
    'Formats (--format; one example record each):',
    formatList,
    '',
    'Field mapping (--map): comma-separated field=path entries. Fields: prompt, response, reference,',
    'messages, metadata. A path is dot-separated keys; numeric segments index arrays. With --format',
    'mapping only the mapped fields are read; with another format the mapping overrides its fields.',
    'Unmapped top-level keys land in metadata. Example for the "mapping" record above:',
    `  --format mapping --map ${FORMAT_EXAMPLE_MAPPING}`,
    '',
    'Output: the new (or identical, already existing) version\'s global id on stdout; a summary',
    '(counts, the first rejections with their line numbers) and progress on stderr. Ingesting',
    'content identical to an existing version of the dataset returns that version.',
    'Exit codes: 0 done, 1 refused (bad record, unknown dataset, server error), 2 usage error.',
    '',
    'Environment:',
    '  DATABASE_URL              PostgreSQL URL; unset: the embedded PGlite database.',
    '  QDC_DATA_DIR              PGlite data directory (default ./.qdc/pglite).',
    '  QDC_MAX_RECORD_BYTES      Default for --max-record-bytes.',
    API_KEY_ENV_DOC,
    PROGRESS_ENV_DOC,
  ].join('\n'),
  async run({ values, positionals }) {
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'expected a file to ingest (or - for stdin)' : 'expected exactly one file');
    const file = positionals[0]!;
    const slug = values.dataset as string | undefined;
    if (!slug) throw new UsageError('--dataset <slug> is required');
    const onError = (values['on-error'] as string | undefined) ?? 'fail';
    if (onError !== 'fail' && onError !== 'skip') throw new UsageError(`--on-error must be fail or skip (got "${onError}")`);
    const formatText = values.format as string | undefined;
    const format = formatText === undefined || formatText.trim().toLowerCase() === 'auto' ? ('auto' as const) : parseFormat(formatText);
    const mapText = values.map as string | undefined;
    const mapping = mapText === undefined ? undefined : parseFieldMapping(mapText);
    const remote = remoteFrom(values);
    const maxText = values['max-record-bytes'] as string | undefined;
    let maxRecordBytes: number | undefined;
    if (maxText !== undefined) {
      maxRecordBytes = Number(maxText);
      if (!Number.isInteger(maxRecordBytes) || maxRecordBytes < 1) {
        throw new UsageError(`--max-record-bytes must be a positive integer (got "${maxText}")`);
      }
    }
    const gzip = file !== '-' && file.toLowerCase().endsWith('.gz');

    try {
      const result = remote
        ? await ingestRemote(remote, { file, slug, gzip, values, format, map: mapText, onError, maxRecordBytes })
        : await ingestDirect({ file, slug, gzip, values, format, mapping, onError, maxRecordBytes });
      printSummary(result);
      process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${result.version.id}\n`);
      return 0;
    } catch (error) {
      return reportFailure('ingest', error);
    }
  },
};

interface CommonArgs {
  file: string;
  slug: string;
  gzip: boolean;
  values: Record<string, unknown>;
  onError: OnError;
}

async function ingestDirect(
  args: CommonArgs & {
    format: ReturnType<typeof parseFormat> | 'auto';
    mapping: ReturnType<typeof parseFieldMapping> | undefined;
    maxRecordBytes: number | undefined;
  },
): Promise<IngestJson> {
  const config = loadConfig();
  const input = await openInput(args.file);
  let database: Awaited<ReturnType<typeof openCatalog>> | undefined;
  let progress: Progress | null = null;
  try {
    database = await openCatalog(connectOptions(config, args.values));
    // An unknown dataset is refused before any progress is drawn.
    await requireDatasetBySlug(database.db, args.slug);
    // Bytes are counted as read from the file (compressed for .gz), so they match its size.
    progress = makeProgress(args.values, { label: 'ingest', unit: 'rows', totalBytes: input.size });
    let bytes = 0;
    let records = 0;
    const counted = async function* (source: AsyncIterable<Uint8Array>) {
      for await (const chunk of source) {
        bytes += chunk.length;
        progress?.update(records, bytes);
        yield chunk;
      }
    };
    const raw = counted(input.stream);
    const source = args.gzip ? gunzipped(raw, args.file) : raw;
    const result = await ingestStream(database, args.slug, source, {
      format: args.format,
      mapping: args.mapping,
      onError: args.onError,
      container: 'auto',
      maxRecordBytes: args.maxRecordBytes ?? config.maxRecordBytes,
      onProgress: (n) => {
        records = n;
        progress?.update(records, bytes);
      },
    });
    progress?.update(result.records, bytes);
    progress?.finish();
    return ingestResultJson(args.slug, result);
  } catch (error) {
    progress?.fail();
    throw error;
  } finally {
    await input.close();
    await database?.close();
  }
}

async function ingestRemote(
  remote: Remote,
  args: CommonArgs & { format: ReturnType<typeof parseFormat> | 'auto'; map: string | undefined; maxRecordBytes: number | undefined },
): Promise<IngestJson> {
  const input = await openInput(args.file);
  const query = new URLSearchParams();
  query.set('format', args.format);
  if (args.map !== undefined) query.set('map', args.map);
  query.set('onError', args.onError);
  // The server takes a lower limit than its QDC_MAX_RECORD_BYTES, never a higher one.
  if (args.maxRecordBytes !== undefined) query.set('maxRecordBytes', String(args.maxRecordBytes));
  const progress = makeProgress(args.values, { label: 'ingest', unit: 'rows', totalBytes: input.size });
  // While uploading, JSONL lines approximate the records (the server's count replaces them at the end).
  let bytes = 0;
  let lines = 0;
  const countLines = !args.gzip;
  const body = async function* (): AsyncGenerator<Uint8Array> {
    for await (const chunk of input.stream) {
      bytes += chunk.length;
      if (countLines) lines += countNewlines(chunk);
      progress?.update(lines, bytes);
      yield chunk;
    }
  };
  try {
    const response = await remoteFetch(remote, `/v1/datasets/${encodeURIComponent(args.slug)}/versions?${query}`, {
      method: 'POST',
      headers: {
        // application/json lets the server detect the container (JSON array or JSONL), as direct mode does.
        'content-type': 'application/json',
        accept: 'application/json',
        ...(args.gzip ? { 'content-encoding': 'gzip' } : {}),
      },
      body: body(),
      duplex: 'half',
    });
    if (!response.ok) throw await responseFailure(response);
    const result = (await response.json()) as IngestJson;
    progress?.update(result.records, bytes);
    progress?.finish();
    return result;
  } catch (error) {
    progress?.fail();
    throw error;
  } finally {
    await input.close();
  }
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function printSummary(r: IngestJson): void {
  const ref = `${r.version.dataset}@${r.version.version}`;
  const lines = [
    r.created
      ? `created version ${ref}`
      : `version ${ref} already existed with identical content; it is returned and nothing new was stored`,
    `  id            ${r.version.id}`,
    `  content hash  ${r.version.contentHash}`,
    `  records ${count(r.records)}: ingested ${count(r.ingested)}, rejected ${count(r.rejected)}, ` +
      `duplicates ${count(r.duplicateSamples)} (format ${r.format}, ${r.container})`,
  ];
  const shown = r.rejections.slice(0, SHOWN_REJECTIONS);
  for (const j of shown) lines.push(`  rejected line ${j.line} (byte ${j.offset}): ${j.reason}`);
  if (r.rejected > shown.length) {
    lines.push(`  ... and ${count(r.rejected - shown.length)} more rejected (--json lists the first ${MAX_LISTED_REJECTIONS})`);
  }
  process.stderr.write(`${lines.join('\n')}\n`);
}
