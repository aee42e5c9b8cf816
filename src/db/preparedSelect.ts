/**
 * Hot read statements built once and run as prepared statements.
 *
 * The per-request loaders run the same few SELECTs on every GraphQL request, differing only in
 * their bound arrays. Building each with drizzle's query builder cost ~4% of bench/graphql's CPU,
 * drizzle's generic row mapper ~8%, and node-postgres's object rows another few percent. A
 * `preparedSelect` renders its SQL once per session (placeholders for the values), runs it through
 * drizzle's own session as a named prepared statement in the driver's array mode (PostgreSQL
 * parses and plans it once per connection), and decodes each row with the selected columns' own
 * decoders. Statements still go through drizzle's logger, so they are counted like any other.
 */
import { createHash } from 'node:crypto';
import type { Column, SQL } from 'drizzle-orm';
import type {
  PgPreparedQuery,
  PgSelectBuilder,
  PreparedQueryConfig,
  SelectedFields,
} from 'drizzle-orm/pg-core';
import type { Executor } from './connect.js';
import { compileRowDecoder, decoderOf } from './decoders.js';
import { asBoundList } from './sqlHelpers.js';

/** What a selected field decodes to: a column's type, or the type an `sql<T>` was declared with. */
type Decoded<F> = F extends Column
  ? F['_']['data'] | (F['_']['notNull'] extends true ? never : null)
  : F extends SQL<infer T>
    ? T
    : F extends SQL.Aliased<infer T>
      ? T
      : never;
export type RowOf<F extends SelectedFields> = { [K in keyof F]: Decoded<F[K]> };

export interface PreparedSelect<Row> {
  /**
   * Runs the statement on `db` (the database or an open transaction) with `values` by placeholder
   * name (drizzle refuses a call that leaves a placeholder without a value).
   */
  all(db: Executor, values: Record<string, unknown>): Promise<Row[]>;
}

/**
 * A SELECT of `fields` (flat: columns, or `sql` with `.mapWith` for computed values) whose rest
 * (`from`, `where`, ...) `build` adds, with `sql.placeholder(name)` wherever each call supplies a
 * value.
 */
export function preparedSelect<F extends SelectedFields>(
  fields: F,
  build: (select: PgSelectBuilder<F>) => { toSQL(): { sql: string; params: unknown[] } },
): PreparedSelect<RowOf<F>> {
  const decodeRow = compileRowDecoder(
    Object.keys(fields).map((key, at) => ({ key, at, decoder: decoderOf(fields[key]!) })),
  );
  const decodeRows = (rows: unknown[][]): RowOf<F>[] => {
    const out = new Array<RowOf<F>>(rows.length);
    for (let r = 0; r < rows.length; r++) out[r] = decodeRow(rows[r]!) as RowOf<F>;
    return out;
  };

  // One prepared query per drizzle session: the database's lives as long as the process, a
  // transaction's as long as the transaction.
  type Session = Executor['_']['session'];
  const prepared = new WeakMap<Session, PgPreparedQuery<PreparedQueryConfig & { execute: RowOf<F>[] }>>();
  const preparedOn = (db: Executor) => {
    const session = db._.session;
    let query = prepared.get(session);
    if (!query) {
      const rendered = build(db.select(fields)).toSQL();
      // The name is derived from the text: node-postgres refuses one name for two texts.
      const name = `qdc_${createHash('sha256').update(rendered.sql).digest('hex').slice(0, 24)}`;
      query = session.prepareQuery(rendered, undefined, name, true, (rows) =>
        decodeRows(rows as unknown[][]),
      );
      prepared.set(session, query);
    }
    return query;
  };

  return {
    all: (db, values) => preparedOn(db).execute(boundValues(values)),
  };
}

/** Placeholder values with every list bound the way `anyOf` binds its lists (`asBoundList`). */
function boundValues(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(values)) {
    const value = values[key];
    out[key] = Array.isArray(value) ? asBoundList(value) : value;
  }
  return out;
}
