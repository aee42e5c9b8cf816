/**
 * diversity.novelsum — NovelSum (Yang et al. 2025, arXiv 2502.17184): the mean over samples of a
 * density-aware novelty, as the authors' implementation (UmeanNever/NovelSum `novelsum.py`, its
 * current default) computes it:
 *
 *   d_ij  = 1 - cos(x_i, x_j)                        all pairs of the measured samples
 *   rho_i = 1 / (mean of the k nearest squared L2 distances from x_i into the reference pool
 *                + 1e-9) ^ densityPower               (faiss IndexFlatL2 over np.unique of the pool:
 *                                                      the k + 1 nearest, the first dropped)
 *   v_i   = sum_r w_r * rho_i * d_i(r) / sum_r w_r   d_i(r): the r-th smallest of d_ij, j != i
 *           with w_r = 1 / r ^ distancePower
 *   NovelSum = mean_i v_i
 *
 * As in the reference, each row is scaled by the density of its own sample (`distance_matrix *
 * densities[:, np.newaxis]`), and the first neighbour found in the pool is dropped whether or not it
 * is the sample itself (the pool normally contains the measured samples). For unit vectors the
 * squared L2 distance is 2 x the cosine distance. Defaults are the paper's recommended setting
 * (neighbors 10, density power 0.5, distance power 1).
 *
 * The all-pairs part is O(m^2 d) for m measured samples, so it runs on a seeded subset (bottom-k,
 * as every pairwise metric here): EXACT when the version has at most `subsetSize` samples.
 */
import { EXACT_LIMIT_PARAM, SPACE_PARAM, dimsOf, vectorsOf } from '../embedding/embeddingParams.js';
import { fsum } from '../exactSum.js';
import {
  SUBSET_SEED_PARAM,
  createSubsetState,
  finalSubset,
  mergeSubsets,
  offerToSubset,
  type SubsetState,
} from '../seededSubset.js';
import type { MetricDefinition, MetricOutcome } from '../types.js';

export const NOVELSUM_KEY = 'diversity.novelsum';

/** The reference's regularisation of the mean neighbour distance. */
const DENSITY_REGULARIZATION = 1e-9;

export type NovelSumParams = {
  space: string;
  reference: number;
  neighbors: number;
  densityPower: number;
  distancePower: number;
  seed: number;
  subsetSize: number;
  exactLimit: number;
};

/**
 * NovelSum of unit vectors given each one's density: the mean over i of rho_i times the
 * inverse-rank weighted mean of its sorted cosine distances to the others.
 */
export function novelSumOf(
  vectors: readonly Float32Array[],
  densities: ArrayLike<number>,
  distancePower: number,
): { value: number; meanCosineDistance: number; novelties: Float64Array } {
  const m = vectors.length;
  const d = vectors[0]!.length;
  const matrix = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    const a = vectors[i]!;
    for (let j = i + 1; j < m; j++) {
      const b = vectors[j]!;
      let dot = 0;
      for (let t = 0; t < d; t++) dot += a[t]! * b[t]!;
      matrix[i * m + j] = matrix[j * m + i] = 1 - dot;
    }
  }
  const weights = new Float64Array(m - 1);
  for (let r = 0; r < m - 1; r++) weights[r] = 1 / Math.pow(r + 1, distancePower);
  const weightSum = fsum(weights);
  const novelties = new Float64Array(m);
  const row = new Float64Array(m - 1);
  const terms = new Float64Array(m - 1);
  for (let i = 0; i < m; i++) {
    let p = 0;
    for (let j = 0; j < m; j++) if (j !== i) row[p++] = matrix[i * m + j]!;
    row.sort();
    const rho = densities[i]!;
    for (let r = 0; r < m - 1; r++) terms[r] = weights[r]! * rho * row[r]!;
    novelties[i] = fsum(terms) / weightSum;
  }
  // The reference also reports the mean of the whole matrix, its zero diagonal included.
  const meanCosineDistance = fsum(matrix) / (m * m);
  return { value: fsum(novelties) / m, meanCosineDistance, novelties };
}

/** rho = 1 / (mean of the squared L2 distances to the k nearest after the first + 1e-9) ^ power. */
export function densityFromNeighbours(
  cosineDistances: ArrayLike<number>,
  neighbors: number,
  power: number,
): number | null {
  if (cosineDistances.length < neighbors + 1) return null;
  const squared = new Float64Array(neighbors);
  for (let r = 0; r < neighbors; r++) squared[r] = 2 * cosineDistances[r + 1]!;
  const mean = fsum(squared) / neighbors;
  return 1 / Math.pow(mean + DENSITY_REGULARIZATION, power);
}

export const novelSumMetric: MetricDefinition<NovelSumParams, SubsetState<Float32Array>> = {
  key: NOVELSUM_KEY,
  axis: 'DIVERSITY',
  version: 1,
  direction: 'HIGHER_IS_BETTER',
  input: 'embedding',
  description:
    'NovelSum: mean over samples of density-aware novelty, the inverse-rank weighted mean (weights 1/r^distancePower) of ' +
    "a sample's sorted cosine distances to the other samples, scaled by its density 1/(mean squared L2 distance to its k " +
    'nearest in a reference pool + 1e-9)^densityPower, as in the authors\u2019 implementation. Computed on a seeded subset.',
  citation:
    'Yang et al. 2025, "Measuring Data Diversity for Instruction Tuning: A Systematic Analysis and A Reliable Metric" ' +
    '(arXiv 2502.17184, ACL 2025); definition as in github.com/UmeanNever/NovelSum novelsum.py.',
  params: {
    space: SPACE_PARAM,
    reference: {
      type: 'version',
      description:
        'The reference pool (global or numeric id) whose vectors estimate density, usually the source pool the version was ' +
        'selected from (it may be the version itself); it must be embedded in the same space and hold more than `neighbors` distinct vectors.',
    },
    neighbors: {
      type: 'int',
      default: 10,
      min: 1,
      max: 100,
      description: 'Neighbours in the reference pool the density is estimated from (the paper: 10).',
    },
    densityPower: {
      type: 'number',
      default: 0.5,
      min: 0,
      max: 4,
      description: 'Power of the density factor; 0 = no density weighting (the paper: 0.5).',
    },
    distancePower: {
      type: 'number',
      default: 1,
      min: 0,
      max: 4,
      description:
        'Power of the inverse-rank proximity weights 1/r^p; 0 = plain mean distance (the paper: 1).',
    },
    seed: SUBSET_SEED_PARAM,
    subsetSize: {
      type: 'int',
      default: 2000,
      min: 2,
      max: 20000,
      description:
        'Size of the seeded random subset the all-pairs distances are computed over (all samples when fewer).',
    },
    exactLimit: EXACT_LIMIT_PARAM,
  },
  exactMerge: true,
  create(params, _prepared, environment) {
    if (!environment.versionNeighbours)
      throw new Error("diversity.novelsum needs a runner that can search the reference pool's vectors");
    const openReference = environment.versionNeighbours.bind(environment);
    const k = params.subsetSize;
    return {
      init: () => createSubsetState<Float32Array>(),
      update(state, batch) {
        const vectors = vectorsOf(batch);
        batch.forEach((sample, i) => offerToSubset(state, k, params.seed, sample, () => vectors[i]!));
      },
      merge: (left, right) => mergeSubsets(left, right, k),
      async finalize(state): Promise<MetricOutcome> {
        const subset = finalSubset(state, k);
        const sampled = state.seen > k;
        const details: Record<string, unknown> = {
          reference: params.reference,
          seed: params.seed,
          subsetSize: k,
          population: state.seen,
        };
        const base = { n: subset.length, details };
        if (subset.length < 2) {
          return {
            ...base,
            value: null,
            reason: `needs at least 2 samples, got ${subset.length}`,
            estimator: 'EXACT',
          };
        }
        const vectors = subset.map((entry) => entry.item);
        dimsOf(vectors, null);
        const index = await openReference(params.reference, params.exactLimit);
        if (!index.kNearest) throw new Error('the reference index cannot list k nearest neighbours');
        const neighbours = await index.kNearest(
          subset.map((entry) => ({ ordinal: entry.ordinal, vector: entry.item })),
          params.neighbors + 1,
        );
        const densities = new Float64Array(subset.length);
        for (let i = 0; i < subset.length; i++) {
          const rho = densityFromNeighbours(neighbours[i]!, params.neighbors, params.densityPower);
          if (rho === null) {
            return {
              ...base,
              value: null,
              reason: `the reference pool has ${neighbours[i]!.length} distinct vectors; neighbors = ${params.neighbors} needs at least ${params.neighbors + 1}`,
              estimator: 'EXACT',
            };
          }
          densities[i] = rho;
        }
        const result = novelSumOf(vectors, densities, params.distancePower);
        details.meanCosineDistance = result.meanCosineDistance;
        details.referenceVectors = index.size;
        details.referenceSearch = index.estimator;
        const estimator = index.estimator === 'APPROXIMATE' ? 'APPROXIMATE' : sampled ? 'SAMPLED' : 'EXACT';
        return {
          ...base,
          value: result.value,
          estimator,
          ...(sampled ? { sampleSize: subset.length } : {}),
        };
      },
    };
  },
};
