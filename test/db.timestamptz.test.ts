import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import type { Database } from '../src/db/connect.js';
import { rowsOf } from '../src/db/sqlHelpers.js';
import { epochMillisOfTimestamptz, parseTimestamptz } from '../src/db/timestamptz.js';
import { openTestDatabase, testBackend } from './helpers/testDatabase.js';
import { prng } from './helpers/prng.js';

/** drizzle's own decoding of a timestamptz, which the fast path must match: `new Date(text)`. */
const reference = (text: string) => new Date(text).getTime();
/** Read by the fast path, to the same instant as drizzle's decoding. */
const readFast = (text: string) => {
  assert.equal(epochMillisOfTimestamptz(text), reference(text), text);
  assert.equal(parseTimestamptz(text).getTime(), reference(text), text);
};
/** Not in the layout the fast path reads: handed to `new Date(text)`. */
const handedOn = (text: string) => {
  assert.ok(Number.isNaN(epochMillisOfTimestamptz(text)), `${text} should not be read by the fast path`);
  assert.ok(Object.is(parseTimestamptz(text).getTime(), reference(text)), text);
};

/** Formats like PostgreSQL's ISO output: fraction without trailing zeros, offset in hours[:minutes]. */
function postgresText(epochMillis: number, micros: number, offsetMinutes: number): string {
  const local = new Date(epochMillis + offsetMinutes * 60_000);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const fraction = ((local.getUTCMilliseconds() * 1000 + micros) / 1e6)
    .toFixed(6)
    .slice(1)
    .replace(/0+$/, '')
    .replace(/\.$/, '');
  const offset = Math.abs(offsetMinutes);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const zone = `${sign}${pad(Math.floor(offset / 60))}${offset % 60 ? `:${pad(offset % 60)}` : ''}`;
  return (
    `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())} ` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${fraction}${zone}`
  );
}

describe('timestamptz decoding', () => {
  it('matches new Date(text) on generated PostgreSQL texts: fractions of 0-6 digits, offsets east and west', () => {
    const random = prng(7);
    const offsets = [0, 60, -300, 330, -210, 345, 840, -720, 525];
    for (let i = 0; i < 20_000; i++) {
      const epoch = Math.floor((random() * 2 - 1) * 4e12); // years ~1843 to ~2096
      const micros = random() < 0.3 ? 0 : Math.floor(random() * 1000);
      readFast(postgresText(epoch, micros, offsets[i % offsets.length]!));
    }
  });

  it('matches new Date(text) at the edges: leap days, year ends, years 100-999, fractions that truncate', () => {
    for (const text of [
      '2024-02-29 23:59:59.999999+00',
      '2025-12-31 23:59:59.9995-01',
      '2026-01-01 00:00:00+14',
      '1970-01-01 00:00:00+00',
      '1969-12-31 23:59:59.001+00',
      '0100-03-01 12:00:00+00',
      '0999-07-04 01:02:03.4+05:45',
      '2026-11-21 10:22:33.1239+00',
      '2026-11-21 10:22:33.5-09:30',
    ]) {
      readFast(text);
    }
  });

  it('leaves what it does not read to new Date(text): infinity, BC, tiny and five-digit years, offsets with seconds', () => {
    for (const text of [
      'infinity',
      '-infinity',
      '0044-03-15 12:00:00+00 BC',
      '0099-01-01 00:00:00+00',
      '12026-01-01 00:00:00+00',
      '1890-01-01 00:00:00+00:19:32',
      '2026-11-21T10:22:33Z',
      '2026-11-21 10:22:33',
      '2026-02-29 10:00:00+00',
      '2026-13-01 10:00:00+00',
      '2026-04-31 10:00:00+00',
      '2026-11-21 24:00:00+00',
      'garbage',
    ]) {
      handedOn(text);
    }
  });
});

describe(`timestamptz decoding of what the database sends (${testBackend})`, () => {
  let database: Database;
  before(async () => {
    database = await openTestDatabase();
  });
  after(() => database.close());

  for (const zone of ['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Europe/Amsterdam', 'Pacific/Chatham']) {
    it(`matches new Date(text) for timestamps printed in ${zone}, historic offsets with seconds included`, async () => {
      const texts = await database.db.transaction(async (tx) => {
        await tx.execute(sql.raw(`set local timezone = '${zone}'`));
        const result = await tx.execute(sql`
          select (timestamptz '1890-06-01 12:00:00+00' + make_interval(secs => n * 4000000.123457))::text as t
          from generate_series(0, 2000) as n
          union all select 'infinity'::timestamptz::text union all select now()::text`);
        return rowsOf<{ t: string }>(result).map((row) => row.t);
      });
      assert.equal(texts.length, 2003);
      const fast = texts.filter((text) => !Number.isNaN(epochMillisOfTimestamptz(text)));
      const handed = texts.filter((text) => !fast.includes(text));
      for (const text of fast) readFast(text);
      for (const text of handed) handedOn(text);
      // Only infinity and the local-mean-time offsets of the 19th century (with seconds) are handed on.
      assert.ok(handed.includes('infinity'));
      assert.ok(
        handed.every((t) => t === 'infinity' || /[+-]\d\d:\d\d:\d\d$/.test(t)),
        handed.join(', '),
      );
    });
  }
});
