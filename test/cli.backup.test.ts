/**
 * `qdc backup`, `qdc restore` and `qdc export --all` as real processes: a PGlite catalog is backed
 * up through the server that holds its data directory, restored into a new data directory (and
 * into PostgreSQL when DATABASE_URL names a server) that answers the same, and bad files or targets
 * are refused without changing anything.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { openCatalog } from '../src/app.js';
import { rowsOf } from '../src/db/sqlHelpers.js';
import { createApiKey } from '../src/auth/apiKeys.js';
import { qdc } from './helpers/cli.js';
import { createScratchDatabase, type ScratchDatabase } from './helpers/testDatabase.js';
import { startTestServer, type TestServer } from './helpers/testServer.js';
import { populate, snapshot } from './helpers/upgradeCatalog.js';

/** The catalog's snapshot, read by a server on the given database. */
async function snapshotOf(options: { dataDir?: string; databaseUrl?: string }): Promise<unknown> {
  const database = await openCatalog(options);
  const server = await startTestServer({ database });
  try {
    return await snapshot(server);
  } finally {
    await server.stop();
    await database.close();
  }
}

const dumpRows = (dump: string) => dump.split('\n').slice(1);

describe('qdc backup and restore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qdc-backup-'));
  const source = join(dir, 'source');
  const backup = join(dir, 'catalog.jsonl.gz');
  let original: unknown;
  let server: TestServer;
  let adminKey: string;
  let readerKey: string;

  before(async () => {
    const database = await openCatalog({ dataDir: source });
    // Filled and read without a key; then served with auth required, as a backup target would be.
    const open = await startTestServer({ database });
    try {
      await populate(open);
      original = await snapshot(open);
    } finally {
      await open.stop();
    }
    adminKey = (await createApiKey(database.db, { name: 'admin', role: 'admin' })).key;
    readerKey = (await createApiKey(database.db, { name: 'reader', role: 'reader' })).key;
    server = await startTestServer({ database, auth: 'required' });
  });
  after(async () => {
    await server?.stop();
    await server?.database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('backs up a PGlite catalog through the server that holds it, with an admin key only', async () => {
    const none = await qdc(['backup', backup, '--server', server.url, '--no-progress']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /HTTP 401/);
    const reader = await qdc([
      'backup',
      backup,
      '--server',
      server.url,
      '--api-key',
      readerKey,
      '--no-progress',
    ]);
    assert.equal(reader.code, 1);
    assert.match(reader.stderr, /needs the admin role; the key has reader \(HTTP 403 FORBIDDEN\)/);
    assert.ok(!existsSync(backup), 'a refused backup leaves no file');
    assert.deepEqual(
      readdirSync(dir).filter((name) => name.includes('.partial-')),
      [],
      'nor a partial one',
    );

    const run = await qdc(['backup', backup, '--server', server.url, '--api-key', adminKey, '--no-progress']);
    assert.equal(run.code, 0, run.stderr);
    const dump = gunzipSync(readFileSync(backup)).toString('utf8');
    const header = JSON.parse(dump.split('\n')[0]!);
    assert.equal(header.format, 'qdc-catalog-dump');
    assert.equal(header.backend, 'pglite');
    const total = header.tables.reduce((sum: number, t: { rows: number }) => sum + t.rows, 0);
    assert.match(run.stderr, new RegExp(`backup: ${total.toLocaleString('en-US')} rows written`));
  });

  it('restores into a new data directory that answers the same, and refuses to restore twice', async () => {
    const target = join(dir, 'restored');
    const run = await qdc(['restore', backup, '--data-dir', target, '--no-progress']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /restore: [\d,]+ rows in \d+ tables into PGlite at/);
    assert.deepEqual(await snapshotOf({ dataDir: target }), original);

    const again = await qdc(['restore', backup, '--data-dir', target, '--no-progress']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /refusing to restore into a catalog that holds 2 dataset\(s\)/);
    assert.deepEqual(await snapshotOf({ dataDir: target }), original);

    // A direct backup of the restored catalog holds the same rows; export --all writes the same dump.
    const direct = join(dir, 'direct.jsonl');
    const backedUp = await qdc(['backup', direct, '--data-dir', target, '--no-progress']);
    assert.equal(backedUp.code, 0, backedUp.stderr);
    const exported = join(dir, 'exported.jsonl');
    const exportAll = await qdc(['export', '--all', '-o', exported, '--data-dir', target, '--no-progress']);
    assert.equal(exportAll.code, 0, exportAll.stderr);
    const first = gunzipSync(readFileSync(backup)).toString('utf8');
    assert.deepEqual(dumpRows(readFileSync(direct, 'utf8')), dumpRows(first));
    assert.deepEqual(dumpRows(readFileSync(exported, 'utf8')), dumpRows(first));
  });

  it('refuses a truncated file with its line and leaves the target empty', async () => {
    const lines = gunzipSync(readFileSync(backup)).toString('utf8').split('\n');
    const cut = join(dir, 'cut.jsonl');
    writeFileSync(cut, `${lines.slice(0, lines.length - 30).join('\n')}\n`);
    const target = join(dir, 'from-cut');
    const run = await qdc(['restore', cut, '--data-dir', target, '--no-progress']);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      new RegExp(`line ${lines.length - 29}: the dump ends before .* the file is truncated`),
    );
    const database = await openCatalog({ dataDir: target });
    try {
      const [row] = rowsOf<{ n: number }>(
        await database.db.execute(sql`select count(*)::int as n from datasets`),
      );
      assert.equal(Number(row!.n), 0);
    } finally {
      await database.close();
    }
    const missing = await qdc(['restore', join(dir, 'nope.jsonl'), '--data-dir', target]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.jsonl: no such file or directory/);
  });

  const postgresUrl = process.env.DATABASE_URL;
  it('moves the catalog to PostgreSQL and back', { skip: !postgresUrl && 'needs DATABASE_URL' }, async () => {
    let scratch: ScratchDatabase | undefined;
    try {
      scratch = await createScratchDatabase(postgresUrl);
      const toPg = await qdc(['restore', backup, '--database-url', scratch.url, '--no-progress']);
      assert.equal(toPg.code, 0, toPg.stderr);
      assert.deepEqual(await snapshotOf({ databaseUrl: scratch.url }), original);
      const fromPg = join(dir, 'from-pg.jsonl.gz');
      const dumped = await qdc(['backup', fromPg, '--database-url', scratch.url, '--no-progress']);
      assert.equal(dumped.code, 0, dumped.stderr);
      const back = join(dir, 'back-from-pg');
      const restored = await qdc(['restore', fromPg, '--data-dir', back, '--no-progress']);
      assert.equal(restored.code, 0, restored.stderr);
      assert.deepEqual(await snapshotOf({ dataDir: back }), original);
    } finally {
      await scratch?.drop();
    }
  });
});
