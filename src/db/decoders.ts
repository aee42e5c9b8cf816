/** How a selected field's driver value becomes its row value, for the compiled row decoders. */
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
