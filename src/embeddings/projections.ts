/**
 * Embedding maps: the `embeddings.project` job computes a 2-D projection (PCA or UMAP) of a
 * version's vectors in one space and stores it with its provenance (method, resolved parameters,
 * seed, point count, space and the library and version that computed it), the coordinates packed
 * as little-endian Float32 (x, y) pairs in chunks of CHUNK_POINTS points, in ordinal order, beside
 * their Uint32 sample ordinals.
 *
 * Vectors are streamed in ordinal order in batches of READ_BATCH (bounded memory for PCA, which
 * reads them twice: once for the covariance, once to project). UMAP fits in memory: on all the
 * vectors when there are at most `fitSize`, else on a seeded subsample of `fitSize` of them, and
 * places the rest with umap-js's `transform` (batch by batch, in ordinal order), so the same seed
 * always gives the same map. A projection is visible as COMPLETE only once every chunk is written.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { and, asc, desc, eq, gt, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../db/connect.js';
import {
  projectionChunks,
  projections,
  sampleEmbeddings,
  samples,
  type EmbeddingSpaceRow,
  type JobRow,
  type ProjectionRow,
  type SampleRow,
} from '../db/schema.js';
import { anyOf } from '../db/sqlHelpers.js';
import { parseVectorLiteral } from '../db/vectorText.js';
import { BadInputError, NotFoundError } from '../errors.js';
import { defineJobKind, payloadOf } from '../jobs/kinds.js';
import { enqueueJob } from '../jobs/queue.js';
import type { JobContext, JobHandler } from '../jobs/worker.js';
import { findVersionsByIds } from '../catalog/versions.js';
import {
  fitUmap,
  PcaAccumulator,
  pcaProject,
  seededSubsample,
  type UmapFit,
} from '../metrics/embedding/projection.js';
import { embeddedCount, findSpaceByKey } from './spaces.js';

export const PROJECT_VERSION_JOB = 'embeddings.project';
export const CHUNK_POINTS = 65_536;
const READ_BATCH = 2000;

export type ProjectionMethod = ProjectionRow['method'];

/** Bounds of the parameters; anything outside is BAD_USER_INPUT before a job is queued. */
export const PROJECTION_LIMITS = {
  neighbors: { min: 2, max: 200, default: 15 },
  minDist: { min: 0, max: 1, default: 0.1 },
  epochs: { min: 1, max: 2000, default: 200 },
  fitSize: { min: 10, max: 200_000, default: 10_000 },
  seed: { min: 0, max: 2 ** 31 - 1, default: 42 },
} as const;

const umapParams = z.object({
  neighbors: z.number().int().min(PROJECTION_LIMITS.neighbors.min).max(PROJECTION_LIMITS.neighbors.max),
  minDist: z.number().min(PROJECTION_LIMITS.minDist.min).max(PROJECTION_LIMITS.minDist.max),
  epochs: z.number().int().min(PROJECTION_LIMITS.epochs.min).max(PROJECTION_LIMITS.epochs.max),
  fitSize: z.number().int().min(PROJECTION_LIMITS.fitSize.min).max(PROJECTION_LIMITS.fitSize.max),
  seed: z.number().int().min(PROJECTION_LIMITS.seed.min).max(PROJECTION_LIMITS.seed.max),
});
export type UmapJobParams = z.infer<typeof umapParams>;

export const PROJECT_VERSION = defineJobKind(
  PROJECT_VERSION_JOB,
  z.object({
    versionId: z.number().int().positive(),
    /** The space's full key. */
    space: z.string().min(1),
    method: z.enum(['PCA', 'UMAP']),
    /** UMAP's parameters; PCA has none. */
    umap: umapParams.optional(),
  }),
);

export interface ProjectionRequest {
  versionId: number;
  space: EmbeddingSpaceRow;
  method: ProjectionMethod;
  umap?: Partial<Record<keyof UmapJobParams, number | null>> | null;
}

/** Checks the request (version, vectors in the space, parameter bounds) and queues the job. */
export async function enqueueProjection(db: Executor, request: ProjectionRequest): Promise<JobRow> {
  const [version] = await findVersionsByIds(db, [request.versionId]);
  if (!version || version.status !== 'READY')
    throw new NotFoundError(`no version with id ${request.versionId}`, { id: request.versionId });
  const n = await embeddedCount(db, request.space.id, version.id);
  if (n === 0) {
    throw new BadInputError(
      `version ${version.id} has no vectors in space ${request.space.key}: embed it first (Mutation.embedVersion)`,
      { argument: 'version', space: request.space.key },
    );
  }
  const umap = request.method === 'UMAP' ? resolveUmapParams(request.umap ?? {}) : undefined;
  if (request.method === 'PCA' && request.umap && Object.values(request.umap).some((v) => v != null)) {
    throw new BadInputError('umap parameters are given but the method is PCA', { argument: 'umap' });
  }
  return enqueueJob(db, {
    kind: PROJECT_VERSION,
    payload: { versionId: version.id, space: request.space.key, method: request.method, umap },
    progressTotal: request.method === 'PCA' ? 2 * n : n,
  });
}

/** Fills in defaults; a value out of bounds (or not an integer where one is needed) is BAD_USER_INPUT. */
export function resolveUmapParams(given: Partial<Record<keyof UmapJobParams, number | null>>): UmapJobParams {
  const out = {} as UmapJobParams;
  for (const [name, limits] of Object.entries(PROJECTION_LIMITS) as [
    keyof UmapJobParams,
    { min: number; max: number; default: number },
  ][]) {
    const value = given[name] ?? limits.default;
    const integer = name !== 'minDist';
    if (
      !Number.isFinite(value) ||
      value < limits.min ||
      value > limits.max ||
      (integer && !Number.isInteger(value))
    ) {
      throw new BadInputError(
        `umap.${name} must be ${integer ? 'an integer' : 'a number'} from ${limits.min} to ${limits.max}, got ${value}`,
        { argument: `umap.${name}`, min: limits.min, max: limits.max },
      );
    }
    out[name] = value;
  }
  return out;
}

const require = createRequire(import.meta.url);
/** A package's installed version (its package.json beside its main file: ml-matrix exports no ./package.json). */
function versionOf(name: string): string {
  let dir = dirname(require.resolve(name));
  while (!existsSync(join(dir, 'package.json')) || basename(dir) !== name) {
    if (dir === dirname(dir)) return 'unknown';
    dir = dirname(dir);
  }
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}
/** What computed a projection, recorded with it. */
export const PROJECTION_LIBRARIES: Record<ProjectionMethod, string> = {
  PCA: `ml-matrix@${versionOf('ml-matrix')} (symmetric eigendecomposition of the covariance)`,
  UMAP: `umap-js@${versionOf('umap-js')}`,
};

export function projectVersionHandler(): JobHandler {
  return runProjection;
}

async function runProjection(context: JobContext): Promise<Record<string, unknown>> {
  const { database, job, signal } = context;
  const payload = payloadOf(PROJECT_VERSION, job);
  const db = database.db;
  const space = await findSpaceByKey(db, payload.space);
  if (!space) throw new NotFoundError(`embedding space ${payload.space} no longer exists`);
  const [version] = await findVersionsByIds(db, [payload.versionId]);
  if (!version) throw new NotFoundError(`version ${payload.versionId} no longer exists`);
  const n = await embeddedCount(db, space.id, version.id);
  const params: Record<string, unknown> =
    payload.method === 'UMAP'
      ? { ...payload.umap, distance: 'euclidean', init: 'random' }
      : { center: true, components: 2, signConvention: 'largest-magnitude loading positive' };
  const seed = payload.umap?.seed ?? null;
  const projection = await startProjectionRow(db, {
    jobId: job.id,
    versionId: version.id,
    spaceId: space.id,
    method: payload.method,
    params,
    seed,
    library: PROJECTION_LIBRARIES[payload.method],
    n,
  });
  const started = performance.now();
  try {
    const writer = new ChunkWriter(db, projection.id);
    let details: Record<string, unknown>;
    if (payload.method === 'PCA') details = await projectPca(db, space, version.id, n, writer, context);
    else details = await projectUmap(db, space, version.id, n, payload.umap!, writer, context);
    if (signal.aborted) {
      await failProjection(db, projection.id, `stopped: ${context.stopReason() ?? 'aborted'}`);
      return { projectionId: projection.id, stopped: context.stopReason() };
    }
    await writer.flush();
    const ms = Math.round(performance.now() - started);
    await db
      .update(projections)
      .set({
        status: 'COMPLETE',
        n: writer.written,
        details: { ...details, bounds: writer.bounds(), ms },
        computedAt: sql`now()`,
      })
      .where(eq(projections.id, projection.id));
    return { projectionId: projection.id, method: payload.method, n: writer.written, ms };
  } catch (error) {
    await failProjection(db, projection.id, error instanceof Error ? error.message : String(error));
    throw error;
  }
}

async function startProjectionRow(
  db: Executor,
  row: Omit<ProjectionRow, 'id' | 'status' | 'statusReason' | 'details' | 'computedAt' | 'createdAt'>,
): Promise<ProjectionRow> {
  // A retried attempt (lost lease, crash) starts its row over.
  const [existing] = await db.select().from(projections).where(eq(projections.jobId, row.jobId!));
  if (existing) {
    await db.delete(projectionChunks).where(eq(projectionChunks.projectionId, existing.id));
    const [reset] = await db
      .update(projections)
      .set({ status: 'RUNNING', statusReason: null, details: {}, n: row.n, computedAt: null })
      .where(eq(projections.id, existing.id))
      .returning();
    return reset!;
  }
  const [created] = await db
    .insert(projections)
    .values({ ...row, status: 'RUNNING' })
    .returning();
  return created!;
}

async function failProjection(db: Executor, id: number, reason: string): Promise<void> {
  await db.delete(projectionChunks).where(eq(projectionChunks.projectionId, id));
  await db
    .update(projections)
    .set({ status: 'FAILED', statusReason: reason.slice(0, 2000) })
    .where(eq(projections.id, id));
}

async function projectPca(
  db: Executor,
  space: EmbeddingSpaceRow,
  versionId: number,
  n: number,
  writer: ChunkWriter,
  context: JobContext,
): Promise<Record<string, unknown>> {
  const accumulator = new PcaAccumulator(space.dims);
  for await (const batch of streamVectors(db, space.id, versionId, READ_BATCH)) {
    if (context.signal.aborted) return {};
    accumulator.add(batch.vectors);
    context.reportProgress(accumulator.n, 2 * n);
  }
  const model = accumulator.finish();
  let done = 0;
  for await (const batch of streamVectors(db, space.id, versionId, READ_BATCH)) {
    if (context.signal.aborted) return {};
    const xy = new Float32Array(2 * batch.vectors.length);
    pcaProject(model, batch.vectors, xy);
    await writer.add(batch.ordinals, xy);
    done += batch.vectors.length;
    context.reportProgress(n + done, 2 * n);
  }
  return { explainedVariance: model.explained, variances: model.variances };
}

async function projectUmap(
  db: Executor,
  space: EmbeddingSpaceRow,
  versionId: number,
  n: number,
  params: UmapJobParams,
  writer: ChunkWriter,
  context: JobContext,
): Promise<Record<string, unknown>> {
  const umapOptions = {
    neighbors: params.neighbors,
    minDist: params.minDist,
    epochs: params.epochs,
    seed: params.seed,
  };
  if (n <= params.fitSize) {
    const ordinals: number[] = [];
    const vectors: Float32Array[] = [];
    for await (const batch of streamVectors(db, space.id, versionId, READ_BATCH)) {
      ordinals.push(...batch.ordinals);
      vectors.push(...batch.vectors);
    }
    if (context.signal.aborted) return {};
    const fit = fitUmap(vectors, umapOptions);
    await writer.add(ordinals, fit.coordinates);
    context.reportProgress(n, n);
    return { fitted: vectors.length, transformed: 0 };
  }
  // Fit on a seeded subsample (positions among the embedded samples in ordinal order)...
  const chosen = seededSubsample(n, params.fitSize, params.seed);
  const fitVectors: Float32Array[] = [];
  let position = 0;
  let next = 0;
  for await (const batch of streamVectors(db, space.id, versionId, READ_BATCH)) {
    for (const vector of batch.vectors) {
      if (next < chosen.length && chosen[next] === position) {
        fitVectors.push(vector);
        next++;
      }
      position++;
    }
  }
  if (context.signal.aborted) return {};
  const fit: UmapFit = fitUmap(fitVectors, umapOptions);
  // ...then place every other point into that layout, batch by batch.
  position = 0;
  next = 0;
  for await (const batch of streamVectors(db, space.id, versionId, READ_BATCH)) {
    if (context.signal.aborted) return {};
    const xy = new Float32Array(2 * batch.vectors.length);
    const rest: Float32Array[] = [];
    const restAt: number[] = [];
    batch.vectors.forEach((vector, i) => {
      if (next < chosen.length && chosen[next] === position) {
        xy[2 * i] = fit.coordinates[2 * next]!;
        xy[2 * i + 1] = fit.coordinates[2 * next + 1]!;
        next++;
      } else {
        rest.push(vector);
        restAt.push(i);
      }
      position++;
    });
    const placed = fit.transform(rest);
    restAt.forEach((i, k) => {
      xy[2 * i] = placed[2 * k]!;
      xy[2 * i + 1] = placed[2 * k + 1]!;
    });
    await writer.add(batch.ordinals, xy);
    context.reportProgress(position, n);
  }
  return { fitted: fitVectors.length, transformed: n - fitVectors.length, fitSampleSeed: params.seed };
}

interface VectorBatch {
  ordinals: number[];
  vectors: Float32Array[];
}

/** The version's vectors in the space, in ordinal order, keyset-paged by ordinal. */
export async function* streamVectors(
  db: Executor,
  spaceId: number,
  versionId: number,
  batchSize: number,
): AsyncGenerator<VectorBatch> {
  let after = -1;
  for (;;) {
    const rows = await db
      .select({ ordinal: samples.ordinal, embedding: sql<string>`${sampleEmbeddings.embedding}::text` })
      .from(samples)
      .innerJoin(
        sampleEmbeddings,
        and(eq(sampleEmbeddings.sampleId, samples.id), eq(sampleEmbeddings.spaceId, spaceId)),
      )
      .where(and(eq(samples.versionId, versionId), gt(samples.ordinal, after)))
      .orderBy(asc(samples.ordinal))
      .limit(batchSize);
    if (rows.length === 0) return;
    yield { ordinals: rows.map((r) => r.ordinal), vectors: rows.map((r) => parseVectorLiteral(r.embedding)) };
    after = rows[rows.length - 1]!.ordinal;
    if (rows.length < batchSize) return;
  }
}

/** Packs points into CHUNK_POINTS-point rows of projection_chunks as they come. */
class ChunkWriter {
  private ordinals: number[] = [];
  private xy: number[] = [];
  private chunk = 0;
  written = 0;
  private min = [Infinity, Infinity];
  private max = [-Infinity, -Infinity];

  constructor(
    private readonly db: Executor,
    private readonly projectionId: number,
  ) {}

  async add(ordinals: readonly number[], xy: Float32Array): Promise<void> {
    for (let i = 0; i < ordinals.length; i++) {
      const x = xy[2 * i]!;
      const y = xy[2 * i + 1]!;
      if (!Number.isFinite(x) || !Number.isFinite(y))
        throw new Error(`the projection of sample ${ordinals[i]} is not finite (${x}, ${y})`);
      this.ordinals.push(ordinals[i]!);
      this.xy.push(x, y);
      this.min = [Math.min(this.min[0]!, x), Math.min(this.min[1]!, y)];
      this.max = [Math.max(this.max[0]!, x), Math.max(this.max[1]!, y)];
      if (this.ordinals.length === CHUNK_POINTS) await this.flush();
    }
  }

  async flush(): Promise<void> {
    if (this.ordinals.length === 0) return;
    const count = this.ordinals.length;
    await this.db.insert(projectionChunks).values({
      projectionId: this.projectionId,
      chunk: this.chunk++,
      count,
      ordinals: toBuffer(Uint32Array.from(this.ordinals)),
      xy: toBuffer(Float32Array.from(this.xy)),
    });
    this.written += count;
    this.ordinals = [];
    this.xy = [];
  }

  bounds() {
    return this.written === 0
      ? null
      : { minX: this.min[0], minY: this.min[1], maxX: this.max[0], maxY: this.max[1] };
  }
}

/** Typed arrays are stored little-endian (every platform Node runs on is). */
function toBuffer(array: Uint32Array | Float32Array): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

export async function findProjectionsByIds(db: Executor, ids: readonly number[]): Promise<ProjectionRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(projections)
    .where(anyOf(projections.id, ids, 'bigint'));
}

export async function requireProjection(db: Executor, id: number): Promise<ProjectionRow> {
  const [row] = await findProjectionsByIds(db, [id]);
  if (!row) throw new NotFoundError(`no projection with id ${id}`, { id });
  return row;
}

/** A version's projections, newest first, optionally of one space or method. */
export async function projectionsOfVersion(
  db: Executor,
  versionId: number,
  filter: { spaceId?: number | null; method?: ProjectionMethod | null; completeOnly?: boolean },
): Promise<ProjectionRow[]> {
  return db
    .select()
    .from(projections)
    .where(
      and(
        eq(projections.versionId, versionId),
        filter.spaceId == null ? undefined : eq(projections.spaceId, filter.spaceId),
        filter.method == null ? undefined : eq(projections.method, filter.method),
        filter.completeOnly ? eq(projections.status, 'COMPLETE') : undefined,
      ),
    )
    .orderBy(desc(projections.createdAt), desc(projections.id));
}

export interface ProjectionArrays {
  /** Sample ordinals, ascending. */
  ordinals: Uint32Array;
  /** (x, y) pairs, one per ordinal. */
  xy: Float32Array;
}

/** Every point of a COMPLETE projection; a projection that is not COMPLETE is BAD_USER_INPUT. */
export async function projectionArrays(db: Executor, projection: ProjectionRow): Promise<ProjectionArrays> {
  requireComplete(projection);
  const rows = await db
    .select({ count: projectionChunks.count, ordinals: projectionChunks.ordinals, xy: projectionChunks.xy })
    .from(projectionChunks)
    .where(eq(projectionChunks.projectionId, projection.id))
    .orderBy(asc(projectionChunks.chunk));
  const n = rows.reduce((sum, r) => sum + r.count, 0);
  const ordinals = new Uint32Array(n);
  const xy = new Float32Array(2 * n);
  let at = 0;
  for (const row of rows) {
    ordinals.set(new Uint32Array(copyOut(row.ordinals)), at);
    xy.set(new Float32Array(copyOut(row.xy)), 2 * at);
    at += row.count;
  }
  return { ordinals, xy };
}

/** The chunks' raw bytes in order (what the binary routes send), without decoding them. */
export async function projectionBytes(
  db: Executor,
  projection: ProjectionRow,
  column: 'ordinals' | 'xy',
): Promise<Buffer[]> {
  requireComplete(projection);
  const rows = await db
    .select({ bytes: projectionChunks[column] })
    .from(projectionChunks)
    .where(eq(projectionChunks.projectionId, projection.id))
    .orderBy(asc(projectionChunks.chunk));
  return rows.map((r) => r.bytes);
}

export interface ProjectionPoint {
  /** Position in the map (0 .. n - 1). */
  index: number;
  ordinal: number;
  x: number;
  y: number;
}

export const MAX_SAMPLES_AT = 200;

/** The version's samples at the ordinals, in the order given (null where there is none). */
export async function samplesAtOrdinals(
  db: Executor,
  versionId: number,
  ordinals: readonly number[],
): Promise<(SampleRow | null)[]> {
  if (ordinals.length > MAX_SAMPLES_AT) {
    throw new BadInputError(`at most ${MAX_SAMPLES_AT} ordinals per request (got ${ordinals.length})`, {
      argument: 'ordinals',
    });
  }
  if (ordinals.length === 0) return [];
  const rows = await db
    .select()
    .from(samples)
    .where(and(eq(samples.versionId, versionId), anyOf(samples.ordinal, [...new Set(ordinals)], 'int')));
  const byOrdinal = new Map(rows.map((r) => [r.ordinal, r]));
  return ordinals.map((o) => byOrdinal.get(o) ?? null);
}

/** Points `offset` .. `offset + limit - 1` of a projection (in ordinal order), for paged GraphQL. */
export async function projectionPoints(
  db: Executor,
  projection: ProjectionRow,
  offset: number,
  limit: number,
): Promise<ProjectionPoint[]> {
  requireComplete(projection);
  const firstChunk = Math.floor(offset / CHUNK_POINTS);
  const lastChunk = Math.floor((offset + Math.max(limit, 1) - 1) / CHUNK_POINTS);
  const rows = await db
    .select()
    .from(projectionChunks)
    .where(
      and(
        eq(projectionChunks.projectionId, projection.id),
        sql`${projectionChunks.chunk} between ${firstChunk} and ${lastChunk}`,
      ),
    )
    .orderBy(asc(projectionChunks.chunk));
  const out: ProjectionPoint[] = [];
  for (const row of rows) {
    const ordinals = new Uint32Array(copyOut(row.ordinals));
    const xy = new Float32Array(copyOut(row.xy));
    const base = row.chunk * CHUNK_POINTS;
    for (let i = 0; i < row.count; i++) {
      const index = base + i;
      if (index < offset || index >= offset + limit) continue;
      out.push({ index, ordinal: ordinals[i]!, x: xy[2 * i]!, y: xy[2 * i + 1]! });
    }
  }
  return out;
}

function requireComplete(projection: ProjectionRow): void {
  if (projection.status !== 'COMPLETE') {
    throw new BadInputError(`projection ${projection.id} is ${projection.status}, not COMPLETE`, {
      id: projection.id,
      status: projection.status,
    });
  }
}

/** An aligned copy (a driver's Buffer may start at any byte offset of a shared pool). */
function copyOut(bytes: Buffer): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return copy;
}
