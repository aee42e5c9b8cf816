/**
 * What every configuration of bench/embed embeds: n real samples from ../shared/datasets (GSM8K
 * train, Code Alpaca 2k, the Self-Instruct predictions of 8 models, see bench/datasets.ts) in one
 * seeded shuffle, and the batches the embedding job forms from them.
 */
import { loadBaseRows, rng } from '../datasets.js';
import { canonicalizeSample, type HashedSample } from '../../src/catalog/canonicalSample.js';
import { embeddedText } from '../../src/embeddings/embedder.js';
import { EMBED_CHUNK_SIZE } from '../../src/embeddings/embedSamples.js';

export const TINY_MODEL = 'qdc-test/tiny-bert';
export const REAL_MODEL = 'Xenova/all-MiniLM-L6-v2';
/** The job's weights: q8 = onnx/model_quantized.onnx. */
export const DTYPE = 'q8';
export const ONNX_FILE = 'onnx/model_quantized.onnx';
/** Samples per chunk of the job (read, embedded, written); the length sort happens inside a chunk. */
export const CHUNK_SIZE = EMBED_CHUNK_SIZE;
/** Ordinals whose vectors are compared between the paths (16, spread over the version). */
export function checkOrdinals(n: number): number[] {
  return [
    ...new Set(Array.from({ length: 16 }, (_, i) => Math.min(n - 1, Math.floor((i * n) / 16) + (i % 3)))),
  ];
}

/**
 * n samples in version order: the base rows shuffled with a fixed seed, then repeated when n is
 * larger than the ~11.4k base rows (repeats are separate samples and are embedded again, as the
 * job does). `texts[i]` is exactly what the job embeds for the sample with ordinal i.
 */
export function benchSamples(n: number): { samples: HashedSample[]; texts: string[] } {
  const rows = loadBaseRows();
  const random = rng(20261121);
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  const samples: HashedSample[] = [];
  for (let i = 0; i < n; i++) {
    const row = rows[i % rows.length]!;
    samples.push(
      canonicalizeSample(
        {
          prompt: row.prompt,
          response: row.response,
          reference: row.reference,
          metadata: { source: row.source },
        },
        `sample ${i}`,
      ),
    );
  }
  return { samples, texts: samples.map((s) => embeddedText(s.prompt, s.response)) };
}

/**
 * The model calls of the job, in its order: chunks of CHUNK_SIZE samples by ordinal, inside each
 * chunk the indices sorted by text length (ties by index), cut into batches of `batchSize`. The
 * same rule as `embedInLengthBuckets` in src/embeddings/embedSamples.ts.
 */
export function jobBatches(texts: readonly string[], batchSize: number): number[][] {
  const batches: number[][] = [];
  for (let chunk = 0; chunk < texts.length; chunk += CHUNK_SIZE) {
    const indices = Array.from({ length: Math.min(CHUNK_SIZE, texts.length - chunk) }, (_, i) => chunk + i);
    indices.sort((a, b) => texts[a]!.length - texts[b]!.length || a - b);
    for (let start = 0; start < indices.length; start += batchSize)
      batches.push(indices.slice(start, start + batchSize));
  }
  return batches;
}
