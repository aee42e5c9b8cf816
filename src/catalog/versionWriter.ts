/**
 * Writes a stream of validated samples as one new, immutable dataset version. Shared by the
 * GraphQL `createVersion` (small batches), bulk ingest (millions of rows) and TInt generation.
 *
 * Three steps, on either backend:
 *   1. a placeholder version row (status STAGING, version = -id) gives the samples their
 *      foreign key without taking any lock, so concurrent ingests into one dataset run in parallel;
 *   2. samples stream in with COPY (PostgreSQL: `FROM STDIN` in large chunks; PGlite: `FROM
 *      '/dev/blob'` per chunk), hashed on the way;
 *   3. only then is the dataset row locked, the content hash checked against existing versions
 *      (identical content: the staged rows are dropped and the existing version returned), the next
 *      version number taken and the row switched to READY.
 *
 * PostgreSQL runs all three in one transaction on one pooled connection: other connections go on
 * serving, and a failure, a cancelled request or a killed process rolls everything back.
 *
 * PGlite has one connection, which a transaction holds until it commits. There each step is its own
 * short transaction (the placeholder, then every COPY chunk of about STAGED_CHUNK_BYTES, then the
 * publish), so requests queued behind the writer are answered between chunks. The version is
 * invisible meanwhile: every reader of dataset_versions asks for `readyVersion`. A failure or a
 * cancel deletes the staged rows (in bounded transactions too) before the error is rethrown; what a
 * killed process leaves behind is deleted when the data directory is next opened
 * (`removeAbandonedVersions`, safe because PGlite allows one process per data directory).
 */
import { eq, sql } from 'drizzle-orm';
import type { Database, RawTransaction } from '../db/connect.js';
import { datasetVersions, type VersionRow } from '../db/schema.js';
import { rowsOf } from '../db/sqlHelpers.js';
import { BadInputError } from '../errors.js';
import { DuplicateSet } from './duplicateSet.js';
import type { HashedSample } from './canonicalSample.js';
import { VersionHasher } from './contentHash.js';
import { CopyChunker, SAMPLE_COPY_COLUMNS } from './copyText.js';

/** Bytes of COPY text per chunk sent to the server. */
const COPY_CHUNK_BYTES = 1 << 20;
/**
 * PGlite: COPY text per staged transaction. Each holds the only connection while it runs, so this
 * bounds how long a concurrent read waits (bench/pgliteResponsive: at 100k rows, 64 KiB chunks gave
 * a read p95 of 2.2x idle and the slowest write, 256 KiB 4.9x and the fastest, ~18% apart).
 */
const STAGED_CHUNK_BYTES = 128 << 10;
/** Sample rows deleted per transaction when a staged version is dropped. */
const DISCARD_ROWS = 5000;
/**
 * PostgreSQL queues one foreign-key check per row until the COPY statement ends; starting a new
 * COPY every so many rows keeps that queue (server memory) bounded at any file size.
 */
const ROWS_PER_COPY_STATEMENT = 250_000;
/** How many duplicate pairs a result lists (all are counted). */
export const MAX_LISTED_DUPLICATES = 100;

export interface DuplicateSample {
  ordinal: number;
  /** Ordinal of the first sample with the same content hash. */
  duplicateOf: number;
}

export interface WriteVersionResult {
  version: VersionRow;
  /** False when a version with identical content already existed and is returned instead. */
  created: boolean;
  /** Samples whose content hash repeats an earlier sample of the same version. */
  duplicateSamples: number;
  /** The first MAX_LISTED_DUPLICATES of them. */
  duplicates: DuplicateSample[];
}

class IdenticalVersionExists extends Error {
  constructor(readonly versionId: number) {
    super('identical version exists');
  }
}

/** Running totals over the samples as they stream past. */
class VersionTally {
  readonly hasher = new VersionHasher();
  readonly seen = new DuplicateSet();
  count = 0;
  byteSize = 0;
  duplicateSamples = 0;
  readonly duplicates: DuplicateSample[] = [];

  /** Accounts for the next sample and returns its ordinal. */
  add(sample: HashedSample): number {
    const ordinal = this.count;
    this.count += 1;
    this.byteSize += sample.byteSize;
    this.hasher.add(sample.contentHash);
    const first = this.seen.add(sample.contentHash, ordinal);
    if (first >= 0) {
      this.duplicateSamples += 1;
      if (this.duplicates.length < MAX_LISTED_DUPLICATES)
        this.duplicates.push({ ordinal, duplicateOf: first });
    }
    return ordinal;
  }
}

export async function writeVersion(
  database: Database,
  datasetId: number,
  batches: AsyncIterable<readonly HashedSample[]> | Iterable<readonly HashedSample[]>,
): Promise<WriteVersionResult> {
  const tally = new VersionTally();
  let versionId: number;
  try {
    versionId = await (database.backend === 'pglite'
      ? writeInStages(database, datasetId, batches, tally)
      : database.rawTransaction(async (tx) => {
          const id = await insertPlaceholder(tx, datasetId);
          const iterator = toAsyncIterator(batches);
          await copyThroughStdin(tx, id, iterator, tally);
          if (tally.count === 0)
            throw new BadInputError('no samples to ingest: the input holds no valid sample');
          await publish(tx, datasetId, id, tally);
          return id;
        }));
  } catch (error) {
    if (!(error instanceof IdenticalVersionExists)) throw error;
    const version = await readVersion(database, error.versionId);
    return {
      version,
      created: false,
      duplicateSamples: tally.duplicateSamples,
      duplicates: tally.duplicates,
    };
  }
  const version = await readVersion(database, versionId);
  return { version, created: true, duplicateSamples: tally.duplicateSamples, duplicates: tally.duplicates };
}

/** PGlite: the version written in short transactions (see the top of this file). */
async function writeInStages(
  database: Database,
  datasetId: number,
  batches: AsyncIterable<readonly HashedSample[]> | Iterable<readonly HashedSample[]>,
  tally: VersionTally,
): Promise<number> {
  // A sequence value is taken outside any transaction: the rows can name their version before it exists.
  const [reserved] = rowsOf<{ n: string | number }>(
    await database.db.execute(sql`select nextval(pg_get_serial_sequence('dataset_versions', 'id')) as n`),
  );
  const versionId = Number(reserved!.n);
  const copy = `copy samples ${SAMPLE_COPY_COLUMNS} from '/dev/blob'`;
  let staged = false;
  const write = async (chunk: Buffer) => {
    if (!staged) {
      await database.rawTransaction((tx) => insertPlaceholder(tx, datasetId, versionId));
      staged = true;
    }
    await database.rawTransaction((tx) => tx.copyFromBlob!(copy, chunk));
    // PGlite runs in this thread and its calls resolve as microtasks: without a macrotask turn
    // here, the requests waiting on sockets would not even be read until the write had ended.
    await new Promise((resolve) => setImmediate(resolve));
  };
  try {
    const chunker = new CopyChunker(versionId, STAGED_CHUNK_BYTES);
    for await (const batch of batches) {
      for (const sample of batch) {
        const full = chunker.add(tally.add(sample), sample);
        if (full) await write(full);
      }
    }
    const rest = chunker.take();
    if (rest) await write(rest);
    if (tally.count === 0) throw new BadInputError('no samples to ingest: the input holds no valid sample');
    await database.rawTransaction((tx) => publish(tx, datasetId, versionId, tally));
    return versionId;
  } catch (error) {
    if (staged) {
      // Should this fail too (the database closed under us), the next open removes the rows.
      await discardStagedVersion(database, versionId).catch(() => undefined);
    }
    throw error;
  }
}

/**
 * Deletes a STAGING version and its samples, DISCARD_ROWS samples per statement (each its own
 * transaction, so on PGlite other requests run in between). A READY version is never touched.
 */
export async function discardStagedVersion(database: Database, versionId: number): Promise<void> {
  for (;;) {
    const [gone] = rowsOf<{ n: number }>(
      await database.db.execute(sql`
        with gone as (
          delete from samples where id in (
            select s.id from samples s join dataset_versions v on v.id = s.version_id
             where s.version_id = ${versionId} and v.status = 'STAGING'
             limit ${DISCARD_ROWS})
          returning 1)
        select count(*)::int as n from gone`),
    );
    if (Number(gone!.n) === 0) break;
  }
  await database.db.execute(sql`delete from dataset_versions where id = ${versionId} and status = 'STAGING'`);
}

/**
 * PGlite: deletes every STAGING version, left by a process killed while writing one, and its
 * samples. Run when a data directory is opened, before anything else writes: PGlite allows one
 * process per directory, so no writer can still be at work on them. On PostgreSQL a STAGING row
 * never outlives its transaction (the server rolls back a dead client's), so there is nothing to do,
 * and deleting another process's in-flight rows would be wrong.
 */
export async function removeAbandonedVersions(database: Database): Promise<number> {
  if (database.backend !== 'pglite') return 0;
  const rows = rowsOf<{ id: string | number }>(
    await database.db.execute(sql`select id from dataset_versions where status = 'STAGING' order by id`),
  );
  for (const row of rows) await discardStagedVersion(database, Number(row.id));
  return rows.length;
}

async function readVersion(database: Database, id: number): Promise<VersionRow> {
  const [row] = await database.db.select().from(datasetVersions).where(eq(datasetVersions.id, id));
  return row!;
}

async function insertPlaceholder(tx: RawTransaction, datasetId: number, reserved?: number): Promise<number> {
  if (reserved !== undefined) {
    await tx.query(
      `insert into dataset_versions (id, dataset_id, version, content_hash, sample_count, byte_size, status)
       values ($2, $1, $3, $4, 0, 0, 'STAGING')`,
      [datasetId, reserved, -reserved, `staging:${reserved}`],
    );
    return reserved;
  }
  const [row] = await tx.query<{ id: string }>(
    `insert into dataset_versions (id, dataset_id, version, content_hash, sample_count, byte_size, status)
     select n, $1, -n, 'staging:' || n, 0, 0, 'STAGING'
       from (select nextval(pg_get_serial_sequence('dataset_versions', 'id')) as n) as next
     returning id`,
    [datasetId],
  );
  return Number(row!.id);
}

async function publish(
  tx: RawTransaction,
  datasetId: number,
  versionId: number,
  tally: VersionTally,
): Promise<void> {
  const contentHash = tally.hasher.digest();
  // NO KEY UPDATE: the placeholder rows of concurrent writers hold KEY SHARE locks on this row
  // (their foreign key); FOR UPDATE would conflict with those and deadlock.
  await tx.query('select id from datasets where id = $1 for no key update', [datasetId]);
  const [existing] = await tx.query<{ id: string }>(
    'select id from dataset_versions where dataset_id = $1 and content_hash = $2',
    [datasetId, contentHash],
  );
  if (existing) throw new IdenticalVersionExists(Number(existing.id));
  const published = await tx.query<{ id: string }>(
    `with taken as (
       update datasets set next_version = next_version + 1 where id = $5 returning next_version - 1 as version
     )
     update dataset_versions
        set version = taken.version, content_hash = $2, sample_count = $3, byte_size = $4,
            status = 'READY', created_at = clock_timestamp()
       from taken
      where dataset_versions.id = $1 and dataset_versions.status = 'STAGING'
      returning dataset_versions.id`,
    [versionId, contentHash, tally.count, tally.byteSize, datasetId],
  );
  // Throwing rolls the version number back too.
  if (published.length !== 1) {
    throw new Error(
      `the staged version ${versionId} was removed while it was written (was the data directory opened by another process?); nothing was published`,
    );
  }
}

async function copyThroughStdin(
  tx: RawTransaction,
  versionId: number,
  iterator: AsyncIterator<readonly HashedSample[]>,
  tally: VersionTally,
): Promise<void> {
  const sql = `copy samples ${SAMPLE_COPY_COLUMNS} from stdin`;
  const chunker = new CopyChunker(versionId, COPY_CHUNK_BYTES);
  for (;;) {
    const first = await iterator.next();
    if (first.done) return;
    let exhausted = false;
    async function* segment(): AsyncGenerator<Buffer> {
      let rows = 0;
      let batch: readonly HashedSample[] | undefined = first.value;
      while (batch) {
        for (const sample of batch) {
          const full = chunker.add(tally.add(sample), sample);
          if (full) yield full;
        }
        rows += batch.length;
        if (rows >= ROWS_PER_COPY_STATEMENT) break;
        const next = await iterator.next();
        if (next.done) exhausted = true;
        batch = next.done ? undefined : next.value;
      }
      const rest = chunker.take();
      if (rest) yield rest;
    }
    await tx.copyFromStdin!(sql, segment());
    if (exhausted) return;
  }
}

function toAsyncIterator<T>(source: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> {
  if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
  const sync = source[Symbol.iterator]();
  return { next: async () => sync.next() };
}
