/**
 * diversity.mean_pairwise_cosine_distance: 1 - mean over ordered pairs i != j of x_i . x_j, over
 * a version's vectors in one embedding space, in O(n d) with no pair loop:
 * sum_{i != j} x_i . x_j = ||sum_i x_i||^2 - sum_i ||x_i||^2 (= ||sum||^2 - n for unit vectors;
 * the general form also covers the zero vector the lexical embedder gives a featureless text).
 */
import { dimsOf, SPACE_PARAM, vectorsOf } from '../embedding/embeddingParams.js';
import { addToSum, meanPairwiseCosineDistance } from '../embedding/pairwise.js';
import type { Accumulator, MetricDefinition } from '../types.js';

export type PairwiseParams = { space: string };

interface PairwiseState {
  sum: Float64Array | null;
  squaredNorms: number;
  n: number;
}

const accumulator: Accumulator<PairwiseState> = {
  init: () => ({ sum: null, squaredNorms: 0, n: 0 }),
  update(state, batch) {
    if (batch.length === 0) return;
    const vectors = vectorsOf(batch);
    const d = dimsOf(vectors, state.sum?.length ?? null);
    const sum = (state.sum ??= new Float64Array(d));
    state.squaredNorms += addToSum(sum, vectors);
    state.n += vectors.length;
  },
  merge(left, right) {
    if (!right.sum) return left;
    if (!left.sum) return right;
    for (let k = 0; k < left.sum.length; k++) left.sum[k]! += right.sum[k]!;
    left.squaredNorms += right.squaredNorms;
    left.n += right.n;
    return left;
  },
  finalize({ sum, squaredNorms, n }) {
    if (!sum || n < 2)
      return {
        value: null,
        reason: `needs at least 2 samples, got ${n}`,
        n,
        estimator: 'EXACT',
        details: {},
      };
    const distance = meanPairwiseCosineDistance(sum, n, squaredNorms)!;
    const meanSimilarity = 1 - distance;
    return {
      value: distance,
      n,
      estimator: 'EXACT',
      details: { dims: sum.length, meanCosineSimilarity: meanSimilarity },
    };
  },
};

export const meanPairwiseCosineDistanceMetric: MetricDefinition<PairwiseParams, PairwiseState> = {
  key: 'diversity.mean_pairwise_cosine_distance',
  axis: 'DIVERSITY',
  version: 1,
  direction: 'HIGHER_IS_BETTER',
  input: 'embedding',
  description:
    '1 - mean cosine similarity over all ordered pairs of distinct samples, from the L2-normalised vectors of one embedding space. ' +
    'Exact in O(n d): sum over i != j of x_i.x_j = ||sum x_i||^2 - sum ||x_i||^2. Range [0, 2]; higher = more spread out. ' +
    'Details: dims, meanCosineSimilarity.',
  citation:
    'Embedding-based diversity as surveyed in Havrilla et al. 2024 (arXiv 2412.02980); cf. Tevet & Berant 2021.',
  params: { space: SPACE_PARAM },
  exactMerge: true,
  mergeRounding: true,
  create: () => accumulator,
};
