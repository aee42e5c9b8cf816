/** Seeded, real-looking sample sets for metric tests, and a way to store them as versions. */
import { registerDataset } from '../../src/catalog/datasets.js';
import type { Database } from '../../src/db/connect.js';
import { ingestStream } from '../../src/ingest/ingest.js';
import { streamVersionSamples } from '../../src/catalog/sampleStream.js';
import type { MetricSample } from '../../src/metrics/types.js';
import { prng } from './prng.js';

const WORDS =
  'the a of to and is in that it with for as was on be by this are from have or one had not but what all were when we there can an which their said if do will each about how up out them then she many some so these would other into has more her two like him see time could no make than first been its who now people my made over did down only way find use may water long little very after words called just where most know'.split(
    ' ',
  );

/** Samples with word-salad prompts and multi-line responses; every 4th has a GSM8K-style reference. */
export function randomSamples(
  n: number,
  seed: number,
): Array<{ prompt: string; response: string; reference?: string }> {
  const random = prng(seed);
  const words = (count: number) =>
    Array.from({ length: count }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ');
  return Array.from({ length: n }, (_, i) => {
    const lines = 1 + Math.floor(random() * 4);
    const answer = Math.floor(random() * 100);
    const response = [
      ...Array.from({ length: lines }, () => `${words(3 + Math.floor(random() * 12))}.`),
      `#### ${answer}`,
    ].join('\n');
    const sample: { prompt: string; response: string; reference?: string } = {
      prompt: `${i}: ${words(4 + Math.floor(random() * 10))}?`,
      response,
    };
    if (i % 4 === 0) sample.reference = String(random() < 0.5 ? answer : answer + 1);
    return sample;
  });
}

/** Creates the dataset (if needed) and ingests the samples as a new version; returns its id. */
export async function storeVersion(
  database: Database,
  slug: string,
  samples: readonly object[],
): Promise<number> {
  await registerDataset(database.db, { slug, name: slug }).catch((error: Error) => {
    if (!/already/.test(error.message)) throw error;
  });
  const body = Buffer.from(samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
  const result = await ingestStream(
    database,
    slug,
    (async function* () {
      yield body;
    })(),
  );
  return result.version.id;
}

/** The version's samples exactly as the runner feeds them to metrics. */
export async function versionSamples(database: Database, versionId: number): Promise<MetricSample[]> {
  const all: MetricSample[] = [];
  for await (const batch of streamVersionSamples(database.db, versionId, 5000)) {
    for (const { id: _id, ...sample } of batch) all.push(sample);
  }
  return all;
}
