/**
 * A version's samples in ordinal order, in bounded batches (keyset paging on the ordinal index).
 * Raw SQL with the schema's names rather than the builder: this reads every sample of a version,
 * and the columns arrive ready for the metrics without the builder's row mapping.
 */
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { sampleEmbeddings, samples } from '../db/schema.js';
import { rowsOf } from '../db/sqlHelpers.js';
import { parseVectorLiteral } from '../db/vectorText.js';
import type { MetricSample } from '../metrics/types.js';

export interface StoredMetricSample extends MetricSample {
  /** samples.id, for writing per-sample scores. */
  id: number;
}

/**
 * `spaceId`: also attach each sample's vector in that space (`embedding`); a sample without one
 * arrives without it, and embedding metrics then fail naming it.
 */
export async function* streamVersionSamples(
  db: Executor,
  versionId: number,
  batchSize: number,
  spaceId: number | null = null,
): AsyncGenerator<StoredMetricSample[]> {
  let after = -1;
  const vectorColumn =
    spaceId === null
      ? sql`null`
      : sql`(select ${sampleEmbeddings.embedding}::text from ${sampleEmbeddings}
          where ${sampleEmbeddings.spaceId} = ${spaceId} and ${sampleEmbeddings.sampleId} = ${samples.id})`;
  for (;;) {
    const rows = rowsOf<{
      id: string | number;
      ordinal: number;
      content_hash: string;
      prompt: string;
      response: string;
      reference: string | null;
      embedding: string | null;
    }>(
      await db.execute(sql`
        select ${samples.id} as id, ${samples.ordinal} as ordinal, ${samples.contentHash} as content_hash,
          coalesce(${samples.prompt}, '') as prompt, coalesce(${samples.response}, '') as response,
          ${samples.reference} as reference, ${vectorColumn} as embedding
        from ${samples} where ${samples.versionId} = ${versionId} and ${samples.ordinal} > ${after}
        order by ${samples.ordinal} limit ${batchSize}`),
    );
    if (rows.length === 0) return;
    await yieldToEventLoop();
    yield rows.map((r) => ({
      id: Number(r.id),
      ordinal: r.ordinal,
      contentHash: r.content_hash,
      prompt: r.prompt,
      response: r.response,
      reference: r.reference,
      ...(r.embedding !== null ? { embedding: parseVectorLiteral(r.embedding) } : {}),
    }));
    after = rows[rows.length - 1]!.ordinal;
    if (rows.length < batchSize) return;
  }
}

/**
 * PGlite answers queries without real I/O, so a loop over this stream would be one long chain of
 * microtasks that starves timers (a job's lease heartbeat) and HTTP requests in the same process.
 * One macrotask turn per batch keeps them responsive; on PostgreSQL it costs microseconds.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
