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

export interface ScratchDatabase {
  name: string;
  url: string;
  /** Drops it, disconnecting whoever is still on it. */
  drop(): Promise<void>;
}

/**
 * A new, empty database on a PostgreSQL server (by default the DATABASE_URL one), neither opened
 * nor migrated, named `<prefix>_<random>`: for tests that hand the URL to a child process, and
 * for the benches (bench/scratchDatabase.ts).
 */
export async function createScratchDatabase(
  serverUrl = process.env.DATABASE_URL,
  prefix = `qdc_test_${process.pid}`,
): Promise<ScratchDatabase> {
  if (!serverUrl) throw new Error('createScratchDatabase needs DATABASE_URL');
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await adminQuery(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => adminQuery(serverUrl, `drop database if exists ${name} with (force)`),
  };
}

async function adminQuery(serverUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
