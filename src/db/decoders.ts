/** How the driver's rows become row objects: each field's decoder, and the compiled row decoder. */
import { is, SQL } from 'drizzle-orm';
import { PgTimestamp } from 'drizzle-orm/pg-core';
import { parseTimestamptz } from './timestamptz.js';

export type Decoder = { mapFromDriverValue(value: unknown): unknown };

/** timestamptz columns: the same `Date` drizzle's decoder gives, read without V8's general date parser. */
const timestamptzDecoder: Decoder = {
  mapFromDriverValue: (value) => (typeof value === 'string' ? parseTimestamptz(value) : value),
};

/** A column decodes itself; `sql` carries the decoder `.mapWith` set (drizzle keeps it internal). */
export function decoderOf(field: unknown): Decoder {
  if (is(field, SQL.Aliased)) return decoderOf(field.sql);
  if (is(field, SQL)) return (field as unknown as { decoder: Decoder }).decoder;
  if (is(field, PgTimestamp) && field.withTimezone) return timestamptzDecoder;
  return field as Decoder;
}

/** Where a row field comes from: `at` is its index in an array row or its name in an object row. */
export interface DecodedField {
  key: string;
  at: number | string;
  decoder: Decoder;
}

/**
 * One driver row (array or object) to an object with the fields' keys, compiled from source so
 * that every row gets the same hidden class and each field its own call site. (A loop assigning
 * `row[key]` made every row a dictionary-mode object and cost 3% of bench/graphql's CPU.) Keys and
 * column names are quoted by JSON.stringify; no request data reaches the source.
 */
export function compileRowDecoder(
  fields: readonly DecodedField[],
): (raw: unknown) => Record<string, unknown> {
  const properties = fields.map(({ key, at }, c) => {
    const value = `raw[${JSON.stringify(at)}]`;
    return `${JSON.stringify(key)}: ${value} == null ? null : d[${c}].mapFromDriverValue(${value})`;
  });
  const decoders = fields.map((field) => field.decoder);
  return new Function('d', `return (raw) => ({\n${properties.join(',\n')}\n});`)(decoders) as (
    raw: unknown,
  ) => Record<string, unknown>;
}
