import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { createApiKey, revokeApiKey, verifyApiKey } from '../src/auth/apiKeys.js';
import { resolveAuthMode } from '../src/config.js';
import { rowsOf } from '../src/db/sqlHelpers.js';
import { testBackend } from './helpers/testDatabase.js';
import { startTestServer, type TestServer } from './helpers/testServer.js';

const READ = `{ datasets { totalCount } }`;
const WRITE = `mutation($slug: String!) { createDataset(input: { slug: $slug, name: "x" }) { slug } }`;

describe(`API keys and roles (${testBackend})`, () => {
  let server: TestServer;
  const keys: Record<string, string> = {};
  before(async () => {
    server = await startTestServer({ auth: 'required' });
    for (const role of ['reader', 'writer', 'admin'] as const) {
      keys[role] = (await createApiKey(server.database.db, { role, name: `${role} key` })).key;
    }
  });
  after(() => server.stop());

  it('refuses requests without a key or with a wrong key as UNAUTHENTICATED (401)', async () => {
    const none = await server.gql(READ);
    assert.equal(none.status, 401);
    assert.equal(none.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    assert.match(none.errors![0]!.message, /Authorization: Bearer/);
    const forged = keys.admin!.slice(0, -4) + 'AAAA';
    for (const key of ['nonsense', forged, 'qdc_0000000000000000_' + 'A'.repeat(43)]) {
      const bad = await server.gql(READ, {}, { key });
      assert.equal(bad.status, 401);
      assert.equal(bad.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    }
    assert.equal(none.data, undefined, 'no data leaks with the error');
  });

  it('lets readers read but not write (FORBIDDEN, 403), writers and admins do both', async () => {
    assert.equal((await server.gql(READ, {}, { key: keys.reader })).errors, undefined);
    const denied = await server.gql(WRITE, { slug: 'by-reader' }, { key: keys.reader });
    assert.equal(denied.status, 403);
    assert.equal(denied.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    assert.equal(
      (await server.ok(READ, {}, { key: keys.writer })).datasets.totalCount,
      0,
      'the denied write wrote nothing',
    );
    assert.equal(
      (await server.ok(WRITE, { slug: 'by-writer' }, { key: keys.writer })).createDataset.slug,
      'by-writer',
    );
    assert.equal(
      (await server.ok(WRITE, { slug: 'by-admin' }, { key: keys.admin })).createDataset.slug,
      'by-admin',
    );
  });

  it('stores only a salted hash and stops accepting a revoked key', async () => {
    const { key, row } = await createApiKey(server.database.db, { role: 'writer' });
    const secret = key.split('_').slice(2).join('_');
    const stored = rowsOf<Record<string, unknown>>(
      await server.database.db.execute(sql`select * from api_keys where key_id = ${row.keyId}`),
    )[0]!;
    assert.ok(!JSON.stringify(stored).includes(secret), 'the secret is not stored');
    assert.notEqual(stored.salt, '');
    assert.equal(await verifyApiKey(server.database.db, key), 'writer');
    assert.equal((await server.gql(READ, {}, { key })).status, 200);
    await revokeApiKey(server.database.db, row.keyId);
    assert.equal(await verifyApiKey(server.database.db, key), null);
    const after = await server.gql(READ, {}, { key });
    assert.equal(after.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    assert.match(after.errors![0]!.message, /invalid or revoked/);
  });

  it('needs no key when auth is off', async () => {
    const open = await startTestServer({ auth: 'off', database: server.database });
    try {
      const data = await open.ok(`{ serverInfo { auth backend } }`);
      assert.deepEqual(data.serverInfo, { auth: 'off', backend: testBackend });
      assert.equal((await open.ok(WRITE, { slug: 'open-write' })).createDataset.slug, 'open-write');
    } finally {
      await open.stop();
    }
  });
});

describe('auth mode defaults', () => {
  it('is off only for the embedded database on loopback, unless set', () => {
    assert.equal(resolveAuthMode({ auth: undefined, databaseUrl: undefined, host: '127.0.0.1' }).mode, 'off');
    assert.equal(resolveAuthMode({ auth: undefined, databaseUrl: undefined, host: 'localhost' }).mode, 'off');
    assert.equal(resolveAuthMode({ auth: undefined, databaseUrl: undefined, host: '::1' }).mode, 'off');
    assert.equal(
      resolveAuthMode({ auth: undefined, databaseUrl: undefined, host: '0.0.0.0' }).mode,
      'required',
    );
    assert.equal(
      resolveAuthMode({ auth: undefined, databaseUrl: 'postgres://x/y', host: '127.0.0.1' }).mode,
      'required',
    );
    assert.equal(
      resolveAuthMode({ auth: 'off', databaseUrl: 'postgres://x/y', host: '0.0.0.0' }).mode,
      'off',
    );
    assert.equal(
      resolveAuthMode({ auth: 'required', databaseUrl: undefined, host: '127.0.0.1' }).mode,
      'required',
    );
  });
});
