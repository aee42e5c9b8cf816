/**
 * The `embeddings.embed` job: gives every sample of a version a vector in one space, then builds
 * the space's HNSW index if it has none yet. Requesting it again (or re-running it after a crash)
 * embeds only the samples still missing, so vectors are never duplicated.
 */
import { z } from 'zod';
import type { Executor } from '../db/connect.js';
import type { JobRow } from '../db/schema.js';
import { NotFoundError } from '../errors.js';
import { defineJobKind, payloadOf } from '../jobs/kinds.js';
import { enqueueJob } from '../jobs/queue.js';
import type { JobContext, JobHandler } from '../jobs/worker.js';
import { findVersionsByIds } from '../catalog/versions.js';
import { embedMissingSamples } from './embedSamples.js';
import { ensureHnswIndex } from './hnswIndex.js';
import type { EmbedderRegistry } from './registry.js';
import { embeddedCount, ensureSpace } from './spaces.js';

export const EMBED_VERSION_JOB = 'embeddings.embed';

export const EMBED_VERSION = defineJobKind(
  EMBED_VERSION_JOB,
  z.object({
    versionId: z.number().int().positive(),
    /** The space's full key, so a worker with other defaults embeds into the same space. */
    space: z.string().min(1),
  }),
);

/** Loads the space's embedder (failing here, in the caller, when the model cannot be loaded) and queues the job. */
export async function enqueueEmbedVersion(
  db: Executor,
  registry: EmbedderRegistry,
  versionId: number,
  spaceName: string | null | undefined,
): Promise<JobRow> {
  const [version] = await findVersionsByIds(db, [versionId]);
  if (!version || version.status !== 'READY')
    throw new NotFoundError(`no version with id ${versionId}`, { id: versionId });
  const embedder = await registry.embedderFor(spaceName);
  await ensureSpace(db, embedder);
  return enqueueJob(db, {
    kind: EMBED_VERSION,
    payload: { versionId, space: embedder.key },
    progressTotal: version.sampleCount,
  });
}

export function embedVersionHandler(registry: EmbedderRegistry): JobHandler {
  return (context) => runEmbedVersion(context, registry);
}

async function runEmbedVersion(
  context: JobContext,
  registry: EmbedderRegistry,
): Promise<Record<string, unknown>> {
  const { database, job, signal } = context;
  const payload = payloadOf(EMBED_VERSION, job);
  const db = database.db;
  const [version] = await findVersionsByIds(db, [payload.versionId]);
  if (!version) throw new NotFoundError(`version ${payload.versionId} no longer exists`);
  const embedder = await registry.embedderFor(payload.space);
  const space = await ensureSpace(db, embedder);
  const already = await embeddedCount(db, space.id, version.id);
  context.reportProgress(already, version.sampleCount);
  const started = performance.now();
  const outcome = await embedMissingSamples(db, embedder, space, version.id, {
    batchSize: registry.config.batchSize,
    signal,
    onChunk: (embedded) => context.reportProgress(already + embedded, version.sampleCount),
  });
  const seconds = (performance.now() - started) / 1000;
  const summary = {
    versionId: version.id,
    space: space.key,
    spaceId: space.id,
    dims: space.dims,
    alreadyEmbedded: already,
    embedded: outcome.embedded,
    samplesPerSecond: seconds > 0 ? Math.round(outcome.embedded / seconds) : null,
  };
  if (outcome.stopped) return { ...summary, stopped: context.stopReason() };
  const index = await ensureHnswIndex(database, space);
  if (index.built)
    context.logger.info('built HNSW index', {
      space: space.key,
      vectors: index.vectors,
      ms: Math.round(index.ms),
    });
  return { ...summary, index };
}
