/** Embedding-space rows: found or created from a loaded embedder, listed with their vector counts. */
import { and, asc, count, eq, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { embeddingSpaces, sampleEmbeddings, samples, type EmbeddingSpaceRow } from '../db/schema.js';
import { anyOf } from '../db/sqlHelpers.js';
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
  const rows = await db
    .select({ spaceId: sampleEmbeddings.spaceId, n: count() })
    .from(sampleEmbeddings)
    .where(anyOf(sampleEmbeddings.spaceId, spaceIds, 'int'))
    .groupBy(sampleEmbeddings.spaceId);
  return new Map(rows.map((r) => [r.spaceId, r.n]));
}

/** How many of a version's samples have a vector in the space. */
export async function embeddedCount(db: Executor, spaceId: number, versionId: number): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(sampleEmbeddings)
    .where(and(eq(sampleEmbeddings.spaceId, spaceId), eq(sampleEmbeddings.versionId, versionId)));
  return row!.n;
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
  const e = sampleEmbeddings;
  return db
    .select({ versionId: e.versionId, spaceId: e.spaceId, embedded: count() })
    .from(embeddingSpaces)
    .innerJoin(e, and(eq(e.spaceId, embeddingSpaces.id), anyOf(e.versionId, versionIds, 'bigint')))
    .groupBy(e.versionId, e.spaceId)
    .orderBy(asc(e.spaceId));
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
  const e = sampleEmbeddings;
  const rows = await db
    .select({ sampleId: e.sampleId, ordinal: samples.ordinal, embedding: sql<string>`${e.embedding}::text` })
    .from(e)
    .innerJoin(samples, eq(samples.id, e.sampleId))
    .where(and(eq(e.spaceId, spaceId), eq(e.versionId, versionId)))
    .orderBy(asc(samples.ordinal));
  return rows.map((r) => ({
    sampleId: r.sampleId,
    ordinal: r.ordinal,
    vector: parseVectorLiteral(r.embedding),
  }));
}
