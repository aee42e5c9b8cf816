/**
 * The Parquet writer behind the export: a file written one row group at a time into a buffer the
 * caller drains after each group, so memory is bounded by one row group.
 *
 * Flat text columns (prompt, response, reference, metadata as JSON text) take a fast path: each
 * page is one `Buffer` filled by `Buffer#write` (native UTF-8, no per-string allocation), PLAIN
 * encoded, compressed by node:zlib. Everything else (the nested `messages` list and the score
 * doubles) goes through hyparquet-writer's own column encoder (`writeColumn`, Dremel levels,
 * dictionary where it pays, statistics), and its thrift serializers write the page headers,
 * indexes and footer. hyparquet-writer's `ParquetWriter` does the same frame; the difference is
 * that it turns every string into its own `TextEncoder` copy, appends it value by value and
 * compresses with Snappy in JavaScript, which cost 3-4x `JSON.stringify` of the same rows
 * (bench/README.md, "## parquet").
 */
import { promisify } from 'node:util';
import { brotliCompress, brotliCompressSync, constants, gzip, gzipSync } from 'node:zlib';
import { ByteWriter } from 'hyparquet-writer';
import { writeColumn } from 'hyparquet-writer/src/column.js';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { encodeNestedValues } from 'hyparquet-writer/src/dremel.js';
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';
import { writeIndexes } from 'hyparquet-writer/src/indexes.js';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import { schemaPathResolver } from 'hyparquet-writer/src/schema.js';

/** Codecs the export can write; every one is read by DuckDB, pyarrow, polars and hyparquet. */
export type ExportCodec = 'BROTLI' | 'GZIP' | 'UNCOMPRESSED';
type Compressor = (input: Uint8Array) => Uint8Array;

/**
 * Native zlib only. BROTLI at quality 1 (the default) compresses catalog text to 0.29 of its
 * size at about 2x the speed of GZIP level 1 (0.32); both beat hyparquet-writer's JavaScript
 * Snappy on size (0.39) and CPU. Measured in bench/README.md, "## parquet".
 */
const brotliOptions = { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } };
const gzipOptions = { level: 1 };
const compressors: Record<Exclude<ExportCodec, 'UNCOMPRESSED'>, Compressor> = {
  BROTLI: (input) => brotliCompressSync(input, brotliOptions),
  GZIP: (input) => gzipSync(input, gzipOptions),
};
const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);
function compressAsync(codec: ExportCodec, input: Buffer): Promise<Uint8Array> | Uint8Array {
  if (codec === 'BROTLI') return brotliAsync(input, brotliOptions);
  if (codec === 'GZIP') return gzipAsync(input, gzipOptions);
  return input;
}

/** Target bytes per data page (the usual Parquet page size). */
const PAGE_BYTES = 1 << 20;
const MAGIC = 0x31524150; // "PAR1"

/** A column of one row group: flat nullable text, or a value column for hyparquet's encoder. */
export type ColumnInput =
  { name: string; text: TextColumn } | { name: string; data: unknown[]; statistics: boolean };

/**
 * A flat OPTIONAL BYTE_ARRAY column being filled: each value is UTF-8 encoded into the current
 * page's buffer as it arrives (PLAIN: 4-byte length, bytes) and each full page (~1 MB) starts
 * compressing on libuv's thread pool at once. The strings themselves die young, so a row group of
 * text costs the garbage collector no more than JSONL's line-at-a-time export does.
 */
export class TextColumn {
  length = 0;
  private readonly pages: Promise<TextPage>[] = [];
  private buffer = Buffer.allocUnsafeSlow(PAGE_BYTES + (PAGE_BYTES >> 2));
  private position = 0;
  private levels: number[] = [];
  private nulls = 0;
  private pageStart = 0;

  constructor(private readonly codec: ExportCodec) {}

  push(value: string | null | undefined): void {
    if (value === null || value === undefined) {
      this.levels.push(0);
      this.nulls++;
    } else {
      // UTF-8 takes at most 3 bytes per UTF-16 code unit.
      const needed = this.position + 4 + 3 * value.length;
      if (needed > this.buffer.length) {
        const grown = Buffer.allocUnsafeSlow(Math.max(needed, 2 * this.buffer.length));
        this.buffer.copy(grown, 0, 0, this.position);
        this.buffer = grown;
      }
      const bytes = this.buffer.write(value, this.position + 4, 'utf8');
      this.buffer.writeUInt32LE(bytes, this.position);
      this.position += 4 + bytes;
      this.levels.push(1);
    }
    this.length++;
    if (this.position >= PAGE_BYTES) this.endPage();
  }

  /** The column's pages, compressed; no push after this. */
  finish(): Promise<TextPage[]> {
    this.endPage();
    return Promise.all(this.pages);
  }

  private endPage(): void {
    const count = this.levels.length;
    if (count === 0) return;
    const levelWriter = new ByteWriter(64);
    writeRleBitPackedHybrid(levelWriter, this.levels, 1);
    const plain = Buffer.from(this.buffer.subarray(0, this.position)); // exact size; buffer reused
    const page = {
      start: this.pageStart,
      count,
      nulls: this.nulls,
      levels: levelWriter.getBytes(),
      plainBytes: plain.length,
    };
    const compressed = Promise.resolve(compressAsync(this.codec, plain)).then((body) => ({ ...page, body }));
    // Awaited in finish(); until then a failure must not count as unhandled.
    compressed.catch(() => undefined);
    this.pages.push(compressed);
    this.pageStart += count;
    this.position = 0;
    this.levels = [];
    this.nulls = 0;
  }
}

// The types of hyparquet-writer's own hyparquet (it may pin another version than ours).
type PageIndexes = ReturnType<typeof writeColumn>;

interface TextPage {
  /** Row of the page's first value within the row group. */
  start: number;
  count: number;
  nulls: number;
  levels: Uint8Array;
  plainBytes: number;
  body: Uint8Array;
}
type FileMetaData = Parameters<typeof writeMetadata>[1];
type RowGroup = FileMetaData['row_groups'][number];
type ColumnChunk = RowGroup['columns'][number];
type KeyValue = NonNullable<FileMetaData['key_value_metadata']>[number];
type OffsetIndex = NonNullable<PageIndexes['offsetIndex']>;
type SchemaTree = ReturnType<ReturnType<typeof schemaPathResolver>>[number];
/** A Parquet schema element as hyparquet-writer takes it. */
export type SchemaElement = Parameters<typeof schemaPathResolver>[0][number];

export class StreamingParquetWriter {
  private readonly writer = new ByteWriter(1 << 20);
  private readonly rowGroups: RowGroup[] = [];
  private readonly indexes: PageIndexes[] = [];
  private readonly resolvePath: (path: string[]) => SchemaTree[];
  private numRows = 0n;

  constructor(
    private readonly options: {
      schema: SchemaElement[];
      codec: ExportCodec;
      kvMetadata: KeyValue[];
      createdBy: string;
    },
  ) {
    this.resolvePath = schemaPathResolver(options.schema);
    this.writer.appendUint32(MAGIC);
  }

  /**
   * Writes one row group; its columns in schema order, each with `rows` values. The text pages
   * are compressed on libuv's thread pool (async zlib), so the caller's event loop goes on reading
   * the next rows meanwhile; call it again only after the returned promise settles.
   */
  async writeRowGroup(columns: readonly ColumnInput[], rows: number): Promise<void> {
    for (const column of columns) {
      const length = 'text' in column ? column.text.length : column.data.length;
      if (length !== rows) throw new Error(`parquet column ${column.name} has ${length} values, not ${rows}`);
    }
    const pages = await Promise.all(columns.map((c) => ('text' in c ? c.text.finish() : null)));
    const start = this.writer.offset;
    const chunks: ColumnChunk[] = [];
    columns.forEach((column, i) => {
      if ('text' in column) chunks.push(this.writeText(column.name, column.text.length, pages[i]!));
      else chunks.push(...this.writeNested(column.name, column.data, column.statistics));
    });
    let uncompressed = 0n;
    for (const c of chunks) uncompressed += c.meta_data?.total_uncompressed_size ?? 0n;
    this.rowGroups.push({
      columns: chunks,
      total_byte_size: uncompressed,
      num_rows: BigInt(rows),
      total_compressed_size: BigInt(this.writer.offset - start),
    });
    this.numRows += BigInt(rows);
  }

  /** Writes the page indexes and the footer. */
  finish(): void {
    writeIndexes(this.writer, this.indexes);
    writeMetadata(this.writer, {
      version: 2,
      created_by: this.options.createdBy,
      schema: this.options.schema,
      num_rows: this.numRows,
      row_groups: this.rowGroups,
      key_value_metadata: this.options.kvMetadata,
      metadata_length: 0,
    });
    this.writer.appendUint32(MAGIC);
  }

  /** The bytes written since the last call (a copy; the internal buffer is reused). */
  take(): Uint8Array {
    const bytes = new Uint8Array(this.writer.buffer.slice(0, this.writer.index));
    this.writer.index = 0;
    return bytes;
  }

  /** An empty text column for the next row group. */
  textColumn(): TextColumn {
    return new TextColumn(this.options.codec);
  }

  /** Writes a text column's pages and returns its chunk (with an offset index past one page). */
  private writeText(name: string, count: number, pages: readonly TextPage[]): ColumnChunk {
    const w = this.writer;
    const offsetStart = w.offset;
    const locations: OffsetIndex['page_locations'] = [];
    let uncompressed = 0;
    for (const page of pages) {
      const pageOffset = w.offset;
      writePageHeader(w, {
        type: 'DATA_PAGE_V2',
        uncompressed_page_size: page.levels.length + page.plainBytes,
        compressed_page_size: page.levels.length + page.body.length,
        data_page_header_v2: {
          num_values: page.count,
          num_nulls: page.nulls,
          num_rows: page.count,
          encoding: 'PLAIN',
          definition_levels_byte_length: page.levels.length,
          repetition_levels_byte_length: 0,
          is_compressed: this.options.codec !== 'UNCOMPRESSED',
        },
      });
      uncompressed += w.offset - pageOffset + page.levels.length + page.plainBytes;
      w.appendBytes(page.levels);
      w.appendBytes(page.body);
      locations.push({
        offset: BigInt(pageOffset),
        compressed_page_size: w.offset - pageOffset,
        first_row_index: BigInt(page.start),
      });
    }
    const chunk: ColumnChunk = {
      file_offset: BigInt(offsetStart),
      meta_data: {
        type: 'BYTE_ARRAY',
        encodings: ['PLAIN', 'RLE'],
        path_in_schema: [name],
        codec: this.options.codec,
        num_values: BigInt(count),
        total_compressed_size: BigInt(w.offset - offsetStart),
        total_uncompressed_size: BigInt(uncompressed),
        data_page_offset: BigInt(offsetStart),
      },
    };
    this.indexes.push({
      chunk,
      offsetIndex: locations.length > 1 ? { page_locations: locations } : undefined,
    });
    return chunk;
  }

  /** A column through hyparquet-writer's encoder, one chunk per leaf (as its ParquetWriter does). */
  private writeNested(name: string, data: unknown[], statistics: boolean): ColumnChunk[] {
    const chunks: ColumnChunk[] = [];
    for (const leafPath of leafPaths(this.resolvePath([name]))) {
      const schemaPath = leafPath.map((node) => node.element);
      const result = writeColumn({
        writer: this.writer,
        column: {
          columnName: schemaPath
            .slice(1)
            .map((s) => s.name)
            .join('.'),
          element: schemaPath[schemaPath.length - 1]!,
          schemaPath,
          codec: this.options.codec,
          compressors,
          stats: statistics,
          pageSize: PAGE_BYTES,
          columnIndex: false,
          offsetIndex: true,
        },
        pageData: encodeNestedValues(leafPath, data),
      });
      chunks.push(result.chunk);
      this.indexes.push(result);
    }
    return chunks;
  }
}

/** Every path from the column to a primitive leaf. */
function leafPaths(path: SchemaTree[]): SchemaTree[][] {
  const node = path[path.length - 1]!;
  if (node.children.length === 0) return [path];
  return node.children.flatMap((child) => leafPaths([...path, child]));
}
