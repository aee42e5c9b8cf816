/** What every embedding-based metric shares: the `space` parameter and reading a batch's vectors. */
import type { MetricSample, ParamSpec } from '../types.js';

export const SPACE_PARAM: ParamSpec = {
  type: 'space',
  default: '',
  description:
    'Embedding space whose vectors are measured, as model@revision:dtype (see Query.embeddingSpaces); empty: the server default. ' +
    'The version must be embedded in it first (Mutation.embedVersion).',
};

export const EXACT_LIMIT_PARAM: ParamSpec = {
  type: 'int',
  default: 10000,
  min: 2,
  max: 1_000_000,
  description:
    "Largest number of searched vectors for an exact nearest-neighbour scan (O(n^2 d)); above it the space's HNSW index answers and the estimator is APPROXIMATE.",
};

/** The batch's vectors; a sample without one is an error naming it (the runner attaches every vector of the space). */
export function vectorsOf(batch: readonly MetricSample[]): Float32Array[] {
  return batch.map((sample) => {
    if (!sample.embedding)
      throw new Error(`sample ${sample.ordinal} has no vector in the metric's embedding space`);
    return sample.embedding;
  });
}

export function dimsOf(vectors: readonly Float32Array[], expected: number | null): number {
  const d = vectors[0]!.length;
  for (const v of vectors) {
    if (v.length !== d || (expected !== null && v.length !== expected)) {
      throw new Error(
        `vectors of different dimensions (${expected ?? d} and ${v.length}) cannot be measured together`,
      );
    }
  }
  return d;
}
