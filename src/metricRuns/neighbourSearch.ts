/**
 * Nearest-neighbour search over stored vectors for chamfer and diversity_gain: an exact scan in
 * memory when the searched version has at most `exactLimit` vectors, otherwise the space's HNSW
 * index (built first if missing), queried a batch at a time in one statement with pgvector's
 * iterative scan so the version filter still yields a neighbour.
 */
import { sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Database } from '../db/connect.js';
import { sampleEmbeddings, samples, type EmbeddingSpaceRow } from '../db/schema.js';
import { rowsOf } from '../db/sqlHelpers.js';
import { ensureHnswIndex, indexedVector } from '../embeddings/hnswIndex.js';
import { embeddedCount, versionVectors } from '../embeddings/spaces.js';
import { setSearchSettings } from '../embeddings/search.js';
import { vectorLiteral } from '../db/vectorText.js';
import { exactNeighbourIndex } from '../metrics/embedding/neighbourIndex.js';
import type { MetricEnvironment, NeighbourIndex } from '../metrics/types.js';

/** ef_search for metric queries: wider than pgvector's default 40 for better recall on one neighbour. */
export const METRIC_EF_SEARCH = 100;

export function databaseEnvironment(
  database: Database,
  space: EmbeddingSpaceRow | null,
  versionId: number,
  sampleCount: number,
): MetricEnvironment {
  if (!space) return { sampleCount };
  return {
    sampleCount,
    ownNeighbours: (exactLimit) => openNeighbourIndex(database, space, versionId, exactLimit, true),
    versionNeighbours: (otherId, exactLimit) =>
      openNeighbourIndex(database, space, otherId, exactLimit, false),
  };
}

export async function openNeighbourIndex(
  database: Database,
  space: EmbeddingSpaceRow,
  versionId: number,
  exactLimit: number,
  excludeSelf: boolean,
): Promise<NeighbourIndex> {
  const size = await embeddedCount(database.db, space.id, versionId);
  if (size <= exactLimit)
    return exactNeighbourIndex(await versionVectors(database.db, space.id, versionId), excludeSelf);
  await ensureHnswIndex(database, space);
  return hnswNeighbourIndex(database, space, versionId, size, excludeSelf);
}

function hnswNeighbourIndex(
  database: Database,
  space: EmbeddingSpaceRow,
  versionId: number,
  size: number,
  excludeSelf: boolean,
): NeighbourIndex {
  const vector = indexedVector(space.dims);
  /** The query sample's own row, to leave it out of its neighbours. */
  const own = alias(samples, 'own');
  const dims = sql.raw(String(space.dims));
  // The partial index is only chosen when the predicate names the space as a constant.
  const spaceId = sql.raw(String(space.id));
  return {
    estimator: 'APPROXIMATE',
    size,
    async nearest(queries) {
      const distances = new Float64Array(queries.length).fill(Infinity);
      if (queries.length === 0) return distances;
      const payload = JSON.stringify(
        queries.map((q, i) => ({ i, o: q.ordinal, v: vectorLiteral(q.vector) })),
      );
      // The query texts are cast to vectors once, in a materialised CTE (the planner would otherwise
      // inline the cast into the inner query and parse the text again for every candidate); the
      // query's own sample is joined once per query too.
      const self = excludeSelf ? sql`and ${sampleEmbeddings.sampleId} <> coalesce(${own.id}, 0)` : sql``;
      const ownJoin = excludeSelf
        ? sql`left join ${samples} as ${own} on ${own.versionId} = ${versionId} and ${own.ordinal} = q.o`
        : sql``;
      const rows = await database.db.transaction(async (tx) => {
        await setSearchSettings(tx, METRIC_EF_SEARCH);
        return rowsOf<{ i: number; distance: number | null }>(
          await tx.execute(sql`
            with q as materialized (select t.i, t.o, t.v::vector(${dims}) as v from jsonb_to_recordset(${payload}::jsonb) as t(i int, o int, v text))
            select q.i, (
              select ${vector} <=> q.v from ${sampleEmbeddings}
              where ${sampleEmbeddings.spaceId} = ${spaceId} and ${sampleEmbeddings.versionId} = ${versionId} ${self}
              order by ${vector} <=> q.v limit 1
            ) as distance
            from q ${ownJoin}`),
        );
      });
      for (const row of rows) if (row.distance !== null) distances[row.i] = Number(row.distance);
      return distances;
    },
    async kNearest(queries, k) {
      if (queries.length === 0) return [];
      const payload = JSON.stringify(
        queries.map((q, i) => ({ i, o: q.ordinal, v: vectorLiteral(q.vector) })),
      );
      const self = excludeSelf ? sql`and ${sampleEmbeddings.sampleId} <> coalesce(${own.id}, 0)` : sql``;
      const ownJoin = excludeSelf
        ? sql`left join ${samples} as ${own} on ${own.versionId} = ${versionId} and ${own.ordinal} = q.o`
        : sql``;
      const rows = await database.db.transaction(async (tx) => {
        await setSearchSettings(tx, Math.max(METRIC_EF_SEARCH, k));
        return rowsOf<{ i: number; distances: number[] | null }>(
          await tx.execute(sql`
            with q as materialized (select t.i, t.o, t.v::vector(${dims}) as v from jsonb_to_recordset(${payload}::jsonb) as t(i int, o int, v text))
            select q.i, (
              select array_agg(n.d order by n.d) from (
                select ${vector} <=> q.v as d from ${sampleEmbeddings}
                where ${sampleEmbeddings.spaceId} = ${spaceId} and ${sampleEmbeddings.versionId} = ${versionId} ${self}
                order by ${vector} <=> q.v limit ${k}
              ) as n
            ) as distances
            from q ${ownJoin}`),
        );
      });
      const out = queries.map(() => new Float64Array(0));
      for (const row of rows) if (row.distances) out[row.i] = Float64Array.from(row.distances, Number);
      return out;
    },
  };
}
