/** An exact nearest-neighbour index over vectors held in memory (the in-memory runner's, and the database runner's below its exact limit). */
import type { NeighbourIndex } from '../types.js';
import { kNearestCosineDistances, nearestCosineDistances } from './nearest.js';

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
    async kNearest(queries, k) {
      if (entries.length === 0) return queries.map(() => new Float64Array(0));
      const distinct = distinctEntries(entries);
      return kNearestCosineDistances(
        queries.map((q) => q.vector),
        excludeSameOrdinal ? Float64Array.from(queries, (q) => q.ordinal) : null,
        distinct.map((e) => e.vector),
        excludeSameOrdinal ? Float64Array.from(distinct, (e) => e.ordinal) : null,
        dims,
        k,
      );
    },
  };
}

/** The entries with identical vectors (bit for bit) kept once, the first of each. */
function distinctEntries(entries: readonly IndexedVector[]): IndexedVector[] {
  const seen = new Set<string>();
  return entries.filter((entry) => {
    const key = Buffer.from(entry.vector.buffer, entry.vector.byteOffset, entry.vector.byteLength).toString(
      'base64',
    );
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
