/**
 * `preparedSelect` (src/db/preparedSelect.ts) and the decoders (src/db/decoders.ts) use drizzle
 * internals, kept because bench/preparedReads measured the public `.prepare()` API ~1.4x slower on
 * the hot reads (bench/README.md). drizzle-orm is pinned to an exact version in package.json; these
 * tests say which contract broke when an upgrade changes one of those internals.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getTableColumns, is, SQL, sql } from 'drizzle-orm';
import { PgTimestamp } from 'drizzle-orm/pg-core';
import type { Database } from '../src/db/connect.js';
import { decoderOf } from '../src/db/decoders.js';
import { rowsOf } from '../src/db/sqlHelpers.js';
import { preparedSelect } from '../src/db/preparedSelect.js';
import { algorithms, datasets } from '../src/db/schema.js';
import { openTestDatabase, testBackend } from './helpers/testDatabase.js';

const CHANGED = 'drizzle-orm internals used by src/db/preparedSelect.ts / decoders.ts changed:';

describe(`drizzle internals that preparedSelect relies on (${testBackend})`, () => {
  let database: Database;

  before(async () => {
    database = await openTestDatabase();
  });
  after(() => database.close());

  it('db._.session.prepareQuery exists, and a transaction has its own session', async () => {
    const { db } = database;
    const session = (db as unknown as { _?: { session?: { prepareQuery?: unknown } } })._?.session;
    assert.ok(session, `${CHANGED} db._.session is gone`);
    assert.equal(typeof session.prepareQuery, 'function', `${CHANGED} db._.session.prepareQuery is gone`);
    await db.transaction(async (tx) => {
      assert.equal(
        typeof tx._.session.prepareQuery,
        'function',
        `${CHANGED} tx._.session.prepareQuery is gone`,
      );
      assert.notEqual(tx._.session, db._.session, `${CHANGED} a transaction shares the database's session`);
    });
  });

  it('prepareQuery(query, fields, name, true, mapper) hands the mapper array rows in select order and logs the statement', async () => {
    const { db } = database;
    let mapped: unknown[][] | undefined;
    const query = db._.session.prepareQuery(
      db
        .select({ key: algorithms.key, id: algorithms.id })
        .from(algorithms)
        .where(sql`${algorithms.id} = ${sql.placeholder('id')}`)
        .toSQL(),
      undefined,
      'qdc_internals_test',
      true,
      (rows) => {
        mapped = rows as unknown[][];
        return rows;
      },
    );
    const [first] = await db.select({ id: algorithms.id, key: algorithms.key }).from(algorithms).limit(1);
    assert.ok(first, 'the seeded taxonomy has algorithms');
    const before = database.statements.count;
    await query.execute({ id: first.id });
    assert.equal(
      database.statements.count,
      before + 1,
      `${CHANGED} prepareQuery no longer goes through the logger`,
    );
    assert.ok(Array.isArray(mapped), `${CHANGED} prepareQuery no longer calls the custom result mapper`);
    assert.deepStrictEqual(
      mapped.map((row) => (Array.isArray(row) ? [row[0], Number(row[1])] : row)),
      [[first.key, first.id]],
      `${CHANGED} the custom result mapper no longer receives array rows in select order`,
    );
  });

  if (testBackend === 'postgres') {
    it('the prepared query runs as a named prepared statement on its connection', async () => {
      const { db } = database;
      await db.transaction(async (tx) => {
        const name = 'qdc_internals_named';
        await tx._.session
          .prepareQuery({ sql: 'select 1 as one', params: [] }, undefined, name, true, (rows) => rows)
          .execute();
        const found = await tx.execute(sql`select name from pg_prepared_statements where name = ${name}`);
        assert.equal(
          rowsOf(found).length,
          1,
          `${CHANGED} the name passed to prepareQuery no longer names the statement`,
        );
      });
    });
  }

  it('sql`...`.mapWith(f) keeps f as SQL.decoder; plain sql and columns decode themselves', () => {
    const mapped = sql<number>`1`.mapWith(Number);
    const decoder = (mapped as unknown as { decoder?: { mapFromDriverValue?: unknown } }).decoder;
    assert.equal(typeof decoder?.mapFromDriverValue, 'function', `${CHANGED} SQL.decoder is gone`);
    assert.equal(
      decoderOf(mapped).mapFromDriverValue('42'),
      42,
      `${CHANGED} mapWith no longer sets SQL.decoder`,
    );
    assert.equal(
      decoderOf(sql`1`).mapFromDriverValue('x'),
      'x',
      `${CHANGED} plain sql has no pass-through decoder`,
    );
    assert.equal(
      decoderOf(sql`1`.as('one')).mapFromDriverValue('y'),
      'y',
      `${CHANGED} SQL.Aliased has no .sql`,
    );
    assert.ok(is(sql`1`, SQL), `${CHANGED} is(…, SQL) no longer recognises sql`);
    const createdAt = getTableColumns(datasets).createdAt;
    assert.ok(
      is(createdAt, PgTimestamp) && createdAt.withTimezone,
      `${CHANGED} PgTimestamp / withTimezone changed`,
    );
    assert.equal(
      typeof decoderOf(datasets.id).mapFromDriverValue,
      'function',
      `${CHANGED} columns lost mapFromDriverValue`,
    );
  });

  it('a preparedSelect returns the same rows as the query builder', async () => {
    const { db } = database;
    const statement = preparedSelect(getTableColumns(algorithms), (select) =>
      select.from(algorithms).where(sql`${algorithms.key} = ${sql.placeholder('key')}`),
    );
    const [expected] = await db.select().from(algorithms).limit(1);
    assert.ok(expected);
    assert.deepStrictEqual(
      await statement.all(db, { key: expected.key }),
      [expected],
      `${CHANGED} decoded rows differ`,
    );
  });
});
