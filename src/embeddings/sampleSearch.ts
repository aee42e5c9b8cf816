/** searchSamples / similarSamples / searchDatasets: from a text or a stored sample to ranked hits in one named space. */
import { createHash } from 'node:crypto';
import { and, count, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import {
  datasetEmbeddings,
  datasets,
  datasetVersions,
  readyVersion,
  sampleEmbeddings,
  samples,
  type EmbeddingSpaceRow,
} from '../db/schema.js';
import { names, rowsOf } from '../db/sqlHelpers.js';
import { BadInputError, ForbiddenError, NotFoundError } from '../errors.js';
import type { EmbedderRegistry } from './registry.js';
import {
  checkK,
  checkQueryVector,
  finiteDistance,
  searchByVector,
  type SearchHit,
  type SearchScope,
} from './search.js';
import { spaceKey } from './spaceKey.js';
import { ensureSpace, findSpaceByKey, listSpaces } from './spaces.js';
import { parseVectorLiteral, vectorLiteral } from '../db/vectorText.js';

/** Longest query text accepted, in characters (the model truncates long inputs anyway). */
export const MAX_QUERY_CHARS = 10_000;

export interface SampleSearchResult {
  space: EmbeddingSpaceRow;
  exact: boolean;
  hits: SearchHit[];
}

/** The stored space a request names (null: the default); a space with no vectors yet is BAD_USER_INPUT listing the ones that have some. */
export async function requireStoredSpace(
  database: Database,
  registry: EmbedderRegistry,
  name: string | null | undefined,
): Promise<EmbeddingSpaceRow> {
  const key = spaceKey(await registry.specFor(name));
  const space = await findSpaceByKey(database.db, key);
  if (space) return space;
  const known = (await listSpaces(database.db)).map((s) => s.key);
  throw new BadInputError(
    `no samples are embedded in space ${key}${known.length ? `; spaces with vectors: ${known.join(', ')}` : ''} (embed a version with Mutation.embedVersion)`,
    { space: key, spaces: known },
  );
}

function checkQueryText(query: string): void {
  if (query.trim() === '') throw new BadInputError('query must be a non-empty text', { argument: 'query' });
  if (query.length > MAX_QUERY_CHARS) {
    throw new BadInputError(
      `query is ${query.length} characters long; at most ${MAX_QUERY_CHARS} are accepted`,
      { argument: 'query' },
    );
  }
}

export async function searchSamplesByText(
  database: Database,
  registry: EmbedderRegistry,
  request: { query: string; k: number; scope: SearchScope; space?: string | null; exact?: boolean | null },
): Promise<SampleSearchResult> {
  checkQueryText(request.query);
  checkK(request.k);
  const space = await requireStoredSpace(database, registry, request.space);
  const embedder = await registry.embedderFor(space.key);
  const [vector] = await embedder.embed([request.query]);
  checkQueryVector(vector!, space.key);
  const outcome = await searchByVector(database, space, vector!, request.scope, {
    k: request.k,
    exact: request.exact,
  });
  return { space, ...outcome };
}

/** The k samples nearest to a stored sample (itself excluded), from its vector in the space; no model is needed. */
export async function similarToSample(
  database: Database,
  registry: EmbedderRegistry,
  request: { sampleId: number; k: number; scope: SearchScope; space?: string | null; exact?: boolean | null },
): Promise<SampleSearchResult> {
  checkK(request.k);
  const space = await requireStoredSpace(database, registry, request.space);
  const [row] = await database.db
    .select({ embedding: sql<string>`${sampleEmbeddings.embedding}::text` })
    .from(sampleEmbeddings)
    .where(and(eq(sampleEmbeddings.spaceId, space.id), eq(sampleEmbeddings.sampleId, request.sampleId)));
  if (!row) {
    const [exists] = await database.db
      .select({ n: count() })
      .from(samples)
      .innerJoin(datasetVersions, eq(datasetVersions.id, samples.versionId))
      .where(and(eq(samples.id, request.sampleId), readyVersion));
    if (!exists!.n)
      throw new NotFoundError(`no sample with id ${request.sampleId}`, { id: request.sampleId });
    throw new BadInputError(
      `sample ${request.sampleId} has no vector in space ${space.key}: embed its version first (Mutation.embedVersion)`,
      {
        space: space.key,
      },
    );
  }
  const outcome = await searchByVector(database, space, parseVectorLiteral(row.embedding), request.scope, {
    k: request.k,
    exact: request.exact,
    excludeSampleId: request.sampleId,
  });
  return { space, ...outcome };
}

export interface DatasetHit {
  datasetId: number;
  distance: number;
}

/** The text a dataset is found by: its name, description and tags. */
export function datasetSearchText(row: {
  name: string;
  description: string | null;
  tags: readonly string[];
}): string {
  return [row.name, row.description ?? '', row.tags.length ? `Tags: ${row.tags.join(', ')}` : '']
    .filter(Boolean)
    .join('\n');
}

/**
 * Datasets ranked by how close their name + description + tags are to the query. Descriptions
 * are embedded lazily: those new or changed since the last search (text hash) are embedded first.
 * Datasets are few, so the ranking is an exact scan.
 */
export async function searchDatasetsByText(
  database: Database,
  registry: EmbedderRegistry,
  request: { query: string; k: number; space?: string | null },
  options: { mayAddSpace: boolean } = { mayAddSpace: true },
): Promise<{ space: EmbeddingSpaceRow; hits: DatasetHit[] }> {
  checkQueryText(request.query);
  checkK(request.k);
  // Naming a space loads (and may download) its model and stores vectors in it: a caller who may
  // not write searches the server's default space or a space the catalog already holds.
  if (!options.mayAddSpace && request.space) {
    const key = spaceKey(await registry.specFor(request.space));
    const isDefault = key === spaceKey(await registry.specFor(null));
    if (!isDefault && !(await findSpaceByKey(database.db, key))) {
      const known = (await listSpaces(database.db)).map((s) => s.key);
      throw new ForbiddenError(
        `space ${key} is not in this catalog, and adding a space (loading its model) needs the writer role; search the default space or one of: ${known.join(', ') || 'none yet'}`,
        { space: key, spaces: known },
      );
    }
  }
  const embedder = await registry.embedderFor(request.space);
  const space = await ensureSpace(database.db, embedder);
  const de = datasetEmbeddings;
  const rows = await database.db
    .select({
      id: datasets.id,
      name: datasets.name,
      description: datasets.description,
      tags: datasets.tags,
      textHash: de.textHash,
    })
    .from(datasets)
    .leftJoin(de, and(eq(de.datasetId, datasets.id), eq(de.spaceId, space.id)));
  const stale = rows
    .map((r) => ({ id: r.id, text: datasetSearchText(r), stored: r.textHash }))
    .map((r) => ({ ...r, hash: createHash('sha256').update(r.text).digest('hex') }))
    .filter((r) => r.hash !== r.stored);
  for (let i = 0; i < stale.length; i += 256) {
    const chunk = stale.slice(i, i + 256);
    const vectors = await embedder.embed(chunk.map((r) => r.text));
    const payload = JSON.stringify(
      chunk.map((r, j) => ({ d: r.id, h: r.hash, v: vectorLiteral(vectors[j]!) })),
    );
    // One jsonb parameter per chunk; pgvector parses the vectors' text.
    await database.db.execute(sql`
      insert into ${de} (${names(de.spaceId, de.datasetId, de.textHash, de.embedding)})
      select ${space.id}, t.d, t.h, t.v::vector from jsonb_to_recordset(${payload}::jsonb) as t(d bigint, h text, v text)
      on conflict (${names(de.spaceId, de.datasetId)}) do update
        set ${names(de.textHash)} = excluded.${names(de.textHash)}, ${names(de.embedding)} = excluded.${names(de.embedding)}`);
  }
  const [query] = await embedder.embed([request.query]);
  checkQueryVector(query!, space.key);
  const hits = rowsOf<{ dataset_id: string | number; distance: number }>(
    await database.db.execute(sql`
      select ${de.datasetId} as dataset_id, ${de.embedding}::vector(${sql.raw(String(space.dims))}) <=> ${vectorLiteral(query!)}::vector(${sql.raw(String(space.dims))}) as distance
      from ${de} where ${de.spaceId} = ${space.id} order by distance, dataset_id limit ${request.k}`),
  );
  return {
    space,
    hits: hits.map((h) => ({ datasetId: Number(h.dataset_id), distance: finiteDistance(h.distance) })),
  };
}
