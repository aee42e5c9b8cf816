/**
 * diversity.cluster_entropy: the Shannon entropy (nats) of the sizes of k-means clusters of a
 * version's vectors. The centroids are fitted (seeded k-means++, then Lloyd) on a seeded subset
 * chosen by the prepass — the bottom-k rule of seededSubset.ts, so shards agree exactly — and
 * every sample is then assigned to its nearest centroid. Normalised entropy H / ln k is in the details.
 */
import { dimsOf, SPACE_PARAM, vectorsOf } from '../embedding/embeddingParams.js';
import { assignToCentroids, clusterEntropy, kmeans } from '../embedding/kmeans.js';
import {
  createSubsetState,
  finalSubset,
  mergeSubsets,
  offerToSubset,
  SUBSET_SEED_PARAM,
  type SubsetState,
} from '../seededSubset.js';
import type { MetricDefinition, Prepass } from '../types.js';

export type ClusterEntropyParams = {
  space: string;
  k: number;
  seed: number;
  fitSize: number;
  maxIterations: number;
};

interface Fitted {
  centroids: Float32Array[];
  dims: number;
  fitSize: number;
  population: number;
  iterations: number;
}

interface CountState {
  counts: number[];
  n: number;
}

function fitPrepass(params: ClusterEntropyParams): Prepass<SubsetState<Float32Array>, Fitted | null> {
  return {
    init: () => createSubsetState<Float32Array>(),
    update(state, batch) {
      const vectors = vectorsOf(batch);
      batch.forEach((sample, i) =>
        offerToSubset(state, params.fitSize, params.seed, sample, () => vectors[i]!),
      );
    },
    merge: (left, right) => mergeSubsets(left, right, params.fitSize),
    result(state) {
      const subset = finalSubset(state, params.fitSize).map((entry) => entry.item);
      if (subset.length === 0) return null;
      const dims = dimsOf(subset, null);
      const fit = kmeans(subset, dims, params.k, params.seed, params.maxIterations);
      return {
        centroids: fit.centroids,
        dims,
        fitSize: subset.length,
        population: state.seen,
        iterations: fit.iterations,
      };
    },
  };
}

export const clusterEntropyMetric: MetricDefinition<ClusterEntropyParams, CountState, Fitted | null> = {
  key: 'diversity.cluster_entropy',
  axis: 'DIVERSITY',
  version: 1,
  direction: 'HIGHER_IS_BETTER',
  input: 'embedding',
  description:
    'Shannon entropy (natural log) of k-means cluster sizes over one embedding space: centroids fitted by seeded k-means++ and Lloyd iterations ' +
    'on a seeded subset of fitSize samples (bottom-k by sha256(seed:contentHash)), then every sample assigned to its nearest centroid. ' +
    'Range [0, ln k]; higher = samples spread over more clusters. SAMPLED when the fit used a subset. ' +
    'Per sample: its cluster index. Details: k, clusters (k actually used), sizes, normalized (H / ln k), fitSize, iterations.',
  citation:
    'Cluster-based diversity as in Havrilla et al. 2024 (arXiv 2412.02980); k-means++ initialisation: Arthur & Vassilvitskii 2007.',
  params: {
    space: SPACE_PARAM,
    k: {
      type: 'int',
      default: 10,
      min: 2,
      max: 1000,
      description: 'Number of clusters (clamped to the number of distinct vectors).',
    },
    seed: SUBSET_SEED_PARAM,
    fitSize: {
      type: 'int',
      default: 10000,
      min: 10,
      max: 200000,
      description: 'Samples the centroids are fitted on (a seeded subset when the version is larger).',
    },
    maxIterations: {
      type: 'int',
      default: 100,
      min: 1,
      max: 1000,
      description: 'Most Lloyd iterations of the fit.',
    },
  },
  sampleValue: 'Index (0-based) of the k-means cluster the sample was assigned to.',
  exactMerge: true,
  prepass: fitPrepass,
  create(params, fitted) {
    return {
      init: () => ({ counts: new Array<number>(fitted?.centroids.length ?? 0).fill(0), n: 0 }),
      update(state, batch, emit) {
        if (batch.length === 0 || !fitted) return;
        const vectors = vectorsOf(batch);
        dimsOf(vectors, fitted.dims);
        const assigned = assignToCentroids(vectors, fitted.centroids, fitted.dims);
        batch.forEach((sample, i) => {
          state.counts[assigned[i]!]! += 1;
          emit({ ordinal: sample.ordinal, value: assigned[i]! });
        });
        state.n += batch.length;
      },
      merge(left, right) {
        right.counts.forEach((count, i) => (left.counts[i]! += count));
        left.n += right.n;
        return left;
      },
      finalize(state) {
        if (!fitted || state.n === 0)
          return { value: null, reason: 'no samples', n: 0, estimator: 'EXACT', details: {} };
        const { entropy, normalized } = clusterEntropy(state.counts);
        const sampled = fitted.population > fitted.fitSize;
        return {
          value: entropy,
          n: state.n,
          estimator: sampled ? 'SAMPLED' : 'EXACT',
          ...(sampled ? { sampleSize: fitted.fitSize } : {}),
          details: {
            k: params.k,
            clusters: fitted.centroids.length,
            sizes: state.counts,
            normalized,
            fitSize: fitted.fitSize,
            iterations: fitted.iterations,
            seed: params.seed,
          },
        };
      },
    };
  },
};
