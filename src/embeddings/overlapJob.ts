/**
 * The `overlap.find` job: near-duplicates within a version and contamination between versions.
 * Every sample of `version` is matched against `against` (which may be the same version):
 * exact matches by content hash, and near matches among its nearest neighbours in one embedding
 * space whose cosine similarity reaches the threshold. Matches are stored as sample-to-sample
 * edges of the run; the run records how many samples of `version` have a match (the contamination
 * rate). Samples missing a vector are embedded first.
 */
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database, Executor } from '../db/connect.js';
import {
  overlapRuns,
  sampleEmbeddings,
  sampleOverlaps,
  samples,
  type EmbeddingSpaceRow,
  type JobRow,
  type VersionRow,
} from '../db/schema.js';
import { names, rowsOf } from '../db/sqlHelpers.js';
import { BadInputError, NotFoundError } from '../errors.js';
import { defineJobKind, payloadOf } from '../jobs/kinds.js';
import { enqueueJob } from '../jobs/queue.js';
import type { JobContext, JobHandler } from '../jobs/worker.js';
import { findVersionsByIds } from '../catalog/versions.js';
import { streamVersionSamples } from '../catalog/sampleStream.js';
import { embedMissingSamples } from './embedSamples.js';
import { ensureHnswIndex, indexedVector } from './hnswIndex.js';
import type { EmbedderRegistry } from './registry.js';
import { setSearchSettings } from './search.js';
import { neighboursWithin } from './similarPairs.js';
import { embeddedCount, ensureSpace, versionVectors } from './spaces.js';
import { vectorLiteral } from '../db/vectorText.js';

export const FIND_OVERLAP_JOB = 'overlap.find';
/** Nearest neighbours looked at per sample; more matches than this per sample are not stored. */
export const OVERLAP_NEIGHBOURS = 10;
/** Up to this many vectors in `against`, near matches come from an exact scan; beyond, from the HNSW index. */
export const OVERLAP_EXACT_LIMIT = 20_000;
const BATCH = 500;

const versionId = z.number().int().positive();

export const FIND_OVERLAP = defineJobKind(
  FIND_OVERLAP_JOB,
  z.object({
    versionId,
    /** The version itself for deduplication. */
    againstId: versionId,
    /** The space's full key. */
    space: z.string().min(1),
    /** Cosine similarity in (0, 1]. */
    threshold: z.number().gt(0).lte(1),
  }),
);

export interface FindOverlapRequest {
  versionId: number;
  /** Defaults to the version itself (deduplication). */
  againstId?: number | null;
  threshold: number;
  space?: string | null;
}

export async function enqueueFindOverlap(
  db: Executor,
  registry: EmbedderRegistry,
  request: FindOverlapRequest,
): Promise<JobRow> {
  const { threshold } = request;
  if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold <= 0 || threshold > 1) {
    throw new BadInputError(
      `threshold must be a cosine similarity in (0, 1] (got ${threshold}); 0.95 finds near-duplicates`,
      {
        argument: 'threshold',
      },
    );
  }
  const againstId = request.againstId ?? request.versionId;
  const versions = await findVersionsByIds(db, [request.versionId, againstId]);
  for (const id of [request.versionId, againstId]) {
    if (!versions.some((v) => v.id === id && v.status === 'READY'))
      throw new NotFoundError(`no version with id ${id}`, { id });
  }
  const embedder = await registry.embedderFor(request.space);
  await ensureSpace(db, embedder);
  const total =
    versions.reduce((sum, v) => sum + v.sampleCount, 0) +
    versions.find((v) => v.id === request.versionId)!.sampleCount;
  const payload = { versionId: request.versionId, againstId, space: embedder.key, threshold };
  return enqueueJob(db, { kind: FIND_OVERLAP, payload, progressTotal: total });
}

export function findOverlapHandler(registry: EmbedderRegistry): JobHandler {
  return (context) => runFindOverlap(context, registry);
}

async function runFindOverlap(
  context: JobContext,
  registry: EmbedderRegistry,
): Promise<Record<string, unknown>> {
  const { database, job, signal } = context;
  const db = database.db;
  const payload = payloadOf(FIND_OVERLAP, job);
  const versions = await findVersionsByIds(db, [payload.versionId, payload.againstId]);
  const version = versions.find((v) => v.id === payload.versionId);
  const against = versions.find((v) => v.id === payload.againstId);
  if (!version || !against)
    throw new NotFoundError(`version ${!version ? payload.versionId : payload.againstId} no longer exists`);
  const selfRun = version.id === against.id;
  const embedder = await registry.embedderFor(payload.space);
  const space = await ensureSpace(db, embedder);

  // 1. Vectors for every sample of both versions.
  const toEmbed = selfRun ? [version] : [version, against];
  let done = 0;
  // Progress: every sample of both versions embedded (or found embedded), then every sample of `version` searched.
  const total = toEmbed.reduce((sum, v) => sum + v.sampleCount, 0) + version.sampleCount;
  for (const v of toEmbed) {
    const before = await embeddedCount(db, space.id, v.id);
    done += before;
    context.reportProgress(done, total);
    const outcome = await embedMissingSamples(db, embedder, space, v.id, {
      batchSize: registry.config.batchSize,
      signal,
      onChunk: (n) => context.reportProgress(done + n, total),
    });
    done += outcome.embedded;
    if (outcome.stopped) return { stopped: context.stopReason(), phase: 'embedding' };
  }
  const exact = against.sampleCount <= OVERLAP_EXACT_LIMIT;
  if (!exact) await ensureHnswIndex(database, space);

  // 2. The run row (reused, emptied, when a retried job runs again) and the exact matches.
  const runId = await openRun(db, job.id, version, against, space, payload.threshold, exact);
  await insertExactMatches(db, runId, version.id, against.id, selfRun);

  // 3. Near matches, a batch of the version's samples at a time.
  const search = exact
    ? await exactSearch(db, space, against.id, payload.threshold, selfRun)
    : hnswSearch(database, space, against.id, payload.threshold, selfRun);
  let searched = 0;
  for await (const batch of streamVersionSamples(db, version.id, BATCH, space.id)) {
    const pairs = await search(batch.map((s) => ({ sampleId: s.id, vector: s.embedding! })));
    await insertNearMatches(db, runId, pairs, selfRun);
    searched += batch.length;
    context.reportProgress(done + searched, total);
    if (signal.aborted) break;
  }
  const stop = context.stopReason();
  if (stop === 'lease-lost') return { stopped: stop };
  const summary = await closeRun(
    db,
    runId,
    version,
    selfRun,
    searched === version.sampleCount
      ? null
      : `${stop ?? 'stopped'} after ${searched} of ${version.sampleCount} samples`,
  );
  return {
    runId,
    versionId: version.id,
    againstId: against.id,
    space: space.key,
    threshold: payload.threshold,
    ...summary,
  };
}

async function openRun(
  db: Executor,
  jobId: number,
  version: VersionRow,
  against: VersionRow,
  space: EmbeddingSpaceRow,
  threshold: number,
  exact: boolean,
): Promise<number> {
  const [row] = await db
    .insert(overlapRuns)
    .values({
      versionId: version.id,
      againstVersionId: against.id,
      spaceId: space.id,
      threshold,
      neighbours: OVERLAP_NEIGHBOURS,
      status: 'RUNNING',
      estimator: exact ? 'EXACT' : 'APPROXIMATE',
      sampleCount: version.sampleCount,
      jobId,
    })
    .onConflictDoUpdate({
      target: overlapRuns.jobId,
      set: { status: 'RUNNING', statusReason: null, computedAt: null },
    })
    .returning({ id: overlapRuns.id });
  const runId = row!.id;
  await db.delete(sampleOverlaps).where(eq(sampleOverlaps.runId, runId));
  return runId;
}

/** Same content hash; within one version each pair once (lower sample id first), at most OVERLAP_NEIGHBOURS per sample. */
async function insertExactMatches(
  db: Executor,
  runId: number,
  versionId: number,
  againstId: number,
  selfRun: boolean,
): Promise<void> {
  const o = sampleOverlaps;
  const [id, version, hash] = [names(samples.id), names(samples.versionId), names(samples.contentHash)];
  const pairFilter = selfRun ? sql`and b.${id} > a.${id}` : sql``;
  await db.execute(sql`
    insert into ${o} (${names(o.runId, o.sampleId, o.matchedSampleId, o.kind, o.similarity)})
    select ${runId}, m.a, m.b, 'EXACT', 1 from (
      select a.${id} as a, b.${id} as b, row_number() over (partition by a.${id} order by b.${id}) as rank
      from ${samples} a join ${samples} b on b.${version} = ${againstId} and b.${hash} = a.${hash} ${pairFilter}
      where a.${version} = ${versionId}
    ) m where m.rank <= ${OVERLAP_NEIGHBOURS}
    on conflict do nothing`);
}

interface FoundPair {
  sampleId: number;
  matchedId: number;
  similarity: number;
}

type NearSearch = (queries: Array<{ sampleId: number; vector: Float32Array }>) => Promise<FoundPair[]>;

async function exactSearch(
  db: Executor,
  space: EmbeddingSpaceRow,
  againstId: number,
  threshold: number,
  selfRun: boolean,
): Promise<NearSearch> {
  const stored = await versionVectors(db, space.id, againstId);
  const ids = stored.map((v) => v.sampleId);
  const vectors = stored.map((v) => v.vector);
  return async (queries) => {
    const matches = neighboursWithin(
      queries.map((q) => q.vector),
      queries.map((q) => q.sampleId),
      vectors,
      ids,
      threshold,
      OVERLAP_NEIGHBOURS,
      selfRun,
    );
    return queries.flatMap((q, i) =>
      matches[i]!.map((m) => ({
        sampleId: q.sampleId,
        matchedId: ids[m.candidate]!,
        similarity: m.similarity,
      })),
    );
  };
}

function hnswSearch(
  database: Database,
  space: EmbeddingSpaceRow,
  againstId: number,
  threshold: number,
  selfRun: boolean,
): NearSearch {
  const vector = indexedVector(space.dims);
  const dims = sql.raw(String(space.dims));
  const spaceId = sql.raw(String(space.id));
  return async (queries) => {
    const payload = JSON.stringify(queries.map((q) => ({ s: q.sampleId, v: vectorLiteral(q.vector) })));
    const e = { sampleId: names(sampleEmbeddings.sampleId) };
    const self = selfRun ? sql`and e.${e.sampleId} <> q.s` : sql``;
    const rows = await database.db.transaction(async (tx) => {
      await setSearchSettings(tx, Math.max(40, 4 * OVERLAP_NEIGHBOURS));
      return rowsOf<{ s: string | number; m: string | number; distance: number }>(
        await tx.execute(sql`
          with q as materialized (select t.s, t.v::vector(${dims}) as v from jsonb_to_recordset(${payload}::jsonb) as t(s bigint, v text))
          select q.s, n.m, n.distance from q
          cross join lateral (
            select e.${e.sampleId} as m, ${vector} <=> q.v as distance from ${sampleEmbeddings} e
            where e.${names(sampleEmbeddings.spaceId)} = ${spaceId} and e.${names(sampleEmbeddings.versionId)} = ${againstId} ${self}
            order by ${vector} <=> q.v limit ${OVERLAP_NEIGHBOURS}
          ) n
          where n.distance <= ${1 - threshold}`),
      );
    });
    return rows.map((r) => ({
      sampleId: Number(r.s),
      matchedId: Number(r.m),
      similarity: 1 - Number(r.distance),
    }));
  };
}

/** A pair already stored as EXACT stays EXACT; within one version a pair is stored once, lower id first. */
async function insertNearMatches(
  db: Executor,
  runId: number,
  pairs: readonly FoundPair[],
  selfRun: boolean,
): Promise<void> {
  if (pairs.length === 0) return;
  const rows = pairs.map((p) =>
    selfRun && p.matchedId < p.sampleId
      ? { a: p.matchedId, b: p.sampleId, s: p.similarity }
      : { a: p.sampleId, b: p.matchedId, s: p.similarity },
  );
  const o = sampleOverlaps;
  await db.execute(sql`
    insert into ${o} (${names(o.runId, o.sampleId, o.matchedSampleId, o.kind, o.similarity)})
    select ${runId}, t.a, t.b, 'NEAR', least(1, t.s) from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as t(a bigint, b bigint, s float8)
    on conflict do nothing`);
}

async function closeRun(
  db: Executor,
  runId: number,
  version: VersionRow,
  selfRun: boolean,
  stoppedReason: string | null,
) {
  const o = sampleOverlaps;
  const ofRun = sql`${o} where ${o.runId} = ${runId}`;
  const matchedFromSide = selfRun
    ? sql`select count(*) from (select ${o.sampleId} from ${ofRun} union select ${o.matchedSampleId} from ${ofRun}) u`
    : sql`select count(distinct ${o.sampleId}) from ${ofRun}`;
  const [row] = rowsOf<{
    matched: string | number;
    exact_pairs: string | number;
    near_pairs: string | number;
  }>(
    await db.execute(sql`
      select (${matchedFromSide}) as matched,
        (select count(*) from ${ofRun} and ${o.kind} = 'EXACT') as exact_pairs,
        (select count(*) from ${ofRun} and ${o.kind} = 'NEAR') as near_pairs`),
  );
  const matched = Number(row!.matched);
  const summary = {
    status: stoppedReason ? ('PARTIAL' as const) : ('COMPLETE' as const),
    matchedSamples: matched,
    contaminationRate: version.sampleCount > 0 ? matched / version.sampleCount : 0,
    exactPairs: Number(row!.exact_pairs),
    nearPairs: Number(row!.near_pairs),
  };
  await db
    .update(overlapRuns)
    .set({
      status: summary.status,
      statusReason: stoppedReason,
      matchedSamples: matched,
      exactPairs: summary.exactPairs,
      nearPairs: summary.nearPairs,
      computedAt: sql`now()`,
    })
    .where(eq(overlapRuns.id, runId));
  return summary;
}
