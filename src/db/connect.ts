/**
 * One database handle, two backends: node-postgres on PostgreSQL (DATABASE_URL) or embedded
 * PGlite + pgvector. Both expose the same drizzle API over the same schema, and both count the
 * statements they run, which tests use to prove that DataLoader batching keeps query counts flat.
 */
import { mkdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Transaction } from '@electric-sql/pglite';
import type { Logger } from 'drizzle-orm/logger';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
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

/**
 * A transaction on one raw connection, for bulk work that drizzle cannot express (COPY).
 * Every statement is counted like drizzle's.
 */
export interface RawTransaction {
  backend: Backend;
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** PostgreSQL: a writable stream into `COPY ... FROM STDIN`; resolves when the server has taken all rows. */
  copyFromStdin?(text: string, chunks: AsyncIterable<Buffer>): Promise<void>;
  /** PGlite: `COPY ... FROM '/dev/blob'` with the given bytes. */
  copyFromBlob?(text: string, data: Uint8Array): Promise<void>;
}

export interface Database {
  db: Db;
  backend: Backend;
  /**
   * Runs `work` in one transaction on one connection, committed when it resolves and rolled back
   * when it throws. If the process dies, the server rolls it back: nothing partial is ever visible.
   */
  rawTransaction<T>(work: (tx: RawTransaction) => Promise<T>): Promise<T>;
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
  /**
   * PostgreSQL only: statement_timeout and idle_in_transaction_session_timeout of every pooled
   * connection, in ms (0 = none). Unset: PostgreSQL's own setting (usually none).
   */
  statementTimeoutMs?: number;
  idleInTransactionTimeoutMs?: number;
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
    // Sent in each connection's startup packet, so they are also the values `set ... to default` restores.
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      ...(options.statementTimeoutMs !== undefined ? { statement_timeout: options.statementTimeoutMs } : {}),
      ...(options.idleInTransactionTimeoutMs !== undefined
        ? { idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs }
        : {}),
    });
    // An idle client that loses its connection must not crash the process.
    pool.on('error', () => undefined);
    // Nor may a checked-out one: the server ends a session left idle in a transaction past
    // idle_in_transaction_session_timeout, and pg emits that as an 'error' event on the client when
    // no query is running. The transaction's next statement then fails, and it rolls back.
    pool.on('connect', (client) => client.on('error', () => undefined));
    await pool.query('select 1');
    const db = drizzlePg(pool, { schema, logger }) as unknown as Db;
    return {
      db,
      backend: 'postgres',
      rawTransaction: (work) => pgRawTransaction(pool, statements, work),
      statements,
      location: redactUrl(options.databaseUrl),
      close: () => pool.end(),
    };
  }

  const dataDir = options.dataDir ?? 'memory://';
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  // Loaded only when used: PostgreSQL deployments do not pay PGlite's memory.
  const [{ PGlite }, { vector }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite-pgvector'),
  ]);
  const client = await PGlite.create(dataDir, { extensions: { vector } });
  const db = drizzlePglite(client, { schema, logger }) as unknown as Db;
  return {
    db,
    backend: 'pglite',
    rawTransaction: (work) => client.transaction((tx) => work(pgliteRawTransaction(tx, statements))),
    statements,
    location: dataDir.startsWith('memory://') ? 'in-memory PGlite' : `PGlite at ${dataDir}`,
    close: () => client.close(),
  };
}

async function pgRawTransaction<T>(
  pool: pg.Pool,
  statements: StatementLog,
  work: (tx: RawTransaction) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  const count = (text: string, params: unknown[] = []) => {
    statements.count += 1;
    statements.listener?.(text, params);
  };
  const tx: RawTransaction = {
    backend: 'postgres',
    async query<R>(text: string, params: unknown[] = []) {
      count(text, params);
      return (await client.query(text, params)).rows as R[];
    },
    async copyFromStdin(text, chunks) {
      count(text);
      // A COPY fed from an upload lasts as long as the upload: the HTTP layer's body timeouts bound
      // it, not statement_timeout (restored for the rest of the transaction afterwards).
      await client.query('set local statement_timeout = 0');
      // Up to 8 chunks queued ahead of the socket smooth out the stalls on either side (measured:
      // ~15% faster than 1) while memory stays bounded.
      await pipeline(Readable.from(chunks, { highWaterMark: 8 }), client.query(copyFrom(text)));
      await client.query('set local statement_timeout to default');
    },
  };
  let broken: Error | undefined;
  try {
    await client.query('begin');
    const result = await work(tx);
    await client.query('commit');
    return result;
  } catch (error) {
    try {
      await client.query('rollback');
    } catch (rollbackError) {
      broken = rollbackError as Error;
    }
    throw error;
  } finally {
    // A connection whose rollback failed is in an unknown state: drop it instead of pooling it.
    client.release(broken);
  }
}

function pgliteRawTransaction(tx: Transaction, statements: StatementLog): RawTransaction {
  const count = (text: string, params: unknown[] = []) => {
    statements.count += 1;
    statements.listener?.(text, params);
  };
  return {
    backend: 'pglite',
    async query<R>(text: string, params: unknown[] = []) {
      count(text, params);
      return (await tx.query<R>(text, params)).rows;
    },
    async copyFromBlob(text, data) {
      count(text);
      await tx.query(text, [], { blob: new Blob([data]) });
    },
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
