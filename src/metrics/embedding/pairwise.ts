/**
 * Mean pairwise cosine distance in O(n d), from the running sum of the vectors and of their
 * squared norms: sum over i != j of x_i . x_j = ||sum_i x_i||^2 - sum_i ||x_i||^2. For unit vectors
 * the second term is n; keeping the actual norms makes the identity exact for Float32 vectors
 * (whose norms are 1 only to about 1e-7) and for the zero vector of a featureless text.
 */

/** 1 - mean over i != j of x_i . x_j. `squaredNorms` defaults to n (exactly unit vectors). n < 2 -> null. */
export function meanPairwiseCosineDistance(
  sum: Float64Array,
  n: number,
  squaredNorms: number = n,
): number | null {
  if (n < 2) return null;
  let squaredNorm = 0;
  for (let k = 0; k < sum.length; k++) squaredNorm += sum[k]! * sum[k]!;
  return 1 - (squaredNorm - squaredNorms) / (n * (n - 1));
}

/** Adds every vector into the running sum (all of one dimension, sum.length); returns the sum of their squared norms. */
export function addToSum(sum: Float64Array, vectors: readonly Float32Array[]): number {
  const d = sum.length;
  let squaredNorms = 0;
  for (const vector of vectors) {
    if (vector.length !== d) throw new RangeError(`vector has length ${vector.length}, expected ${d}`);
    for (let k = 0; k < d; k++) {
      const x = vector[k]!;
      sum[k] = sum[k]! + x;
      squaredNorms += x * x;
    }
  }
  return squaredNorms;
}
