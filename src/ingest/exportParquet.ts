/**
 * Export of a version as Parquet: typed columns in the catalog's own shape, written one row group
 * at a time, so memory is bounded by one row group whatever the version's size.
 *
 *   prompt, response, reference   string (nullable)
 *   messages                      list<struct<role string, content string, <extra keys> json>>
 *   metadata                      json (JSON text, logical type JSON)
 *   scores.<metric>               double, one column per requested score (null: no score)
 *
 * Extra message keys (name, tool_calls, ...) get one JSON field each in the message struct; a
 * message without one has it null, which the Parquet reader leaves out again, so ingesting the file
 * gives the version's content hash (scores aside: like JSONL scores they land in metadata). The
 * footer's key-value metadata carries the version, its content hash and the score columns' metrics.
 */
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { samples } from '../db/schema.js';
import { rowsOf } from '../db/sqlHelpers.js';
import { samplePages, type ExportSample, type ScoreColumn } from './export.js';
import {
  StreamingParquetWriter,
  type ColumnInput,
  type ExportCodec,
  type SchemaElement,
  TextColumn,
} from './parquetWriter.js';

/**
 * Rows per row group. A reader holds a whole decoded group in memory: at 10,000 rows its strings
 * stay few enough for V8 to collect cheaply (the catalog's own Parquet ingest took ~10% less CPU
 * and ~100 MB less peak RSS than with 50,000-row groups, for a file 0.8% larger), and a group of
 * chat-sized samples still spans several 1 MB pages per text column.
 */
export const ROW_GROUP_ROWS = 10_000;
/** A row group is closed early once its text reaches this many characters. */
const ROW_GROUP_CHARS = 16 * 1024 * 1024;
const PAGE_SIZE = 2000;

export const PARQUET_CONTENT_TYPE = 'application/vnd.apache.parquet';

/** The score column of a metric. */
export function scoreColumnName(metric: string): string {
  return `scores.${metric}`;
}

export interface ParquetExportInfo {
  versionId: string;
  dataset: string;
  version: number;
  contentHash: string;
}

const text = (name: string): SchemaElement => ({
  name,
  type: 'BYTE_ARRAY',
  converted_type: 'UTF8',
  repetition_type: 'OPTIONAL',
});
const json = (name: string): SchemaElement => ({
  name,
  type: 'BYTE_ARRAY',
  converted_type: 'JSON',
  repetition_type: 'OPTIONAL',
});

/** The keys other than role and content that the version's messages use, sorted. */
export async function extraMessageKeys(db: Executor, versionId: number): Promise<string[]> {
  const result = await db.execute(sql`
    select distinct k.key as key
    from ${samples} s
    cross join lateral jsonb_array_elements(
      case when jsonb_typeof(s.messages) = 'array' then s.messages else '[]'::jsonb end) m(value)
    cross join lateral jsonb_object_keys(
      case when jsonb_typeof(m.value) = 'object' then m.value else '{}'::jsonb end) k(key)
    where s.version_id = ${versionId} and s.messages is not null`);
  return rowsOf<{ key: string }>(result)
    .map((r) => r.key)
    .filter((k) => k !== 'role' && k !== 'content')
    .sort();
}

export function parquetSchemaFor(
  extraKeys: readonly string[],
  scoreColumns: readonly ScoreColumn[],
): SchemaElement[] {
  return [
    { name: 'root', num_children: 5 + scoreColumns.length },
    text('prompt'),
    text('response'),
    text('reference'),
    { name: 'messages', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 + extraKeys.length },
    text('role'),
    text('content'),
    ...extraKeys.map(json),
    json('metadata'),
    ...scoreColumns.map((c): SchemaElement => ({
      name: scoreColumnName(c.metric),
      type: 'DOUBLE',
      repetition_type: 'OPTIONAL',
    })),
  ];
}

/**
 * Yields the version's samples as Parquet bytes, one chunk per row group (then the footer);
 * `onRows` reports progress.
 */
export async function* exportVersionParquet(
  db: Executor,
  versionId: number,
  info: ParquetExportInfo,
  onRows?: (rows: number) => void,
  scoreColumns: readonly ScoreColumn[] = [],
  rowGroupRows = ROW_GROUP_ROWS,
  codec: ExportCodec = 'BROTLI',
): AsyncGenerator<Uint8Array> {
  // The message keys (a scan of the version, which the schema needs) are read while the first
  // row group fills: only its messages column waits for them, at the group's end.
  const keys = extraMessageKeys(db, versionId);
  keys.catch(() => undefined);
  const pages = samplePages(db, versionId, scoreColumns, PAGE_SIZE, { metadataAsText: true });
  try {
    let writer: StreamingParquetWriter | null = null;
    const open = async (): Promise<{ parquet: StreamingParquetWriter; extraKeys: readonly string[] }> => {
      const extraKeys = await keys;
      writer ??= new StreamingParquetWriter({
        schema: parquetSchemaFor(extraKeys, scoreColumns),
        codec,
        createdBy: 'qdc-catalog',
        kvMetadata: [
          { key: 'qdc.version', value: info.versionId },
          { key: 'qdc.dataset', value: `${info.dataset}@${info.version}` },
          { key: 'qdc.content_hash', value: info.contentHash },
          { key: 'qdc.scores', value: JSON.stringify(scoreColumns.map((c) => c.metric)) },
        ],
      });
      return { parquet: writer, extraKeys };
    };
    // One row group is encoded (its compression on the thread pool) while the next one fills.
    let encoding: Promise<void> | null = null;
    const flush = async function* (group: RowGroup) {
      const { parquet, extraKeys } = await open();
      const columns = group.columns(extraKeys);
      const rows = group.rows;
      group.clear();
      if (encoding) {
        await encoding;
        yield parquet.take();
      }
      encoding = parquet.writeRowGroup(columns, rows);
      // Keep an encoding failure from going unobserved while the next rows are read.
      encoding.catch(() => undefined);
    };
    const group = new RowGroup(scoreColumns, () => new TextColumn(codec));
    for await (const { page, scores, rows } of pages) {
      for (const s of page) {
        group.add(s, scores);
        if (group.rows >= rowGroupRows || group.chars >= ROW_GROUP_CHARS) yield* flush(group);
      }
      onRows?.(rows);
    }
    if (group.rows > 0) yield* flush(group);
    const { parquet } = await open();
    if (encoding) await encoding;
    parquet.finish();
    yield parquet.take();
  } finally {
    // Closes the page reader when the export stops early (an error, a consumer that went away).
    await pages.return(undefined);
  }
}

/** The columns of the row group being filled (text encoded as it arrives). */
class RowGroup {
  rows = 0;
  chars = 0;
  private prompt: TextColumn;
  private response: TextColumn;
  private reference: TextColumn;
  private metadata: TextColumn;
  private messages: (unknown[] | null)[] = [];
  private scores: (number | null)[][];

  constructor(
    private readonly scoreColumns: readonly ScoreColumn[],
    private readonly textColumn: () => TextColumn,
  ) {
    this.prompt = textColumn();
    this.response = textColumn();
    this.reference = textColumn();
    this.metadata = textColumn();
    this.scores = scoreColumns.map(() => []);
  }

  add(s: ExportSample, scores: Map<string, number> | null): void {
    this.prompt.push(s.prompt);
    this.response.push(s.response);
    this.reference.push(s.reference);
    this.chars += (s.prompt?.length ?? 0) + (s.response?.length ?? 0) + (s.reference?.length ?? 0);
    if (Array.isArray(s.messages)) {
      this.messages.push(s.messages);
      for (const m of s.messages as { content?: unknown }[]) {
        this.chars += (typeof m?.content === 'string' ? m.content.length : 0) + 16;
      }
    } else {
      this.messages.push(null);
    }
    // JSON text as the database renders it; a JSON null is a missing value, as in JSONL.
    const metadata = typeof s.metadata === 'string' ? s.metadata : JSON.stringify(s.metadata ?? null);
    this.metadata.push(metadata === 'null' ? null : metadata);
    for (let i = 0; i < this.scoreColumns.length; i++) {
      this.scores[i]!.push(scores?.get(`${this.scoreColumns[i]!.resultId}:${s.id}`) ?? null);
    }
    this.rows += 1;
  }

  /**
   * Text columns (metadata as JSON text) go PLAIN without statistics: LLM text rarely repeats (a
   * dictionary is tried and dropped, at a cost) and truncated min/max of prose prune nothing. The
   * messages list takes hyparquet-writer's encoder without statistics; scores keep theirs.
   */
  columns(extraKeys: readonly string[]): ColumnInput[] {
    const messages = this.messages.map((list) => list && list.map((m) => message(m, extraKeys)));
    return [
      { name: 'prompt', text: this.prompt },
      { name: 'response', text: this.response },
      { name: 'reference', text: this.reference },
      { name: 'messages', data: messages, statistics: false },
      { name: 'metadata', text: this.metadata },
      ...this.scoreColumns.map((c, i) => ({
        name: scoreColumnName(c.metric),
        data: this.scores[i]!,
        statistics: true,
      })),
    ];
  }

  clear(): void {
    this.rows = 0;
    this.chars = 0;
    this.prompt = this.textColumn();
    this.response = this.textColumn();
    this.reference = this.textColumn();
    this.messages = [];
    this.metadata = this.textColumn();
    this.scores = this.scoreColumns.map(() => []);
  }
}

/** A message as a struct: role, content, and every extra key (null where this message has none). */
function message(m: unknown, extraKeys: readonly string[]): Record<string, unknown> {
  const source = (m ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = { role: source.role ?? null, content: source.content ?? null };
  for (const key of extraKeys) {
    out[key] = Object.hasOwn(source, key) ? source[key] : null;
  }
  return out;
}
