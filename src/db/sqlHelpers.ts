import { sql, type SQL } from 'drizzle-orm';

/** `ARRAY[$1, $2, ...]::bigint[]`, or an empty bigint array. */
export function bigintArray(values: readonly number[]): SQL {
  if (values.length === 0) return sql`'{}'::bigint[]`;
  return sql`ARRAY[${sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  )}]::bigint[]`;
}

/** Rows of a `db.execute` result; node-postgres and PGlite both return `{ rows }`. */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}
