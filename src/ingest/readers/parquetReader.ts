/**
 * The Parquet reader: a Parquet file (random access: the footer holds the schema and the row-group
 * index) read one row group at a time, each row turned into a plain JSON record, so the formats and
 * `--map` apply to its columns exactly as to a JSONL line's keys. Memory is bounded by the largest
 * row group (its decoded rows), never by the file.
 *
 * Values become JSON: strings and doubles as they are, INT64 as a number (a string when beyond
 * 2^53), timestamps and dates as ISO 8601 strings, binary as base64, JSON-typed columns parsed,
 * NaN/Infinity as null. list<...> becomes an array and struct<...> an object; a struct field that is
 * null inside a nested value (a message's `tool_calls` in a list<struct>) is left out, since a
 * Parquet struct cannot tell a null field from an absent one and JSON chat messages usually omit it.
 * Top-level columns are always present (null included), like the keys of a JSONL record.
 *
 * Errors name what is wrong: not Parquet (no PAR1 magic), truncated (no footer), an unreadable row
 * group (by index and rows), a mapped column that is not in the file, no column that can hold text.
 */
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import type { AsyncBuffer, FileMetaData, SchemaTree } from 'hyparquet';
import { BadInputError } from '../../errors.js';
import { compressors } from './parquetCompressors.js';
import { inflateRowGroup } from './parquetPagesAhead.js';
import type { ReaderItem, ReaderSummary } from './types.js';

const MAGIC = 0x31524150; // "PAR1", little-endian
/** Footer bytes fetched first: enough for most schemas; a larger footer is fetched whole after. */
const FOOTER_FETCH = 1 << 16;

export interface ParquetReaderOptions {
  /** Shown in errors ("data.parquet: ..."). */
  name: string;
  /** Top-level columns that must exist (the first segments of `--map` paths), with the option that names them. */
  requiredColumns?: readonly { column: string; because: string }[];
  /** Refuse a file without a column that can hold a sample's text (default true; false for score files). */
  requireTextColumn?: boolean;
}

type Convert = (value: unknown) => unknown;

/** A top-level column: its name, a description of its type for errors, and its value converter. */
interface Column {
  name: string;
  type: string;
  text: boolean;
  convert: Convert;
}

/** Reads the footer: checks the magic bytes at both ends and parses the file metadata. */
export async function readParquetMetadata(file: AsyncBuffer, name: string): Promise<FileMetaData> {
  const size = file.byteLength;
  if (size < 12) {
    throw new BadInputError(`${name} is not a Parquet file: it has only ${size} bytes`, { bytes: size });
  }
  const head = new DataView(await file.slice(0, 4));
  if (head.getUint32(0, true) !== MAGIC) {
    throw new BadInputError(`${name} is not a Parquet file: it does not start with the magic bytes "PAR1"`);
  }
  const tailStart = Math.max(4, size - FOOTER_FETCH);
  let tail = await file.slice(tailStart, size);
  let view = new DataView(tail);
  if (view.getUint32(tail.byteLength - 4, true) !== MAGIC) {
    throw new BadInputError(
      `${name} is a truncated Parquet file: its last 4 bytes are not "PAR1" (the file was cut short, ${size} bytes)`,
      { bytes: size },
    );
  }
  const footerLength = view.getUint32(tail.byteLength - 8, true);
  if (footerLength + 12 > size) {
    throw new BadInputError(
      `${name} is a truncated or corrupt Parquet file: its footer claims ${footerLength} bytes of a ${size}-byte file`,
      { bytes: size },
    );
  }
  if (footerLength + 8 > tail.byteLength) {
    tail = await file.slice(size - footerLength - 8, size);
    view = new DataView(tail);
  }
  try {
    return parquetMetadata(tail.slice(tail.byteLength - footerLength - 8));
  } catch (error) {
    throw new BadInputError(
      `${name}: the Parquet footer (schema and row-group index) cannot be read: ${message(error)}`,
    );
  }
}

/**
 * Yields one record item per row, in file order. `line` is the 1-based row number in the file and
 * `offset` the byte offset of its row group; `rowGroup` is the 0-based row group. A file-level
 * problem (not Parquet, truncated, unreadable row group, no usable column) throws BadInputError
 * before or instead of its rows; the caller writes nothing in that case.
 */
export async function* readParquetRecords(
  file: AsyncBuffer,
  options: ParquetReaderOptions,
): AsyncGenerator<ReaderItem, ReaderSummary> {
  const metadata = await readParquetMetadata(file, options.name);
  const columns = topLevelColumns(parquetSchema(metadata));
  checkColumns(columns, options);

  let row = 0;
  let records = 0;
  const groups = metadata.row_groups;
  // The next group's pages inflate on the thread pool while this group's rows are consumed.
  let ahead = groups.length ? inflateRowGroup(file, groups[0]!) : null;
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    const inflated = await ahead!;
    ahead = g + 1 < groups.length ? inflateRowGroup(file, groups[g + 1]!) : null;
    const rows = Number(group.num_rows);
    if (rows === 0) continue;
    const first = row + 1;
    const last = row + rows;
    const offset = groupOffset(group);
    let objects: Record<string, unknown>[];
    try {
      checkChunkBounds(group, file.byteLength);
      objects = await parquetReadObjects({
        file,
        metadata,
        compressors: { ...compressors, ...inflated.decompressors() },
        rowStart: row,
        rowEnd: row + rows,
        rowFormat: 'object',
      });
    } catch (error) {
      throw new BadInputError(
        `${options.name}: Parquet row group ${g} (rows ${first}-${last}) cannot be read: ${message(error)}; nothing was written`,
        { rowGroup: g },
      );
    }
    if (objects.length !== rows) {
      throw new BadInputError(
        `${options.name}: Parquet row group ${g} (rows ${first}-${last}) gave ${objects.length} rows instead of ${rows}; nothing was written`,
        { rowGroup: g },
      );
    }
    for (let i = 0; i < objects.length; i++) {
      const source = objects[i]!;
      const value: Record<string, unknown> = {};
      for (const column of columns) {
        const v = source[column.name];
        setKey(value, column.name, v === undefined || v === null ? null : column.convert(v));
      }
      records += 1;
      yield { kind: 'record', line: row + i + 1, offset, value, rowGroup: g };
    }
    row += rows;
  }
  return { container: 'parquet', records, rejected: 0, bytes: file.byteLength };
}

function checkColumns(columns: readonly Column[], options: ParquetReaderOptions): void {
  const list = (): string =>
    columns
      .slice(0, 20)
      .map((c) => `${c.name} (${c.type})`)
      .join(', ') + (columns.length > 20 ? `, ... (${columns.length} columns)` : '');
  for (const { column, because } of options.requiredColumns ?? []) {
    if (!columns.some((c) => c.name === column)) {
      throw new BadInputError(
        `${options.name}: ${because} names the column "${column}", which is not in the file (columns: ${list() || 'none'})`,
        {
          column,
        },
      );
    }
  }
  if (options.requireTextColumn !== false && !columns.some((c) => c.text)) {
    throw new BadInputError(
      `${options.name}: no usable text column: a sample needs a string column (e.g. prompt) or a list column (messages, conversations), and the file has ${list() || 'no columns'}`,
    );
  }
}

/** A row group's first byte: where its first column chunk starts. */
function groupOffset(group: FileMetaData['row_groups'][number]): number {
  const meta = group.columns[0]?.meta_data;
  if (!meta) return 0;
  const start = meta.dictionary_page_offset ?? meta.data_page_offset;
  return Number(start);
}

/** A column chunk that lies past the end of the file (a truncated file with a stale footer). */
function checkChunkBounds(group: FileMetaData['row_groups'][number], size: number): void {
  for (const chunk of group.columns) {
    const meta = chunk.meta_data;
    if (!meta) continue;
    const start = Number(meta.dictionary_page_offset ?? meta.data_page_offset);
    const end = start + Number(meta.total_compressed_size);
    if (end > size) {
      throw new Error(
        `column "${meta.path_in_schema.join('.')}" runs to byte ${end}, past the end of the ${size}-byte file`,
      );
    }
  }
}

function topLevelColumns(root: SchemaTree): Column[] {
  return root.children.map((node) => ({
    name: node.element.name,
    type: describeType(node),
    text: isTextColumn(node),
    convert: converterFor(node),
  }));
}

function isList(node: SchemaTree): boolean {
  const e = node.element;
  return e.converted_type === 'LIST' || e.logical_type?.type === 'LIST' || e.repetition_type === 'REPEATED';
}

function isMap(node: SchemaTree): boolean {
  const e = node.element;
  return e.converted_type === 'MAP' || e.converted_type === 'MAP_KEY_VALUE' || e.logical_type?.type === 'MAP';
}

function isStringLeaf(node: SchemaTree): boolean {
  const e = node.element;
  return (
    node.children.length === 0 &&
    e.type === 'BYTE_ARRAY' &&
    e.converted_type !== 'JSON' &&
    e.converted_type !== 'BSON' &&
    e.logical_type?.type !== 'JSON'
  );
}

/** A column that can give a text field: a string, or a list (messages, conversations). */
function isTextColumn(node: SchemaTree): boolean {
  return isStringLeaf(node) || (isList(node) && !isMap(node)) || isJsonLeaf(node);
}

function isJsonLeaf(node: SchemaTree): boolean {
  const e = node.element;
  return node.children.length === 0 && (e.converted_type === 'JSON' || e.logical_type?.type === 'JSON');
}

function describeType(node: SchemaTree): string {
  const e = node.element;
  if (node.children.length === 0) {
    if (isJsonLeaf(node)) return 'json';
    if (isStringLeaf(node)) return 'string';
    const annotation = String(e.logical_type?.type ?? e.converted_type ?? '');
    const integer = annotation === '' || annotation === 'INTEGER' || /^U?INT_/.test(annotation);
    const base = (integer ? (e.type ?? 'group') : annotation).toLowerCase();
    return e.repetition_type === 'REPEATED' ? `list<${base}>` : base;
  }
  if (isMap(node)) return 'map';
  if (isList(node)) {
    if (e.repetition_type === 'REPEATED') return `list<${structText(node)}>`;
    const repeated = node.children[0]!;
    const element = repeated.children.length === 1 ? repeated.children[0]! : repeated;
    return `list<${element === repeated ? structText(repeated) : describeType(element)}>`;
  }
  return structText(node);
}

function structText(node: SchemaTree): string {
  return `struct<${node.children.map((c) => c.element.name).join(', ')}>`;
}

/**
 * The converter of one schema node, matched to how hyparquet assembles it: a list node yields an
 * array (3-level lists are unwrapped to their element), a struct an object, a leaf a primitive.
 */
function converterFor(node: SchemaTree): Convert {
  if (node.children.length === 0) {
    if (isJsonLeaf(node)) return (v) => v; // already parsed JSON: kept exactly, nulls included
    const e = node.element;
    const date = e.converted_type === 'DATE' || e.logical_type?.type === 'DATE';
    const leaf: Convert = date ? dateValue : plainValue;
    return node.element.repetition_type === 'REPEATED' ? arrayOf(leaf) : leaf;
  }
  if (isMap(node)) return plainValue;
  if (node.element.repetition_type === 'REPEATED') return arrayOf(structConverter(node));
  if (isList(node)) {
    const repeated = node.children[0]!;
    // 3-level list (list -> element), as hyparquet unwraps it; else the repeated group is the element.
    const element = repeated.children.length === 1 ? repeated.children[0]! : repeated;
    const convert = element === repeated ? structConverter(repeated) : converterFor(element);
    return arrayOf(convert);
  }
  return structConverter(node);
}

function arrayOf(convert: Convert): Convert {
  return (v) => {
    if (!Array.isArray(v) && !ArrayBuffer.isView(v)) return plainValue(v);
    const items = Array.from(v as ArrayLike<unknown>);
    return items.map((item) => (item === null || item === undefined ? null : convert(item)));
  };
}

/** A struct value: its non-null fields, each converted; a null field is left out. */
function structConverter(node: SchemaTree): Convert {
  const fields = node.children.map((child) => [child.element.name, converterFor(child)] as const);
  return (v) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return plainValue(v);
    const source = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [name, convert] of fields) {
      const field = source[name];
      if (field !== undefined && field !== null) setKey(out, name, convert(field));
    }
    return out;
  };
}

/** A DATE as "YYYY-MM-DD". */
function dateValue(v: unknown): unknown {
  return v instanceof Date && !Number.isNaN(v.getTime()) ? v.toISOString().slice(0, 10) : plainValue(v);
}

/** Any decoded value as plain JSON. */
function plainValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? v : null;
    case 'bigint': {
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : v.toString();
    }
    case 'object':
      break;
    default:
      return String(v);
  }
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<unknown>, plainValue);
  if (Array.isArray(v)) return v.map(plainValue);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(v)) setKey(out, key, plainValue(value));
  return out;
}

/** Sets an own key, also for "__proto__". */
function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
