/**
 * The accumulator chamfer and diversity_gain share: each sample's distance to its nearest
 * neighbour in an index (the version's own vectors, or a base version's), emitted per sample and
 * averaged with an exact sum so shards merge bit for bit. The index says whether it was an exact
 * scan or an HNSW search, and the result's estimator follows it.
 */
import { ExactSum } from '../exactSum.js';
import { vectorsOf } from '../embedding/embeddingParams.js';
import type { Accumulator, Estimator, MetricOutcome, NeighbourIndex } from '../types.js';

export interface NearestMeanState {
  sum: ExactSum;
  n: number;
  /** Samples with no neighbour at all (a one-sample version, an empty base). */
  unmatched: number;
  estimator: Estimator | null;
  searched: number;
}

export function nearestNeighbourMeanAccumulator(
  openIndex: () => Promise<NeighbourIndex>,
  /** Turns a cosine distance into the per-sample value. */
  valueOf: (cosineDistance: number) => number,
): Accumulator<NearestMeanState> {
  let index: Promise<NeighbourIndex> | null = null;
  return {
    init: () => ({ sum: new ExactSum(), n: 0, unmatched: 0, estimator: null, searched: 0 }),
    async update(state, batch, emit) {
      if (batch.length === 0) return;
      const vectors = vectorsOf(batch);
      const opened = await (index ??= openIndex());
      state.estimator = opened.estimator;
      state.searched = opened.size;
      const distances = await opened.nearest(
        batch.map((sample, i) => ({ ordinal: sample.ordinal, vector: vectors[i]! })),
      );
      batch.forEach((sample, i) => {
        const distance = distances[i]!;
        if (!Number.isFinite(distance)) {
          state.unmatched += 1;
          return;
        }
        const value = valueOf(Math.max(0, distance));
        state.sum.add(value);
        state.n += 1;
        emit({ ordinal: sample.ordinal, value });
      });
    },
    merge(left, right) {
      left.sum.addAll(right.sum);
      left.n += right.n;
      left.unmatched += right.unmatched;
      left.estimator ??= right.estimator;
      left.searched = Math.max(left.searched, right.searched);
      return left;
    },
    finalize(state): MetricOutcome {
      const details = { searchedVectors: state.searched, unmatched: state.unmatched };
      if (state.n === 0) {
        return {
          value: null,
          reason: 'no sample has a neighbour to measure against',
          n: 0,
          estimator: state.estimator ?? 'EXACT',
          details,
        };
      }
      return { value: state.sum.value / state.n, n: state.n, estimator: state.estimator ?? 'EXACT', details };
    },
  };
}
