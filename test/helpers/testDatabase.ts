/**
 * A fresh, migrated catalog database per call: in-memory PGlite by default, or a new database on
 * the PostgreSQL server named by DATABASE_URL (dropped again on close), so the same tests run on
 * both backends.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openCatalog } from '../../src/app.js';
import type { Database } from '../../src/db/connect.js';

export const testBackend = process.env.DATABASE_URL ? 'postgres' : 'pglite';

export async function openTestDatabase(): Promise<Database> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return openCatalog({ dataDir: 'memory://' });

  const scratch = await createScratchDatabase();
  const database = await openCatalog({ databaseUrl: scratch.url, poolSize: 5 });
  return {
    ...database,
    async close() {
      await database.close();
      await scratch.drop();
    },
  };
}

/**
 * A new, empty database on the DATABASE_URL server, neither opened nor migrated (for tests that
 * hand the URL to a child process). `drop` removes it, disconnecting whoever is still on it.
 */
export async function createScratchDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) throw new Error('createScratchDatabase needs DATABASE_URL');
  const name = `qdc_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const cleanup = new pg.Client({ connectionString: serverUrl });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}
