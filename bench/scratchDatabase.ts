/** A throwaway database on a PostgreSQL server for one bench run: created empty, dropped (forcibly) at the end. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface ScratchDatabase {
  name: string;
  url: string;
  /** Drops it, disconnecting whoever is still on it; a failure is printed, not thrown (cleanup must not mask the bench's own error). */
  drop(): Promise<void>;
}

export async function createScratchDatabase(serverUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await adminQuery(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () =>
      adminQuery(serverUrl, `drop database if exists ${name} with (force)`).catch((error: unknown) => {
        console.error(`could not drop ${name}: ${error instanceof Error ? error.message : String(error)}`);
      }),
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
