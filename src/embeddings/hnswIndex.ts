/**
 * One HNSW index per embedding space: a partial index on `(embedding::vector(DIMS))` with
 * `WHERE space_id = <id>` and cosine ops — pgvector's documented way to index a column that holds
 * vectors of several dimensions. It is built once, after a space's first bulk load (building over
 * loaded data is much faster than inserting into a live graph); later inserts maintain it.
 */
import { count, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import { embeddingSpaces, sampleEmbeddings, type EmbeddingSpaceRow } from '../db/schema.js';
import { names, rowsOf } from '../db/sqlHelpers.js';

/** HNSW build parameters (pgvector's defaults, written out so they are on record). */
export const HNSW_M = 16;
export const HNSW_EF_CONSTRUCTION = 64;

const MB = 1024 * 1024;

export function hnswIndexName(spaceId: number): string {
  return `sample_embeddings_hnsw_space_${spaceId}`;
}

/** The SQL expression the index is on; queries must use exactly this to be served by it. */
export function indexedVector(dims: number) {
  return sql`${names(sampleEmbeddings.embedding)}::vector(${sql.raw(String(integer(dims)))})`;
}

/**
 * The `maintenance_work_mem` that keeps the graph of `vectors` vectors in memory during the build
 * (a build that spills to disk is several times slower): the vector bytes plus about 2M neighbour
 * entries per element on layer 0 and tuple overhead, with a quarter of headroom, clamped to
 * [64 MB, cap].
 */
export function buildMemoryBytes(vectors: number, dims: number, capBytes: number): number {
  const perElement = dims * 4 + 2 * HNSW_M * 16 + 256;
  return Math.min(capBytes, Math.max(64 * MB, Math.ceil(vectors * perElement * 1.25)));
}

export interface IndexBuild {
  built: boolean;
  vectors: number;
  maintenanceWorkMemMb: number;
  ms: number;
}

/** Builds the space's index unless it exists. Two builders of one space wait for each other (advisory lock). */
export async function ensureHnswIndex(database: Database, space: EmbeddingSpaceRow): Promise<IndexBuild> {
  const started = performance.now();
  // PGlite runs in a WASM heap with a few GB at most; PostgreSQL may take more.
  const capBytes = database.backend === 'pglite' ? 512 * MB : 2048 * MB;
  return database.db.transaction(async (tx) => {
    // A build (or the wait for another one) takes as long as the vectors need: a job, exempt from
    // the server's statement_timeout (QDC_PG_STATEMENT_TIMEOUT_MS).
    await tx.execute(sql`set local statement_timeout = 0`);
    await tx.execute(sql`select pg_advisory_xact_lock(${HNSW_LOCK_CLASS}, ${space.id})`);
    const [exists] = rowsOf<{ n: number }>(
      await tx.execute(
        sql`select count(*)::int as n from pg_class where relname = ${hnswIndexName(space.id)} and relkind = 'i'`,
      ),
    );
    const [counted] = await tx
      .select({ n: count() })
      .from(sampleEmbeddings)
      .where(eq(sampleEmbeddings.spaceId, space.id));
    const vectors = counted!.n;
    const memory = buildMemoryBytes(vectors, space.dims, capBytes);
    const memoryMb = Math.ceil(memory / MB);
    if (exists!.n > 0)
      return { built: false, vectors, maintenanceWorkMemMb: 0, ms: performance.now() - started };
    await tx.execute(sql.raw(`set local maintenance_work_mem = '${memoryMb}MB'`));
    // DDL takes no parameters: the numbers are checked integers, written into the text.
    const literal = (value: number) => sql.raw(String(integer(value)));
    await tx.execute(
      sql`create index ${sql.identifier(hnswIndexName(space.id))} on ${sampleEmbeddings} using hnsw ((${names(sampleEmbeddings.embedding)}::vector(${literal(space.dims)})) vector_cosine_ops)
        with (m = ${literal(HNSW_M)}, ef_construction = ${literal(HNSW_EF_CONSTRUCTION)}) where ${names(sampleEmbeddings.spaceId)} = ${literal(space.id)}`,
    );
    await tx
      .update(embeddingSpaces)
      .set({ indexedAt: sql`now()` })
      .where(eq(embeddingSpaces.id, space.id));
    return { built: true, vectors, maintenanceWorkMemMb: memoryMb, ms: performance.now() - started };
  });
}

/** First key of the advisory locks taken around index builds (the second is the space id). */
const HNSW_LOCK_CLASS = 0x71646301;

function integer(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`expected a non-negative integer, got ${value}`);
  return value;
}
