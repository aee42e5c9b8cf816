/**
 * Writes a stream of validated samples as one new, immutable dataset version. Shared by the
 * GraphQL `createVersion` (small batches) and bulk ingest (millions of rows).
 *
 * Everything happens in one transaction on one connection:
 *   1. a placeholder version row (status STAGING, version = -id) gives the samples their
 *      foreign key without taking any lock, so concurrent ingests into one dataset run in parallel;
 *   2. samples stream in with COPY (PostgreSQL: `FROM STDIN` in large chunks; PGlite: `FROM
 *      '/dev/blob'` per chunk), hashed on the way;
 *   3. only then is the dataset row locked, the content hash checked against existing versions
 *      (identical content: roll everything back and return the existing version), the next
 *      version number taken and the row switched to READY.
 * A failure, a cancelled request or a killed process rolls back: no version, no orphan rows.
 *
 * On PGlite, whose one connection every other request waits for, step 2's COPY text is first
 * prepared in a spool (memory, then a temporary file) while the samples arrive, and the
 * transaction only opens once they all have: a slow upload or generator never holds the database.
 */
import { eq, sql } from 'drizzle-orm';
import type { Database, RawTransaction } from '../db/connect.js';
import { datasetVersions, type VersionRow } from '../db/schema.js';
import { rowsOf } from '../db/sqlHelpers.js';
import { BadInputError } from '../errors.js';
import { ChunkSpool } from './chunkSpool.js';
import { DuplicateSet } from './duplicateSet.js';
import type { HashedSample } from './canonicalSample.js';
import { VersionHasher } from './contentHash.js';
import { CopyChunker, SAMPLE_COPY_COLUMNS } from './copyText.js';

/** Bytes of COPY text per chunk sent to the server. */
const COPY_CHUNK_BYTES = 1 << 20;
/** PGlite copies from an in-memory blob; larger blobs were not faster and cost memory. */
const BLOB_CHUNK_BYTES = 1 << 20;
/**
 * PostgreSQL queues one foreign-key check per row until the COPY statement ends; starting a new
 * COPY every so many rows keeps that queue (server memory) bounded at any file size.
 */
const ROWS_PER_COPY_STATEMENT = 250_000;
/** COPY text a PGlite write keeps in memory before spooling the rest to a temporary file. */
const SPOOL_MEMORY_BYTES = 8 << 20;
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
      ? writeThroughSpool(database, datasetId, batches, tally)
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

/** PGlite: the whole version's COPY text is spooled first, then written in one short transaction. */
async function writeThroughSpool(
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
  const spool = new ChunkSpool(SPOOL_MEMORY_BYTES);
  try {
    const chunker = new CopyChunker(versionId, BLOB_CHUNK_BYTES);
    for await (const batch of batches) {
      for (const sample of batch) {
        const full = chunker.add(tally.add(sample), sample);
        if (full) await spool.add(full);
      }
    }
    const rest = chunker.take();
    if (rest) await spool.add(rest);
    if (tally.count === 0) throw new BadInputError('no samples to ingest: the input holds no valid sample');
    const copy = `copy samples ${SAMPLE_COPY_COLUMNS} from '/dev/blob'`;
    return await database.rawTransaction(async (tx) => {
      await insertPlaceholder(tx, datasetId, versionId);
      for await (const chunk of spool.chunks()) await tx.copyFromBlob!(copy, chunk);
      await publish(tx, datasetId, versionId, tally);
      return versionId;
    });
  } finally {
    await spool.dispose();
  }
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
  await tx.query(
    `with taken as (
       update datasets set next_version = next_version + 1 where id = $5 returning next_version - 1 as version
     )
     update dataset_versions
        set version = taken.version, content_hash = $2, sample_count = $3, byte_size = $4,
            status = 'READY', created_at = clock_timestamp()
       from taken
      where dataset_versions.id = $1`,
    [versionId, contentHash, tally.count, tally.byteSize, datasetId],
  );
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
