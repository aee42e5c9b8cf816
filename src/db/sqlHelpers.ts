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
  const bound = Array.isArray(values) ? sql.param(asBoundList(values)) : values;
  return sql`${column} = any(${bound}::${sql.raw(type)}[])`;
}

/** A bigint[] bound as one parameter. */
export function bigintArray(values: readonly number[]): SQL {
  return sql`${sql.param(asBoundList(values))}::bigint[]`;
}

/**
 * A list as the driver should receive it: integer lists (the id lists of every batch) as one
 * PostgreSQL array literal, `{1,2,3}`, because node-postgres would otherwise stringify, escape and
 * quote each element separately (a quarter of a megabyte of garbage per bench/graphql request).
 * Anything else is passed as a copy of the array.
 */
export function asBoundList(values: readonly unknown[]): string | unknown[] {
  return values.every((v) => Number.isSafeInteger(v)) ? `{${values.join(',')}}` : [...values];
}

/**
 * A column's bare name (`"status"`), for raw SQL that wants it unqualified: insert and CTE column
 * lists, SET targets, `excluded.<name>`. Several columns are joined with commas.
 */
export function names(...columns: AnyColumn[]): SQL {
  return sql.join(
    columns.map((column) => sql.identifier(column.name)),
    sql`, `,
  );
}

/** Rows of a `db.execute` result; node-postgres and PGlite both return `{ rows }`. */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}
