/**
 * Upgrades: catalogs written by an earlier release (test/fixtures/upgrade/<release>/, made by its
 * make.ts) open with this code, are migrated to the current schema, and answer exactly what they
 * answered before; they also take new writes. The PGlite data directory is opened on every run,
 * the PostgreSQL dump when DATABASE_URL names a server.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { openCatalog } from '../src/app.js';
import { rowsOf } from '../src/db/sqlHelpers.js';
import type { Database } from '../src/db/connect.js';
import { createVersion } from './helpers/fixtures.js';
import { createScratchDatabase } from './helpers/testDatabase.js';
import { startTestServer } from './helpers/testServer.js';
import { snapshot } from './helpers/upgradeCatalog.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'upgrade');
const RELEASES = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

/** Migrations recorded as applied, in drizzle's own bookkeeping table. */
async function appliedMigrations(database: Database): Promise<number> {
  const [row] = rowsOf<{ n: number }>(
    await database.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`),
  );
  return Number(row!.n);
}

function journalEntries(): number {
  const journal = JSON.parse(
    readFileSync(join(import.meta.dirname, '..', 'migrations', 'meta', '_journal.json'), 'utf8'),
  );
  return (journal as { entries: unknown[] }).entries.length;
}

async function checkUpgraded(database: Database, release: string): Promise<void> {
  const expected = JSON.parse(readFileSync(join(FIXTURES, release, 'snapshot.json'), 'utf8'));
  const server = await startTestServer({ database });
  try {
    assert.equal(await appliedMigrations(database), journalEntries(), 'every migration applied');
    assert.deepEqual(await snapshot(server), expected);
    // Still writable: a new version of an existing dataset is numbered after the old ones.
    const added = await createVersion(server, 'seed-tasks', [
      { prompt: 'after the upgrade', response: 'ok' },
    ]);
    assert.equal(added.version.version, 2);
  } finally {
    await server.stop();
  }
}

describe('catalogs written by earlier releases', () => {
  assert.ok(RELEASES.length > 0, 'at least one release fixture');
  for (const release of RELEASES) {
    it(`opens and migrates a PGlite data directory written by ${release}`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'qdc-upgrade-'));
      try {
        execFileSync('tar', ['-xzf', join(FIXTURES, release, 'pglite-datadir.tar.gz'), '-C', dataDir]);
        const database = await openCatalog({ dataDir });
        try {
          await checkUpgraded(database, release);
        } finally {
          await database.close();
        }
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });

    it(
      `opens and migrates a PostgreSQL database written by ${release}`,
      { skip: process.env.DATABASE_URL ? false : 'needs DATABASE_URL' },
      async () => {
        const scratch = await createScratchDatabase();
        try {
          const dump = gunzipSync(readFileSync(join(FIXTURES, release, 'postgres.sql.gz')));
          execFileSync('psql', ['-q', '-v', 'ON_ERROR_STOP=1', scratch.url], {
            input: dump,
            stdio: ['pipe', 'ignore', 'pipe'],
          });
          const database = await openCatalog({ databaseUrl: scratch.url, poolSize: 3 });
          try {
            await checkUpgraded(database, release);
          } finally {
            await database.close();
          }
        } finally {
          await scratch.drop();
        }
      },
    );
  }
});
