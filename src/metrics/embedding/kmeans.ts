/**
 * Seeded k-means for the cluster-entropy metric: k-means++ seeding (Arthur & Vassilvitskii 2007)
 * then Lloyd iterations, with squared Euclidean distance on unit vectors.
 *
 * Deterministic: the only randomness is a PRNG seeded with `seed`, ties go to the lowest index,
 * and centroids are means rounded to Float32 and used as rounded, so assignToCentroids on the
 * returned centroids reproduces the returned assignments. Distances are computed as sums of
 * squared differences (not ||x||^2 + ||c||^2 - 2 x.c), so identical vectors are exactly 0 apart;
 * k-means++ therefore never picks a point equal to an existing centroid, and stops when every
 * point coincides with a centroid: that is how k is clamped to the number of distinct points.
 *
 * `iterations` counts Lloyd update steps; the last one changed no assignment unless maxIterations
 * was reached.
 */
import { mulberry32 } from '../../mulberry32.js';
import { fmix32 } from '../../fmix32.js';

const DEFAULT_MAX_ITERATIONS = 100;

/** Seeded k-means (k-means++ initialisation with a seeded PRNG, then Lloyd iterations until assignments stop changing or maxIterations) on unit vectors with squared Euclidean distance. Deterministic for a given seed and input order. Empty clusters are re-seeded with the point farthest from its centroid. k is clamped to the number of distinct points. */
export function kmeans(
  vectors: readonly Float32Array[],
  d: number,
  k: number,
  seed: number,
  maxIterations = DEFAULT_MAX_ITERATIONS,
): { centroids: Float32Array[]; assignments: Int32Array; iterations: number } {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  if (!Number.isInteger(maxIterations) || maxIterations < 0) {
    throw new RangeError(`maxIterations must be a non-negative integer, got ${maxIterations}`);
  }
  for (let i = 0; i < vectors.length; i++) {
    if (vectors[i]!.length !== d)
      throw new RangeError(`vector ${i} has length ${vectors[i]!.length}, expected ${d}`);
  }
  let centroids = kmeansPlusPlus(vectors, d, k, seededRandom(seed));
  let assignments = assignToCentroids(vectors, centroids, d);
  let iterations = 0;
  while (iterations < maxIterations) {
    iterations++;
    const updated = updateCentroids(vectors, assignments, centroids.length, d);
    const reassigned = assignToCentroids(vectors, updated, d);
    const changed = !sameAssignments(assignments, reassigned);
    centroids = updated;
    assignments = reassigned;
    if (!changed) break;
  }
  return { centroids, assignments, iterations };
}

/** Index of the nearest centroid (squared Euclidean) for each vector. */
export function assignToCentroids(
  vectors: readonly Float32Array[],
  centroids: readonly Float32Array[],
  d: number,
): Int32Array {
  const assignments = new Int32Array(vectors.length);
  if (centroids.length === 0 && vectors.length > 0) throw new RangeError('no centroids to assign to');
  for (let i = 0; i < vectors.length; i++) {
    const vector = vectors[i]!;
    let best = 0;
    let bestDistance = Infinity;
    for (let c = 0; c < centroids.length; c++) {
      const distance = squaredDistance(vector, centroids[c]!, d);
      if (distance < bestDistance) {
        bestDistance = distance;
        best = c;
      }
    }
    assignments[i] = best;
  }
  return assignments;
}

/** Shannon entropy (natural log) of cluster sizes; also returns the normalised entropy H / ln(k) (null when k < 2). */
export function clusterEntropy(sizes: ArrayLike<number>): { entropy: number; normalized: number | null } {
  let total = 0;
  for (let c = 0; c < sizes.length; c++) {
    const size = sizes[c]!;
    if (!(size >= 0) || !Number.isFinite(size))
      throw new RangeError(`cluster sizes must be finite and >= 0, got ${size}`);
    total += size;
  }
  let entropy = 0;
  for (let c = 0; c < sizes.length; c++) {
    const size = sizes[c]!;
    if (size > 0) entropy -= (size / total) * Math.log(size / total);
  }
  const k = sizes.length;
  return { entropy, normalized: k < 2 ? null : entropy / Math.log(k) };
}

/**
 * k-means++ seeding: the first centroid uniformly, each next one with probability proportional to
 * its squared distance to the nearest centroid so far. Returns fewer than k centroids when every
 * point already coincides with one (fewer than k distinct points).
 */
function kmeansPlusPlus(
  vectors: readonly Float32Array[],
  d: number,
  k: number,
  random: () => number,
): Float32Array[] {
  const n = vectors.length;
  if (n === 0) return [];
  const first = Math.floor(random() * n);
  const centroids = [Float32Array.from(vectors[first]!)];
  const nearest = new Float64Array(n);
  for (let i = 0; i < n; i++) nearest[i] = squaredDistance(vectors[i]!, centroids[0]!, d);
  while (centroids.length < k) {
    const next = sampleProportionally(nearest, random);
    if (next < 0) break;
    const centroid = Float32Array.from(vectors[next]!);
    centroids.push(centroid);
    for (let i = 0; i < n; i++) {
      const distance = squaredDistance(vectors[i]!, centroid, d);
      if (distance < nearest[i]!) nearest[i] = distance;
    }
  }
  return centroids;
}

/** An index drawn with probability weights[i] / sum(weights); -1 when every weight is 0. */
function sampleProportionally(weights: Float64Array, random: () => number): number {
  let total = 0;
  for (const weight of weights) total += weight;
  if (total === 0) return -1;
  const target = random() * total;
  let cumulative = 0;
  let lastPositive = -1;
  for (let i = 0; i < weights.length; i++) {
    if (weights[i]! === 0) continue;
    cumulative += weights[i]!;
    lastPositive = i;
    if (cumulative > target) return i;
  }
  return lastPositive; // rounding left `target` just past the running total
}

/**
 * Means of the clusters (rounded to Float32). An empty cluster takes the point farthest from its
 * own cluster's new mean (ties to the lower index), which then leaves the pool for later empty
 * clusters.
 */
function updateCentroids(
  vectors: readonly Float32Array[],
  assignments: Int32Array,
  k: number,
  d: number,
): Float32Array[] {
  const sums = Array.from({ length: k }, () => new Float64Array(d));
  const counts = new Int32Array(k);
  for (let i = 0; i < vectors.length; i++) {
    const cluster = assignments[i]!;
    const vector = vectors[i]!;
    const sum = sums[cluster]!;
    for (let t = 0; t < d; t++) sum[t] = sum[t]! + vector[t]!;
    counts[cluster] = counts[cluster]! + 1;
  }
  const centroids = sums.map((sum, c) => Float32Array.from(sum, (value) => value / Math.max(counts[c]!, 1)));
  if (counts.every((count) => count > 0)) return centroids;
  const distances = vectors.map((vector, i) => squaredDistance(vector, centroids[assignments[i]!]!, d));
  for (let c = 0; c < k; c++) {
    if (counts[c]! > 0) continue;
    const farthest = indexOfMax(distances);
    centroids[c] = Float32Array.from(vectors[farthest]!);
    distances[farthest] = -1;
  }
  return centroids;
}

function indexOfMax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

function sameAssignments(a: Int32Array, b: Int32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function squaredDistance(a: Float32Array, b: Float32Array, d: number): number {
  let sum = 0;
  for (let t = 0; t < d; t++) {
    const diff = a[t]! - b[t]!;
    sum += diff * diff;
  }
  return sum;
}

/** mulberry32 seeded through fmix32 (so nearby seeds start far apart); floats in [0, 1). */
function seededRandom(seed: number): () => number {
  return mulberry32(fmix32(seed >>> 0));
}
