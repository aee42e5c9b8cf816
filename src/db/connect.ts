/**
 * One database handle, two backends: node-postgres on PostgreSQL (DATABASE_URL) or embedded
 * PGlite + pgvector. Both expose the same drizzle API over the same schema, and both count the
 * statements they run, which tests use to prove that DataLoader batching keeps query counts flat.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import type { Logger } from 'drizzle-orm/logger';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import pg from 'pg';
import * as schema from './schema.js';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Either the database or an open transaction: domain functions accept both. */
export type Executor = Db | Tx;

export type Backend = 'postgres' | 'pglite';

/** Every statement sent through drizzle, for tests and benchmarks. */
export interface StatementLog {
  count: number;
  /** When set, receives each statement's SQL and parameters. */
  listener?: (sql: string, params: unknown[]) => void;
}

export interface Database {
  db: Db;
  backend: Backend;
  statements: StatementLog;
  /** Human-readable location (URL without password, or PGlite directory). */
  location: string;
  close(): Promise<void>;
}

export interface ConnectOptions {
  databaseUrl?: string;
  /** PGlite directory, or `memory://` for an in-memory database. */
  dataDir?: string;
  poolSize?: number;
}

export async function connect(options: ConnectOptions): Promise<Database> {
  const statements: StatementLog = { count: 0 };
  const logger: Logger = {
    logQuery(query, params) {
      statements.count += 1;
      statements.listener?.(query, params);
    },
  };

  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10 });
    // An idle client that loses its connection must not crash the process.
    pool.on('error', () => undefined);
    await pool.query('select 1');
    const db = drizzlePg(pool, { schema, logger }) as unknown as Db;
    return {
      db,
      backend: 'postgres',
      statements,
      location: redactUrl(options.databaseUrl),
      close: () => pool.end(),
    };
  }

  const dataDir = options.dataDir ?? 'memory://';
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir, { extensions: { vector } });
  const db = drizzlePglite(client, { schema, logger }) as unknown as Db;
  return {
    db,
    backend: 'pglite',
    statements,
    location: dataDir.startsWith('memory://') ? 'in-memory PGlite' : `PGlite at ${dataDir}`,
    close: () => client.close(),
  };
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}
