/**
 * Embedding a version's samples into a space: resumable (only samples without a vector in the
 * space are read), in length-bucketed batches (texts of similar length share a batch, so padding
 * wastes little model time), each chunk written in one statement so a stop loses at most the
 * chunk in flight and never leaves a duplicate vector. A chunk is written while the next one is
 * embedded, so a failed write surfaces after that next chunk's model time (which is then lost).
 */
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { and, asc, eq, gt, notExists, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { sampleEmbeddings, samples, type EmbeddingSpaceRow } from '../db/schema.js';
import { names } from '../db/sqlHelpers.js';
import { embeddedText, type Embedder } from './embedder.js';
import { vectorLiteral } from '../db/vectorText.js';

/** Samples read, embedded and written per chunk (progress moves a chunk at a time). */
export const EMBED_CHUNK_SIZE = 512;

export interface EmbedSamplesOptions {
  /** Texts per model call. */
  batchSize: number;
  signal?: AbortSignal;
  /** Called after each written chunk with the number of samples embedded so far by this call. */
  onChunk?: (embedded: number) => void;
  chunkSize?: number;
}

export interface EmbedSamplesResult {
  embedded: number;
  /** True when the signal stopped the work before every sample had a vector. */
  stopped: boolean;
}

export async function embedMissingSamples(
  db: Executor,
  embedder: Embedder,
  space: EmbeddingSpaceRow,
  versionId: number,
  options: EmbedSamplesOptions,
): Promise<EmbedSamplesResult> {
  const chunkSize = options.chunkSize ?? EMBED_CHUNK_SIZE;
  let after = -1;
  let embedded = 0;
  // One chunk's write runs while the next chunk is read and embedded (at most one write in
  // flight): on PostgreSQL the server stores while the model runs.
  let writing: Promise<void> = Promise.resolve();
  const finish = async (stopped: boolean): Promise<EmbedSamplesResult> => {
    await writing;
    return { embedded, stopped };
  };
  for (;;) {
    if (options.signal?.aborted) return finish(true);
    const rows = await db
      .select({
        id: samples.id,
        ordinal: samples.ordinal,
        prompt: samples.prompt,
        response: samples.response,
      })
      .from(samples)
      .where(
        and(
          eq(samples.versionId, versionId),
          gt(samples.ordinal, after),
          notExists(
            db
              .select({ one: sql`1` })
              .from(sampleEmbeddings)
              .where(and(eq(sampleEmbeddings.spaceId, space.id), eq(sampleEmbeddings.sampleId, samples.id))),
          ),
        ),
      )
      .orderBy(asc(samples.ordinal))
      .limit(chunkSize);
    if (rows.length === 0) return finish(false);
    const texts = rows.map((r) => embeddedText(r.prompt, r.response));
    const vectors = await embedInLengthBuckets(embedder, texts, options.batchSize);
    await writing;
    if (options.signal?.aborted) return finish(true);
    const write = writeVectors(
      db,
      space,
      versionId,
      rows.map((r) => Number(r.id)),
      vectors,
    ).then(() => {
      embedded += rows.length;
      options.onChunk?.(embedded);
    });
    // Awaited before the next write or the return; this only keeps a failure from being reported as unhandled meanwhile.
    write.catch(() => undefined);
    writing = write;
    after = rows[rows.length - 1]!.ordinal;
    await nextMacrotask();
    if (rows.length < chunkSize) return finish(false);
  }
}

/** Embeds texts in batches of similar length; the vectors come back in the texts' order. */
export async function embedInLengthBuckets(
  embedder: Embedder,
  texts: readonly string[],
  batchSize: number,
): Promise<Float32Array[]> {
  const order = texts.map((_, i) => i).sort((a, b) => texts[a]!.length - texts[b]!.length || a - b);
  const vectors: Float32Array[] = new Array(texts.length);
  for (let start = 0; start < order.length; start += batchSize) {
    const indices = order.slice(start, start + batchSize);
    const batch = await embedder.embed(indices.map((i) => texts[i]!));
    if (batch.length !== indices.length)
      throw new Error(
        `embedder ${embedder.key} returned ${batch.length} vectors for ${indices.length} texts`,
      );
    indices.forEach((textIndex, j) => {
      const vector = batch[j]!;
      if (vector.length !== embedder.dims)
        throw new Error(
          `embedder ${embedder.key} returned a ${vector.length}-dimensional vector, expected ${embedder.dims}`,
        );
      vectors[textIndex] = vector;
    });
  }
  return vectors;
}

async function writeVectors(
  db: Executor,
  space: EmbeddingSpaceRow,
  versionId: number,
  sampleIds: readonly number[],
  vectors: readonly Float32Array[],
): Promise<void> {
  const rows = sampleIds.map((id, i) => ({ s: id, v: vectorLiteral(vectors[i]!) }));
  // One jsonb parameter per chunk; pgvector parses the vectors' text.
  const e = sampleEmbeddings;
  await db.execute(sql`
    insert into ${e} (${names(e.spaceId, e.sampleId, e.versionId, e.embedding)})
    select ${space.id}, t.s, ${versionId}, t.v::vector from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as t(s bigint, v text)
    on conflict (${names(e.spaceId, e.sampleId)}) do nothing`);
}
