/**
 * Bulk ingest: one pipeline behind every door (HTTP body, CLI file, GraphQL batches share the
 * writer). Bytes -> records (readers) -> SampleInput (formats) -> validated, hashed samples
 * (canonicalizeSample) -> one new version (versionWriter). Memory stays bounded: records flow
 * through in small batches and nothing is kept per sample except a 16-byte duplicate fingerprint.
 */
import { canonicalizeSample, type HashedSample } from '../catalog/canonicalSample.js';
import { requireDatasetBySlug } from '../catalog/datasets.js';
import { writeVersion, type WriteVersionResult } from '../catalog/versionWriter.js';
import type { Database } from '../db/connect.js';
import { BadInputError, DomainError } from '../errors.js';
import { detectFormat, mapRecord, RecordError, type FieldMapping, type FormatName } from './formats.js';
import type { AsyncBuffer } from 'hyparquet';
import { createReadStream } from 'node:fs';
import { gunzipStream } from './gunzip.js';
import { openParquetFile, spoolParquet } from './parquetFile.js';
import { readRecords, type Container, type ReaderItem, type ReaderSummary } from './readers.js';
import { readParquetRecords } from './readers/parquetReader.js';

export const DEFAULT_MAX_RECORD_BYTES = 1 << 20;
/** How many rejected records a result lists (all are counted). */
export const MAX_LISTED_REJECTIONS = 100;
const BATCH_SIZE = 1000;
const PROGRESS_EVERY = 1000;

export type OnError = 'fail' | 'skip';

export interface IngestOptions {
  /** Sample format; 'auto' (default) detects it from the first record's keys. */
  format?: FormatName | 'auto';
  /** Explicit field mapping; alone it means format 'mapping', with a format it overrides its fields. */
  mapping?: FieldMapping;
  /** 'fail' (default): any bad record refuses the whole ingest. 'skip': bad records are listed and left out. */
  onError?: OnError;
  /**
   * 'auto' (default) tells a JSON array from JSONL by the first non-blank byte. 'parquet' reads a
   * Parquet file: a byte stream is spooled to a temporary file first (see IngestSource).
   */
  container?: Container | 'auto';
  /** The input's name in Parquet errors (default "the Parquet file"). */
  inputName?: string;
  /** Longest accepted record (JSONL line or array element), default 1 MiB. */
  maxRecordBytes?: number;
  /** Called every 1000 records, and at the end, with the number of records read so far. */
  onProgress?: (records: number) => void;
}

export interface Rejection {
  /** 1-based line where the record starts (for Parquet: the 1-based row). */
  line: number;
  /** Parquet only: the 0-based row group of the row. */
  rowGroup?: number;
  /** The shard file, when the input has several (a Hugging Face split). */
  file?: string;
  /** Byte offset of the record in the (decompressed) input. */
  offset: number;
  reason: string;
}

export interface IngestResult extends WriteVersionResult {
  format: FormatName;
  container: Container;
  /** Records read (ingested + rejected). */
  records: number;
  rejected: number;
  /** The first MAX_LISTED_REJECTIONS rejections, in input order. */
  rejections: Rejection[];
  /** Bytes of (decompressed) input read. */
  inputBytes: number;
}

/** Refuses a whole ingest because of one record (`--on-error fail`). */
export class RecordRejectedError extends BadInputError {
  constructor(readonly rejection: Rejection) {
    super(`${describeRejection(rejection)}: ${rejection.reason}`, {
      line: rejection.line,
      offset: rejection.offset,
      reason: rejection.reason,
      ...(rejection.rowGroup === undefined ? {} : { rowGroup: rejection.rowGroup }),
    });
  }
}

/** Where a rejected record is: "line 3 (byte 120)", or for Parquet "row 3 (row group 0)". */
export function describeRejection(r: Rejection): string {
  return r.rowGroup === undefined
    ? `line ${r.line} (byte ${r.offset})`
    : `row ${r.line} (row group ${r.rowGroup})`;
}

/** One file of an input made of several (the shards of a Hugging Face split), read in order. */
export interface Shard {
  /** Shown in rejections and errors (e.g. "data/train-00000-of-00002.parquet"). */
  name: string;
  path: string;
  kind: 'parquet' | 'json';
}

/**
 * A byte stream (JSONL, JSON array, or Parquet to spool), a Parquet file opened for random access,
 * or several files whose records make one version, in order.
 */
export type IngestSource =
  AsyncIterable<Uint8Array> | { parquet: AsyncBuffer } | { shards: readonly Shard[] };

/** Streams `source` into a new version of the dataset `datasetSlug`. */
export async function ingestStream(
  database: Database,
  datasetSlug: string,
  source: IngestSource,
  options: IngestOptions = {},
): Promise<IngestResult> {
  if ('parquet' in source)
    return ingestRecords(database, datasetSlug, parquetItems(source.parquet, options), options);
  if ('shards' in source) {
    const shards = source.shards;
    return ingestRecords(database, datasetSlug, () => shardItems(shards, options), options);
  }
  const stream: AsyncIterable<Uint8Array> = source;
  if (options.container !== 'parquet') {
    const reader = () =>
      readRecords(stream, {
        container: options.container ?? 'auto',
        maxRecordBytes: options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
      });
    return ingestRecords(database, datasetSlug, reader, options);
  }
  // The dataset is checked before the body is spooled.
  await requireDatasetBySlug(database.db, datasetSlug);
  const spooled = await spoolParquet(stream);
  try {
    return await ingestRecords(database, datasetSlug, parquetItems(spooled.buffer, options), options);
  } finally {
    await spooled.close();
  }
}

function requiredColumns(options: IngestOptions) {
  return Object.entries(options.mapping ?? {}).flatMap(([field, path]) =>
    path === undefined
      ? []
      : [{ column: path.trim().split('.')[0]!, because: `the mapping ${field}=${path}` }],
  );
}

function parquetItems(
  file: AsyncBuffer,
  options: IngestOptions,
): () => AsyncGenerator<ReaderItem, ReaderSummary> {
  return () =>
    readParquetRecords(file, {
      name: options.inputName ?? 'the Parquet file',
      requiredColumns: requiredColumns(options),
    });
}

/** The records of every shard in turn, each item naming its shard. */
async function* shardItems(
  shards: readonly Shard[],
  options: IngestOptions,
): AsyncGenerator<ReaderItem, ReaderSummary> {
  let container: Container = 'jsonl';
  let records = 0;
  let rejected = 0;
  let bytes = 0;
  for (const shard of shards) {
    let close: () => Promise<void>;
    let items: AsyncGenerator<ReaderItem, ReaderSummary>;
    if (shard.kind === 'parquet') {
      const file = await openParquetFile(shard.path);
      close = () => file.close();
      items = readParquetRecords(file.buffer, {
        name: shard.name,
        requiredColumns: requiredColumns(options),
      });
    } else {
      const stream = createReadStream(shard.path, { highWaterMark: 1 << 20 });
      close = async () => void stream.destroy();
      const bytesIn = shard.path.toLowerCase().endsWith('.gz')
        ? gunzipStream(stream, (reason) => new BadInputError(`${shard.name} is not valid gzip: ${reason}`))
        : stream;
      items = readRecords(bytesIn, {
        container: 'auto',
        maxRecordBytes: options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
      });
    }
    try {
      for (;;) {
        const next = await items.next();
        if (next.done) {
          container = next.value.container;
          bytes += next.value.bytes;
          break;
        }
        if (next.value.kind === 'record') records += 1;
        else rejected += 1;
        yield { ...next.value, file: shard.name };
      }
    } finally {
      await close();
    }
  }
  return { container, records, rejected, bytes };
}

async function ingestRecords(
  database: Database,
  datasetSlug: string,
  reader: () => AsyncGenerator<ReaderItem, ReaderSummary>,
  options: IngestOptions,
): Promise<IngestResult> {
  if (options.format === 'mapping' && !options.mapping) {
    throw new BadInputError(
      'format "mapping" needs a field mapping, e.g. prompt=question,response=answer.text',
      {
        argument: 'map',
      },
    );
  }
  const dataset = await requireDatasetBySlug(database.db, datasetSlug);
  const samples = new SampleStream(reader, options);
  let written: WriteVersionResult;
  try {
    written = await writeVersion(database, dataset.id, samples.batches());
  } catch (error) {
    // An ingest whose every record was rejected says so, rather than "no samples".
    if (
      samples.records > 0 &&
      samples.accepted === 0 &&
      error instanceof DomainError &&
      samples.rejections[0]
    ) {
      const first = samples.rejections[0];
      throw new BadInputError(
        `no valid samples: all ${samples.records} records were rejected (first: ${first.rowGroup === undefined && first.file === undefined ? `line ${first.line}` : describeRejection(first)}: ${first.reason})`,
        { rejected: samples.rejected },
      );
    }
    if (samples.records === 0 && samples.summary && error instanceof DomainError) {
      const what =
        samples.summary.container === 'parquet' ? 'the Parquet file has no rows' : 'it holds no JSON records';
      throw new BadInputError(`the input is empty: ${what}`, {
        bytes: samples.summary.bytes,
      });
    }
    throw error;
  }
  return {
    ...written,
    format: samples.format ?? 'prompt_response',
    container: samples.summary!.container,
    records: samples.records,
    rejected: samples.rejected,
    rejections: samples.rejections,
    inputBytes: samples.summary!.bytes,
  };
}

/** A rejection with the row group and shard of its item, when it has them. */
function withPlace(rejection: Rejection, item: ReaderItem): Rejection {
  if (item.rowGroup !== undefined) rejection.rowGroup = item.rowGroup;
  if (item.file !== undefined) rejection.file = item.file;
  return rejection;
}

/** The records of one input turned into batches of validated samples, with the bookkeeping. */
class SampleStream {
  format: FormatName | null;
  records = 0;
  accepted = 0;
  rejected = 0;
  readonly rejections: Rejection[] = [];
  summary: ReaderSummary | null = null;
  private readonly onError: OnError;

  constructor(
    private readonly reader: () => AsyncGenerator<ReaderItem, ReaderSummary>,
    private readonly options: IngestOptions,
  ) {
    this.onError = options.onError ?? 'fail';
    const auto = options.format === undefined || options.format === 'auto';
    this.format = auto ? (options.mapping ? 'mapping' : null) : (options.format as FormatName);
  }

  async *batches(): AsyncGenerator<HashedSample[]> {
    const reader = this.reader();
    let batch: HashedSample[] = [];
    for (;;) {
      const next = await reader.next();
      if (next.done) {
        this.summary = next.value;
        break;
      }
      const item = next.value;
      this.records += 1;
      if (this.records % PROGRESS_EVERY === 0) this.options.onProgress?.(this.records);
      if (item.kind === 'rejected') {
        this.reject(withPlace({ line: item.line, offset: item.offset, reason: item.reason }, item));
        continue;
      }
      const sample = this.toSample(item);
      if (!sample) continue;
      this.accepted += 1;
      batch.push(sample);
      if (batch.length >= BATCH_SIZE) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
    this.options.onProgress?.(this.records);
  }

  private toSample(item: ReaderItem & { kind: 'record' }): HashedSample | null {
    const { value, line, offset, rowGroup } = item;
    const where = rowGroup === undefined ? `line ${line}` : `row ${line}`;
    try {
      if (this.format === null) this.format = this.detect(value);
      return canonicalizeSample(mapRecord(this.format, value, this.options.mapping), where);
    } catch (error) {
      if (!(error instanceof RecordError || error instanceof BadInputError)) throw error;
      // canonicalizeSample already names the line; keep only the reason.
      const reason = error.message.replace(/^(?:line|row) \d+: /, '');
      this.reject(withPlace({ line, offset, reason }, item));
      return null;
    }
  }

  private detect(value: unknown): FormatName {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new RecordError(
        `record is not a JSON object (got ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value})`,
      );
    }
    const format = detectFormat(value as Record<string, unknown>);
    if (format) return format;
    const keys = Object.keys(value).slice(0, 10).join(', ') || 'none';
    throw new RecordError(
      `cannot tell the sample format from its keys (${keys}); pass a format or a field mapping`,
    );
  }

  private reject(rejection: Rejection): void {
    if (this.onError === 'fail') throw new RecordRejectedError(rejection);
    this.rejected += 1;
    if (this.rejections.length < MAX_LISTED_REJECTIONS) this.rejections.push(rejection);
  }
}
