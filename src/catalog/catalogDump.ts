/**
 * The whole catalog as one logical dump, and back: the format of `qdc backup`, `qdc restore` and
 * `qdc export --all`, the same on both backends, so a PGlite catalog moves to PostgreSQL (and back)
 * through it.
 *
 * A dump is JSON lines:
 *   1. a header: format, format version, producer, backend, the applied migrations, and for every
 *      table its columns and row count;
 *   2. per table, in foreign-key order, a section line `{"table": name, "columns": [...], "rows": N}`
 *      followed by N lines, each one row as PostgreSQL's own `to_jsonb` text, ordered by primary key;
 *   3. an end line `{"end": true, "rows": total}`, so a truncated file is refused.
 *
 * Rows are written and read as PostgreSQL text and never parsed in JavaScript, so every value
 * (bigint, double, vector, bytea, timestamptz, jsonb) comes back bit for bit. The dump is read in one
 * REPEATABLE READ, READ ONLY transaction: consistent while the server keeps writing. Tables are found
 * in the database's catalog, not listed here, so a table added by a later migration is dumped too.
 */
import type { Database, RawTransaction } from '../db/connect.js';
import { BadInputError } from '../errors.js';

export const DUMP_FORMAT = 'qdc-catalog-dump';
export const DUMP_FORMAT_VERSION = 1;

/** Rows fetched per cursor round trip while dumping. */
const FETCH_ROWS = 2000;
/** A restore batch is sent when it holds this many rows or this many characters. */
const INSERT_ROWS = 2000;
const INSERT_CHARS = 8 * 1024 * 1024;
/** Longest dump line restore accepts (one row): far above the largest sample the catalog takes. */
export const MAX_DUMP_LINE_CHARS = 256 * 1024 * 1024;

export interface DumpTable {
  name: string;
  /** The columns written (generated columns are left out: the database recomputes them). */
  columns: string[];
  rows: number;
}

export interface DumpHeader {
  format: typeof DUMP_FORMAT;
  formatVersion: number;
  producer: string;
  backend: string;
  createdAt: string;
  /** Hashes of the applied migrations, oldest first: restore needs the same schema. */
  migrations: string[];
  tables: DumpTable[];
}

interface TableShape {
  name: string;
  columns: string[];
  primaryKey: string[];
  /** Columns filled from a sequence, which restore moves past the largest restored value. */
  sequences: { column: string; sequence: string }[];
  hasIdentity: boolean;
  generated: string[];
}

export interface DumpOptions {
  producer: string;
  /** Called with every line, newline included; awaited, so a slow sink holds the dump back. */
  write(line: string): Promise<void> | void;
  /** Called before each table is read (tests use it to write concurrently). */
  onTable?(name: string): Promise<void> | void;
  onRows?(rows: number): void;
}

export interface DumpSummary {
  tables: number;
  rows: number;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * A version still being written (STAGING, committed by the chunks of a PGlite write) and its
 * samples are not part of the catalog yet: a dump leaves them out, as every reader does.
 */
function onlyFinished(table: string): string {
  if (table === 'dataset_versions') return ` where t.status = 'READY'`;
  if (table === 'samples')
    return ` where t.version_id in (select id from dataset_versions where status = 'READY')`;
  return '';
}

/** Writes the whole catalog as a dump, from one consistent snapshot. */
export async function dumpCatalog(database: Database, options: DumpOptions): Promise<DumpSummary> {
  return database.rawTransaction(async (tx) => {
    if (database.backend === 'postgres') {
      await tx.query('set transaction isolation level repeatable read, read only');
      // A big catalog is read for longer than any request is allowed to run.
      await tx.query('set local statement_timeout = 0');
    }
    const shapes = await tableShapes(tx);
    const tables: DumpTable[] = [];
    for (const shape of shapes) {
      const [counted] = await tx.query<{ n: string }>(
        `select count(*)::text as n from ${quote(shape.name)} t${onlyFinished(shape.name)}`,
      );
      tables.push({ name: shape.name, columns: shape.columns, rows: Number(counted!.n) });
    }
    const header: DumpHeader = {
      format: DUMP_FORMAT,
      formatVersion: DUMP_FORMAT_VERSION,
      producer: options.producer,
      backend: database.backend,
      createdAt: new Date().toISOString(),
      migrations: await appliedMigrations(tx),
      tables,
    };
    await options.write(`${JSON.stringify(header)}\n`);
    let total = 0;
    for (const [i, shape] of shapes.entries()) {
      await options.onTable?.(shape.name);
      const table = tables[i]!;
      await options.write(
        `${JSON.stringify({ table: table.name, columns: table.columns, rows: table.rows })}\n`,
      );
      const rowJson = shape.generated.length
        ? `(to_jsonb(t) - array[${shape.generated.map(literal).join(', ')}]::text[])::text`
        : 'to_jsonb(t)::text';
      const order = (
        shape.primaryKey.length ? shape.primaryKey.map((c) => `t.${quote(c)}`) : ['t::text']
      ).join(', ');
      await tx.query(
        `declare qdc_dump no scroll cursor for select ${rowJson} as j from ${quote(shape.name)} t${onlyFinished(shape.name)} order by ${order}`,
      );
      let written = 0;
      for (;;) {
        const rows = await tx.query<{ j: string }>(`fetch forward ${FETCH_ROWS} from qdc_dump`);
        if (rows.length === 0) break;
        let chunk = '';
        for (const row of rows) chunk += `${row.j}\n`;
        await options.write(chunk);
        written += rows.length;
        total += rows.length;
        options.onRows?.(total);
        if (rows.length < FETCH_ROWS) break;
      }
      await tx.query('close qdc_dump');
      // The count and the rows come from the same snapshot; a difference is a bug, not a race.
      if (written !== table.rows)
        throw new Error(`table ${table.name}: counted ${table.rows} rows, read ${written}`);
    }
    await options.write(`${JSON.stringify({ end: true, rows: total })}\n`);
    return { tables: shapes.length, rows: total };
  });
}

export interface RestoreOptions {
  onRows?(rows: number): void;
}

export interface RestoreSummary {
  tables: number;
  rows: number;
}

/**
 * Loads a dump into this database, which must hold no datasets (a fresh catalog; its seeded taxonomy
 * is replaced by the dump's). Everything happens in one transaction: a bad or truncated dump leaves
 * the database as it was. Errors name the dump line.
 */
export async function restoreCatalog(
  database: Database,
  lines: AsyncIterable<string>,
  options: RestoreOptions = {},
): Promise<RestoreSummary> {
  return database.rawTransaction(async (tx) => {
    if (database.backend === 'postgres') await tx.query('set local statement_timeout = 0');
    const reader = new LineReader(lines);
    const first = await reader.next();
    if (first === undefined) throw new BadInputError('the dump is empty');
    const header = parseHeader(first);

    const [held] = await tx.query<{ n: string }>('select count(*)::text as n from datasets');
    const datasetCount = held!.n;
    if (Number(datasetCount) > 0) {
      throw new BadInputError(
        `refusing to restore into a catalog that holds ${datasetCount} dataset(s): restore into a fresh database`,
      );
    }
    const here = await appliedMigrations(tx);
    if (!sameList(here, header.migrations)) {
      throw new BadInputError(
        `the dump was made at schema migration ${header.migrations.length} and this catalog is at ${here.length}: ` +
          'restore it with the qdc-catalog release that made it, then upgrade',
        { dumpMigrations: header.migrations.length, catalogMigrations: here.length },
      );
    }
    const shapes = new Map((await tableShapes(tx)).map((s) => [s.name, s]));
    const expected = header.tables;
    const missing = [...shapes.keys()].filter((name) => !expected.some((t) => t.name === name));
    const unknown = expected.filter((t) => !shapes.has(t.name)).map((t) => t.name);
    if (missing.length || unknown.length) {
      throw new BadInputError(
        `the dump's tables do not match this catalog's (${[
          ...unknown.map((t) => `unknown table ${t}`),
          ...missing.map((t) => `no section for ${t}`),
        ].join('; ')})`,
      );
    }
    // The seeded taxonomy, metric definitions and templates make way for the dump's own rows.
    await tx.query(`truncate ${[...shapes.keys()].map(quote).join(', ')} restart identity cascade`);

    let total = 0;
    for (const table of expected) {
      const lineNo = reader.lineNumber + 1;
      const sectionLine = await reader.next();
      if (sectionLine === undefined) throw truncated(lineNo, `the section of table ${table.name}`);
      const section = parseJsonLine(sectionLine, lineNo) as {
        table?: unknown;
        columns?: unknown;
        rows?: unknown;
      };
      if (
        section.table !== table.name ||
        section.rows !== table.rows ||
        !sameList(section.columns, table.columns)
      ) {
        throw new BadInputError(
          `line ${lineNo}: expected the section of table ${table.name} as the header lists it`,
          {
            line: lineNo,
          },
        );
      }
      const shape = shapes.get(table.name)!;
      if (!sameSet(table.columns, shape.columns)) {
        throw new BadInputError(
          `line ${lineNo}: table ${table.name} has columns ${table.columns.join(', ')} in the dump and ${shape.columns.join(', ')} here`,
          { line: lineNo },
        );
      }
      const cols = table.columns.map(quote).join(', ');
      const insert =
        `insert into ${quote(table.name)} (${cols})${shape.hasIdentity ? ' overriding system value' : ''} ` +
        `select ${cols} from jsonb_populate_recordset(null::${quote(table.name)}, $1::jsonb)`;
      let batch: string[] = [];
      let batchChars = 0;
      let batchStart = reader.lineNumber + 1;
      const flush = async () => {
        if (batch.length === 0) return;
        try {
          await tx.query(insert, [`[${batch.join(',')}]`]);
        } catch (error) {
          const range =
            batch.length === 1
              ? `line ${batchStart}`
              : `lines ${batchStart}-${batchStart + batch.length - 1}`;
          throw new BadInputError(`${range} (table ${table.name}): ${(error as Error).message}`, {
            line: batchStart,
            table: table.name,
          });
        }
        total += batch.length;
        options.onRows?.(total);
        batch = [];
        batchChars = 0;
        batchStart = reader.lineNumber + 1;
      };
      for (let i = 0; i < table.rows; i += 1) {
        const row = await reader.next();
        if (row === undefined)
          throw truncated(reader.lineNumber + 1, `row ${i + 1} of ${table.rows} of table ${table.name}`);
        if (!row.startsWith('{')) {
          throw new BadInputError(
            `line ${reader.lineNumber}: expected a row of table ${table.name} (a JSON object)`,
            {
              line: reader.lineNumber,
            },
          );
        }
        batch.push(row);
        batchChars += row.length;
        if (batch.length >= INSERT_ROWS || batchChars >= INSERT_CHARS) await flush();
      }
      await flush();
      for (const { column, sequence } of shape.sequences) {
        await tx.query(
          `select setval(${literal(sequence)}, coalesce((select max(${quote(column)}) from ${quote(table.name)}), 0) + 1, false)`,
        );
      }
    }
    const endNo = reader.lineNumber + 1;
    const endLine = await reader.next();
    if (endLine === undefined) throw truncated(endNo, 'the end line');
    const end = parseJsonLine(endLine, endNo) as { end?: unknown; rows?: unknown };
    if (end.end !== true || end.rows !== total) {
      throw new BadInputError(`line ${endNo}: expected the end line for ${total} rows`, { line: endNo });
    }
    if ((await reader.next()) !== undefined) {
      throw new BadInputError(`line ${endNo + 1}: unexpected content after the end of the dump`, {
        line: endNo + 1,
      });
    }
    return { tables: expected.length, rows: total };
  });
}

function parseHeader(line: string): DumpHeader {
  const header = parseJsonLine(line, 1) as Partial<DumpHeader>;
  if (header.format !== DUMP_FORMAT) {
    throw new BadInputError(`line 1: not a qdc-catalog dump (expected format "${DUMP_FORMAT}")`, { line: 1 });
  }
  if (header.formatVersion !== DUMP_FORMAT_VERSION) {
    throw new BadInputError(
      `line 1: dump format version ${String(header.formatVersion)} is not supported (this release reads ${DUMP_FORMAT_VERSION})`,
      { line: 1 },
    );
  }
  const tablesOk =
    Array.isArray(header.tables) &&
    header.tables.every(
      (t) =>
        typeof t?.name === 'string' &&
        Array.isArray(t.columns) &&
        t.columns.every((c) => typeof c === 'string') &&
        Number.isSafeInteger(t.rows) &&
        t.rows >= 0,
    );
  if (
    !tablesOk ||
    !Array.isArray(header.migrations) ||
    !header.migrations.every((m) => typeof m === 'string')
  ) {
    throw new BadInputError('line 1: the dump header is malformed (tables or migrations)', { line: 1 });
  }
  return header as DumpHeader;
}

function parseJsonLine(line: string, lineNo: number): unknown {
  try {
    return JSON.parse(line);
  } catch (error) {
    throw new BadInputError(`line ${lineNo}: not JSON (${(error as Error).message})`, { line: lineNo });
  }
}

function truncated(lineNo: number, what: string): BadInputError {
  return new BadInputError(`line ${lineNo}: the dump ends before ${what}: the file is truncated`, {
    line: lineNo,
  });
}

const sameList = (a: unknown, b: readonly string[]) =>
  Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);
const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && new Set([...a, ...b]).size === a.length;

/**
 * The lines of a dump file's bytes (split on "\n" only: row text never holds a raw newline),
 * refusing invalid UTF-8 and over-long lines with the line number.
 */
export async function* dumpLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending = '';
  let lineNo = 0;
  const decode = (chunk?: Uint8Array) => {
    try {
      return chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
    } catch {
      throw new BadInputError(`line ${lineNo + 1}: invalid UTF-8`, { line: lineNo + 1 });
    }
  };
  for await (const chunk of chunks) {
    pending += decode(chunk);
    let start = 0;
    for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n', start)) {
      lineNo += 1;
      yield pending.slice(start, nl);
      start = nl + 1;
    }
    pending = pending.slice(start);
    if (pending.length > MAX_DUMP_LINE_CHARS) {
      throw new BadInputError(`line ${lineNo + 1}: longer than ${MAX_DUMP_LINE_CHARS} characters`, {
        line: lineNo + 1,
      });
    }
  }
  pending += decode();
  if (pending.length) yield pending;
}

/** Numbered lines over the input, with the number of the line last returned. */
class LineReader {
  lineNumber = 0;
  private readonly iterator: AsyncIterator<string>;
  constructor(lines: AsyncIterable<string>) {
    this.iterator = lines[Symbol.asyncIterator]();
  }
  async next(): Promise<string | undefined> {
    const { value, done } = await this.iterator.next();
    if (done) return undefined;
    this.lineNumber += 1;
    return value;
  }
}

async function appliedMigrations(tx: RawTransaction): Promise<string[]> {
  const [registry] = await tx.query<{ present: boolean }>(
    "select to_regclass('drizzle.__drizzle_migrations') is not null as present",
  );
  if (!registry!.present) return [];
  const rows = await tx.query<{ hash: string }>(
    'select hash from drizzle.__drizzle_migrations order by created_at, id',
  );
  return rows.map((r) => r.hash);
}

/** Every table of the public schema with its columns, key and sequences, parents before children. */
async function tableShapes(tx: RawTransaction): Promise<TableShape[]> {
  const columns = await tx.query<{
    table_name: string;
    column_name: string;
    generated: boolean;
    identity: boolean;
    sequence: string | null;
  }>(
    `select c.table_name, c.column_name, c.is_generated = 'ALWAYS' as generated, c.is_identity = 'YES' as identity,
            pg_get_serial_sequence(quote_ident(c.table_name), c.column_name) as sequence
       from information_schema.columns c
       join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
      order by c.table_name, c.ordinal_position`,
  );
  const keys = await tx.query<{ table_name: string; column_name: string }>(
    `select cl.relname as table_name, a.attname as column_name
       from pg_index i
       join pg_class cl on cl.oid = i.indrelid
       join pg_namespace n on n.oid = cl.relnamespace
       join lateral unnest(i.indkey) with ordinality as k(attnum, pos) on true
       join pg_attribute a on a.attrelid = cl.oid and a.attnum = k.attnum
      where n.nspname = 'public' and i.indisprimary
      order by cl.relname, k.pos`,
  );
  const references = await tx.query<{ child: string; parent: string }>(
    `select ch.relname as child, pa.relname as parent
       from pg_constraint con
       join pg_class ch on ch.oid = con.conrelid
       join pg_class pa on pa.oid = con.confrelid
       join pg_namespace n on n.oid = ch.relnamespace
      where con.contype = 'f' and n.nspname = 'public'`,
  );
  const shapes = new Map<string, TableShape>();
  for (const c of columns) {
    let shape = shapes.get(c.table_name);
    if (!shape) {
      shape = {
        name: c.table_name,
        columns: [],
        primaryKey: [],
        sequences: [],
        hasIdentity: false,
        generated: [],
      };
      shapes.set(c.table_name, shape);
    }
    if (c.generated) {
      shape.generated.push(c.column_name);
      continue;
    }
    shape.columns.push(c.column_name);
    if (c.identity) shape.hasIdentity = true;
    if (c.sequence) shape.sequences.push({ column: c.column_name, sequence: c.sequence });
  }
  for (const k of keys) shapes.get(k.table_name)?.primaryKey.push(k.column_name);
  return parentsFirst([...shapes.values()], references);
}

/** Tables ordered so each comes after the tables it references (self-references aside). */
function parentsFirst(tables: TableShape[], references: { child: string; parent: string }[]): TableShape[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const parents = new Map(tables.map((t) => [t.name, new Set<string>()]));
  for (const { child, parent } of references) {
    if (child !== parent && byName.has(parent)) parents.get(child)?.add(parent);
  }
  const ordered: TableShape[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting')
      throw new Error(`foreign keys form a cycle: ${[...path, name].join(' -> ')}`);
    state.set(name, 'visiting');
    for (const parent of [...parents.get(name)!].sort()) visit(parent, [...path, name]);
    state.set(name, 'done');
    ordered.push(byName.get(name)!);
  };
  for (const name of [...byName.keys()].sort()) visit(name, []);
  return ordered;
}
