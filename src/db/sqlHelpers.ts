import { sql, type AnyColumn, type Placeholder, type SQL } from 'drizzle-orm';

/**
 * `column = any($1::type[])` with the whole list as ONE bound array parameter. Batch loaders use
 * this instead of `IN ($1, $2, ...)`: one parameter keeps statements identical whatever the batch
 * size (plan caching) and avoids per-value query-building cost.
 */
export function anyOf(
  column: AnyColumn,
  values: readonly (number | string)[] | Placeholder,
  type: 'bigint' | 'int' | 'text',
): SQL {
  const bound = Array.isArray(values) ? sql.param([...values]) : values;
  return sql`${column} = any(${bound}::${sql.raw(type)}[])`;
}

/** A bigint[] bound as one parameter. */
export function bigintArray(values: readonly number[]): SQL {
  return sql`${sql.param([...values])}::bigint[]`;
}

/** Rows of a `db.execute` result; node-postgres and PGlite both return `{ rows }`. */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}
