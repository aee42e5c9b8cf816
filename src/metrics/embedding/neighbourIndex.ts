/** An exact nearest-neighbour index over vectors held in memory (the in-memory runner's, and the database runner's below its exact limit). */
import type { NeighbourIndex } from '../types.js';
import { nearestCosineDistances } from './nearest.js';

export interface IndexedVector {
  ordinal: number;
  vector: Float32Array;
}

/** `excludeSameOrdinal`: a query never finds the vector with its own ordinal (searching a version's own vectors). */
export function exactNeighbourIndex(
  entries: readonly IndexedVector[],
  excludeSameOrdinal: boolean,
): NeighbourIndex {
  const candidates = entries.map((e) => e.vector);
  const candidateIds = excludeSameOrdinal ? Float64Array.from(entries, (e) => e.ordinal) : null;
  const dims = entries[0]?.vector.length ?? 0;
  return {
    estimator: 'EXACT',
    size: entries.length,
    async nearest(queries) {
      if (entries.length === 0) return new Float64Array(queries.length).fill(Infinity);
      const queryIds = excludeSameOrdinal ? Float64Array.from(queries, (q) => q.ordinal) : null;
      return nearestCosineDistances(
        queries.map((q) => q.vector),
        queryIds,
        candidates,
        candidateIds,
        dims,
      );
    },
  };
}
