/** Streams the first `limit` lines of the bench corpus as MetricSample batches (never the whole file in memory). */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { MetricSample } from '../../src/metrics/types.js';

export async function* sampleBatches(
  file: string,
  limit: number,
  batchSize = 1000,
): AsyncGenerator<MetricSample[]> {
  const lines = createInterface({
    input: createReadStream(file, { highWaterMark: 1 << 20 }),
    crlfDelay: Infinity,
  });
  let batch: MetricSample[] = [];
  let ordinal = 0;
  for await (const line of lines) {
    if (ordinal >= limit) break;
    if (!line) continue;
    const row = JSON.parse(line) as {
      prompt?: string | null;
      response?: string | null;
      reference?: string | null;
    };
    batch.push({
      ordinal,
      contentHash: createHash('sha256').update(line).digest('hex'),
      prompt: row.prompt ?? '',
      response: row.response ?? '',
      reference: row.reference ?? null,
    });
    ordinal += 1;
    if (batch.length === batchSize) {
      yield batch;
      batch = [];
    }
  }
  lines.close();
  if (batch.length > 0) yield batch;
  if (ordinal < limit) throw new Error(`${file} has only ${ordinal} samples, ${limit} asked for`);
}

/** The first `limit` samples' responses (only for the naive all-pairs runs, which need them all). */
export async function loadTexts(file: string, limit: number): Promise<string[]> {
  const texts: string[] = [];
  for await (const batch of sampleBatches(file, limit)) for (const s of batch) texts.push(s.response);
  return texts;
}
