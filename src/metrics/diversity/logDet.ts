/**
 * diversity.logdet — log-determinant diversity (Wang et al. 2024, arXiv 2402.02318, the DPP view of
 * dataset diversity): log det(S + ridge I), S the cosine-similarity matrix of the samples' vectors,
 * as OpenDataArena's LogDetDistanceScorer computes it (numpy `slogdet` of the ridged matrix,
 * default ridge 1e-10). Higher = the vectors span a larger volume. 0 for orthogonal vectors (ridge
 * aside), very negative when samples repeat each other.
 *
 * S has rank at most the space's dimension d, so with more than d samples the value is dominated by
 * (m - d) ln(ridge): it compares sets of equal size in one space, and is computed on a seeded
 * subset (bottom-k, as every pairwise metric here; EXACT when the version has at most `subsetSize`
 * samples). `details.rankDeficient` says when m > d. Vectors of norm 0 (a featureless text in the
 * lexical space) have no cosine; they are left out and counted (numpy would give NaN).
 *
 * The determinant comes from a Cholesky factorisation of S + ridge I (log det = 2 sum ln L_ii), in
 * double precision; when the matrix is not positive definite there (a negative ridge-less
 * eigenvalue below rounding), the value is null with the reason, as slogdet's sign <= 0 is.
 */
import { dimsOf, SPACE_PARAM, vectorsOf } from '../embedding/embeddingParams.js';
import {
  SUBSET_SEED_PARAM,
  createSubsetState,
  finalSubset,
  mergeSubsets,
  offerToSubset,
  type SubsetState,
} from '../seededSubset.js';
import type { MetricDefinition, MetricOutcome } from '../types.js';

export type LogDetParams = { space: string; ridge: number; seed: number; subsetSize: number };

/** The cosine-similarity matrix of the vectors (row-major m x m), in double precision. */
export function cosineSimilarityMatrix(vectors: readonly Float32Array[]): Float64Array {
  const m = vectors.length;
  const d = vectors[0]?.length ?? 0;
  const norms = vectors.map((v) => {
    let sum = 0;
    for (let t = 0; t < d; t++) sum += v[t]! * v[t]!;
    return Math.sqrt(sum);
  });
  const s = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    const a = vectors[i]!;
    for (let j = i; j < m; j++) {
      const b = vectors[j]!;
      let dot = 0;
      for (let t = 0; t < d; t++) dot += a[t]! * b[t]!;
      s[i * m + j] = s[j * m + i] = dot / (norms[i]! * norms[j]!);
    }
  }
  return s;
}

/** ln det of a symmetric positive-definite matrix (row-major n x n) by Cholesky; null when it is not. */
export function logDetPositiveDefinite(matrix: Float64Array, n: number): number | null {
  const l = new Float64Array(n * n);
  let logDet = 0;
  for (let j = 0; j < n; j++) {
    let diagonal = matrix[j * n + j]!;
    for (let k = 0; k < j; k++) diagonal -= l[j * n + k]! * l[j * n + k]!;
    if (!(diagonal > 0)) return null;
    const ljj = Math.sqrt(diagonal);
    l[j * n + j] = ljj;
    logDet += 2 * Math.log(ljj);
    for (let i = j + 1; i < n; i++) {
      let sum = matrix[i * n + j]!;
      for (let k = 0; k < j; k++) sum -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = sum / ljj;
    }
  }
  return logDet;
}

export const logDetMetric: MetricDefinition<LogDetParams, SubsetState<Float32Array>> = {
  key: 'diversity.logdet',
  axis: 'DIVERSITY',
  version: 1,
  direction: 'HIGHER_IS_BETTER',
  input: 'embedding',
  description:
    'Log-determinant diversity: ln det(S + ridge I) of the cosine-similarity matrix S of a seeded subset of the vectors ' +
    "(the DPP volume they span), as OpenDataArena's LogDetDistanceScorer computes it. Compare values of equal subset " +
    'size in one space: beyond the dimension the ridge term dominates.',
  citation:
    'Wang et al. 2024, "Diversity Measurement and Subset Selection for Instruction Tuning Datasets" (arXiv 2402.02318); ' +
    'definition as in OpenDataArena-Tool LogDetDistanceScorer (slogdet of S + ridge I).',
  params: {
    space: SPACE_PARAM,
    ridge: {
      type: 'number',
      default: 1e-10,
      min: 0,
      max: 1,
      description:
        "Added to S's diagonal for numerical stability (the reference's ridge_alpha, default 1e-10).",
    },
    seed: SUBSET_SEED_PARAM,
    subsetSize: {
      type: 'int',
      default: 1000,
      min: 2,
      max: 5000,
      description: 'Size of the seeded random subset the matrix is built from (all samples when fewer).',
    },
  },
  exactMerge: true,
  create(params) {
    const k = params.subsetSize;
    return {
      init: () => createSubsetState<Float32Array>(),
      update(state, batch) {
        if (batch.length === 0) return;
        const vectors = vectorsOf(batch);
        dimsOf(vectors, null);
        batch.forEach((sample, i) => offerToSubset(state, k, params.seed, sample, () => vectors[i]!));
      },
      merge: (left, right) => mergeSubsets(left, right, k),
      finalize(state): MetricOutcome {
        const subset = finalSubset(state, k);
        const sampled = state.seen > k;
        const all = subset.map((entry) => entry.item);
        const vectors = all.filter((v) => v.some((x) => x !== 0));
        const dims = all[0]?.length ?? 0;
        const details: Record<string, unknown> = {
          ridge: params.ridge,
          seed: params.seed,
          subsetSize: k,
          population: state.seen,
          dims,
          zeroVectors: all.length - vectors.length,
          rankDeficient: vectors.length > dims,
        };
        const base = {
          n: vectors.length,
          estimator: sampled ? ('SAMPLED' as const) : ('EXACT' as const),
          ...(sampled ? { sampleSize: subset.length } : {}),
          details,
        };
        if (vectors.length < 2) {
          return { ...base, value: null, reason: `needs at least 2 non-zero vectors, got ${vectors.length}` };
        }
        const m = vectors.length;
        const s = cosineSimilarityMatrix(vectors);
        for (let i = 0; i < m; i++) s[i * m + i] = s[i * m + i]! + params.ridge;
        const value = logDetPositiveDefinite(s, m);
        if (value === null) {
          return {
            ...base,
            value: null,
            reason: `S + ${params.ridge} I is not positive definite (the subset spans fewer than its ${m} vectors and the ridge is too small to lift it)`,
          };
        }
        return { ...base, value };
      },
    };
  },
};
