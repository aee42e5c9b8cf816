/** A version's samples in ordinal order, in bounded batches (keyset paging on the ordinal index). */
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { rowsOf } from '../db/sqlHelpers.js';
import type { MetricSample } from '../metrics/types.js';

export interface StoredMetricSample extends MetricSample {
  /** samples.id, for writing per-sample scores. */
  id: number;
}

export async function* streamVersionSamples(
  db: Executor,
  versionId: number,
  batchSize: number,
): AsyncGenerator<StoredMetricSample[]> {
  let after = -1;
  for (;;) {
    const rows = rowsOf<{
      id: string | number;
      ordinal: number;
      content_hash: string;
      prompt: string;
      response: string;
      reference: string | null;
    }>(
      await db.execute(sql`
        select id, ordinal, content_hash, coalesce(prompt, '') as prompt, coalesce(response, '') as response, reference
        from samples where version_id = ${versionId} and ordinal > ${after}
        order by ordinal limit ${batchSize}`),
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
