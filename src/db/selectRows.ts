/**
 * Whole-table rows from a drizzle select, decoded by a function compiled once per table.
 *
 * drizzle maps each result cell through a generic path (class checks on the selected field,
 * path walking). Here the same SQL runs in the driver's object mode and each row is decoded with
 * the table's own column decoders, which gives the same values (`test/db.selectRows.test.ts`).
 * For reads whose SQL varies with the request (the filtered `datasets` list); fixed-shape hot
 * reads are `preparedSelect`s.
 */
import { getTableColumns, type InferSelectModel, type SQLWrapper } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Executor } from './connect.js';
import { compileRowDecoder, decoderOf } from './decoders.js';
import { rowsOf } from './sqlHelpers.js';

type RawRow = Record<string, unknown>;
type Decoder<T> = (raw: RawRow) => T;

const decoders = new WeakMap<PgTable, Decoder<unknown>>();

/** The decoder for rows of `table` selected with the table's own column names (`select *`). */
export function rowDecoder<T extends PgTable>(table: T): Decoder<InferSelectModel<T>> {
  let decoder = decoders.get(table);
  if (!decoder) {
    decoder = compileRowDecoder(
      Object.entries(getTableColumns(table)).map(([key, column]) => ({
        key,
        at: column.name,
        decoder: decoderOf(column),
      })),
    );
    decoders.set(table, decoder);
  }
  return decoder as Decoder<InferSelectModel<T>>;
}

/**
 * Runs `query` (a `db.select().from(table)...` builder, or any SQL selecting the table's columns
 * by their names) and returns decoded rows.
 */
export async function selectRows<T extends PgTable>(
  db: Executor,
  table: T,
  query: SQLWrapper,
): Promise<InferSelectModel<T>[]> {
  const raw = rowsOf<RawRow>(await db.execute(query));
  const decode = rowDecoder(table);
  const rows = new Array<InferSelectModel<T>>(raw.length);
  for (let i = 0; i < raw.length; i++) rows[i] = decode(raw[i]!);
  return rows;
}
