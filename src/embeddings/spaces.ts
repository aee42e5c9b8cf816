/** Embedding-space rows: found or created from a loaded embedder, listed with their vector counts. */
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { embeddingSpaces, type EmbeddingSpaceRow } from '../db/schema.js';
import { anyOf, rowsOf } from '../db/sqlHelpers.js';
import { DomainError } from '../errors.js';
import { EMBEDDED_TEXT_FIELD, type Embedder } from './embedder.js';
import { parseVectorLiteral } from '../db/vectorText.js';

/** The space row of a loaded embedder, created on first use. */
export async function ensureSpace(db: Executor, embedder: Embedder): Promise<EmbeddingSpaceRow> {
  const { spec } = embedder;
  await db
    .insert(embeddingSpaces)
    .values({
      key: embedder.key,
      provider: spec.provider,
      model: spec.model,
      revision: spec.revision,
      dtype: spec.dtype,
      dims: embedder.dims,
      pooling: spec.pooling,
      normalized: true,
      textField: EMBEDDED_TEXT_FIELD,
    })
    .onConflictDoNothing({ target: embeddingSpaces.key });
  const [row] = await db
    .select()
    .from(embeddingSpaces)
    .where(sql`${embeddingSpaces.key} = ${embedder.key}`);
  if (row!.dims !== embedder.dims) {
    // The same name now gives vectors of another size: the files under that name changed.
    throw new DomainError(
      'BAD_USER_INPUT',
      `embedding space ${embedder.key} holds ${row!.dims}-dimensional vectors but the model now gives ${embedder.dims}; ` +
        'vectors of different models are never mixed: give the new model another revision',
      { space: embedder.key },
    );
  }
  return row!;
}

export async function findSpaceByKey(db: Executor, key: string): Promise<EmbeddingSpaceRow | null> {
  const [row] = await db
    .select()
    .from(embeddingSpaces)
    .where(sql`${embeddingSpaces.key} = ${key}`);
  return row ?? null;
}

export async function findSpacesByIds(db: Executor, ids: readonly number[]): Promise<EmbeddingSpaceRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(embeddingSpaces)
    .where(anyOf(embeddingSpaces.id, ids, 'int'));
}

export async function listSpaces(db: Executor): Promise<EmbeddingSpaceRow[]> {
  return db.select().from(embeddingSpaces).orderBy(embeddingSpaces.id);
}

/** Vectors stored per space. */
export async function vectorCounts(db: Executor, spaceIds: readonly number[]): Promise<Map<number, number>> {
  if (spaceIds.length === 0) return new Map();
  const rows = rowsOf<{ space_id: number; n: string | number }>(
    await db.execute(sql`
      select space_id, count(*) as n from sample_embeddings
      where space_id = any(${sql.param([...spaceIds])}::int[]) group by space_id`),
  );
  return new Map(rows.map((r) => [Number(r.space_id), Number(r.n)]));
}

/** How many of a version's samples have a vector in the space. */
export async function embeddedCount(db: Executor, spaceId: number, versionId: number): Promise<number> {
  const [row] = rowsOf<{ n: string | number }>(
    await db.execute(
      sql`select count(*) as n from sample_embeddings where space_id = ${spaceId} and version_id = ${versionId}`,
    ),
  );
  return Number(row!.n);
}

export interface VersionCoverage {
  versionId: number;
  spaceId: number;
  embedded: number;
}

/** Vectors per (version, space) for every space that has any of the versions' samples. */
export async function coverageOfVersions(
  db: Executor,
  versionIds: readonly number[],
): Promise<VersionCoverage[]> {
  if (versionIds.length === 0) return [];
  const rows = rowsOf<{ version_id: string | number; space_id: number; n: string | number }>(
    await db.execute(sql`
      select e.version_id, e.space_id, count(*) as n from embedding_spaces s
      join sample_embeddings e on e.space_id = s.id and e.version_id = any(${sql.param([...versionIds])}::bigint[])
      group by e.version_id, e.space_id order by e.space_id`),
  );
  return rows.map((r) => ({
    versionId: Number(r.version_id),
    spaceId: Number(r.space_id),
    embedded: Number(r.n),
  }));
}

export interface StoredVector {
  sampleId: number;
  ordinal: number;
  vector: Float32Array;
}

/** Every vector of a version in a space, in ordinal order (for exact scans held in memory). */
export async function versionVectors(
  db: Executor,
  spaceId: number,
  versionId: number,
): Promise<StoredVector[]> {
  const rows = rowsOf<{ sample_id: string | number; ordinal: number; embedding: string }>(
    await db.execute(sql`
      select e.sample_id, s.ordinal, e.embedding::text as embedding from sample_embeddings e join samples s on s.id = e.sample_id
      where e.space_id = ${spaceId} and e.version_id = ${versionId} order by s.ordinal`),
  );
  return rows.map((r) => ({
    sampleId: Number(r.sample_id),
    ordinal: r.ordinal,
    vector: parseVectorLiteral(r.embedding),
  }));
}
