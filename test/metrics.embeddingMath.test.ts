import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addOuterProducts, symmetrize } from '../src/metrics/embedding/gram.js';
import { assignToCentroids, clusterEntropy, kmeans } from '../src/metrics/embedding/kmeans.js';
import { nearestCosineDistances } from '../src/metrics/embedding/nearest.js';
import { addToSum, meanPairwiseCosineDistance } from '../src/metrics/embedding/pairwise.js';
import { symmetricEigenvalues } from '../src/metrics/embedding/symmetricEigen.js';
import { vendiFromEigenvalues, vendiScore } from '../src/metrics/embedding/vendi.js';
import { prng } from './helpers/prng.js';

type Random = () => number;

function close(actual: number, expected: number, tolerance: number, message?: string) {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${message ? message + ': ' : ''}${actual} != ${expected} (tolerance ${tolerance})`,
  );
}

function closeArrays(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
  message = '',
) {
  assert.equal(actual.length, expected.length, `${message} length`);
  for (let i = 0; i < actual.length; i++) close(actual[i]!, expected[i]!, tolerance, `${message} [${i}]`);
}

function gaussian(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Random directions, normalised in double and stored as Float32 (squared norms within ~1e-7 of 1). */
function randomUnitVectors(random: Random, n: number, d: number): Float32Array[] {
  return Array.from({ length: n }, () => normalized(Array.from({ length: d }, () => gaussian(random))));
}

function normalized(values: number[]): Float32Array {
  const norm = Math.sqrt(values.reduce((sum, value) => sum + value * value, 0));
  return Float32Array.from(values, (value) => value / norm);
}

/**
 * Unit vectors whose Float32 entries are dyadic (±1, ±1/2, ±1/4) with squares summing to exactly 1,
 * so every norm and dot product is exact in double arithmetic. Needs d >= 16.
 */
function exactUnitVectors(random: Random, n: number, d: number): Float32Array[] {
  const patterns = [
    [1],
    [0.5, 0.5, 0.5, 0.5],
    new Array<number>(16).fill(0.25),
    [0.5, 0.5, ...new Array<number>(8).fill(0.25)],
  ];
  return Array.from({ length: n }, () => {
    const pattern = patterns[Math.floor(random() * patterns.length)]!;
    const positions = shuffled(
      random,
      Array.from({ length: d }, (_, k) => k),
    );
    const vector = new Float32Array(d);
    pattern.forEach((value, t) => (vector[positions[t]!] = random() < 0.5 ? -value : value));
    return vector;
  });
}

function shuffled<T>(random: Random, items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += a[k]! * b[k]!;
  return sum;
}

/** Eigenvalues (ascending) by the cyclic Jacobi method: rotate away each off-diagonal entry in turn. */
function jacobiEigenvalues(matrix: Float64Array, d: number): Float64Array {
  const a = Float64Array.from(matrix);
  const at = (i: number, j: number) => a[i * d + j]!;
  let total = 0;
  for (const value of a) total += value * value;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += at(p, q) ** 2;
    if (off <= 1e-32 * total) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        if (at(p, q) === 0) continue;
        const theta = (at(q, q) - at(p, p)) / (2 * at(p, q));
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const [kp, kq] = [at(k, p), at(k, q)];
          a[k * d + p] = c * kp - s * kq;
          a[k * d + q] = s * kp + c * kq;
        }
        for (let k = 0; k < d; k++) {
          const [pk, qk] = [at(p, k), at(q, k)];
          a[p * d + k] = c * pk - s * qk;
          a[q * d + k] = s * pk + c * qk;
        }
      }
    }
  }
  return Float64Array.from({ length: d }, (_, i) => at(i, i)).sort();
}

function randomSymmetric(random: Random, d: number): Float64Array {
  const matrix = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) matrix[i * d + j] = matrix[j * d + i] = 2 * random() - 1;
  }
  return matrix;
}

/** The Vendi score written straight from its definition over (already computed) eigenvalues. */
function naiveVendi(eigenvalues: ArrayLike<number>, q: number): number {
  const lambdas = Array.from(eigenvalues).filter((value) => value > 1e-12);
  if (q === 1) return Math.exp(-lambdas.reduce((sum, l) => sum + l * Math.log(l), 0));
  if (q === Infinity) return 1 / Math.max(...lambdas);
  return lambdas.reduce((sum, l) => sum + l ** q, 0) ** (1 / (1 - q));
}

/** K = X X^T / n, one dot product per entry. */
function naiveKernel(vectors: Float32Array[]): Float64Array {
  const n = vectors.length;
  const kernel = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) kernel[i * n + j] = dot(vectors[i]!, vectors[j]!) / n;
  return kernel;
}

/** S = X^T X / n entry by entry: S[a][b] = sum_i x_i[a] x_i[b] / n. */
function naiveSecondMoment(vectors: Float32Array[], d: number): Float64Array {
  const n = vectors.length;
  const moment = new Float64Array(d * d);
  for (let a = 0; a < d; a++) {
    for (let b = 0; b < d; b++) {
      let sum = 0;
      for (const x of vectors) sum += x[a]! * x[b]!;
      moment[a * d + b] = sum / n;
    }
  }
  return moment;
}

const ORDERS = [0.5, 1, 2, Infinity];

describe('symmetricEigenvalues', () => {
  it('matches hand-worked eigenvalues', () => {
    closeArrays(
      symmetricEigenvalues(Float64Array.of(3, 0, 0, 0, -1, 0, 0, 0, 2), 3),
      [-1, 2, 3],
      1e-14,
      'diagonal',
    );
    closeArrays(symmetricEigenvalues(Float64Array.of(2, 1, 1, 2), 2), [1, 3], 1e-14, '[[2,1],[1,2]]');
    const laplacian = Float64Array.of(2, -1, 0, -1, 2, -1, 0, -1, 2);
    closeArrays(
      symmetricEigenvalues(laplacian, 3),
      [2 - Math.SQRT2, 2, 2 + Math.SQRT2],
      1e-14,
      'path Laplacian',
    );
    const allOnes = new Float64Array(25).fill(1);
    closeArrays(symmetricEigenvalues(allOnes, 5), [0, 0, 0, 0, 5], 1e-13, 'all-ones 5 x 5');
    closeArrays(symmetricEigenvalues(Float64Array.of(7), 1), [7], 0, '1 x 1');
    assert.equal(symmetricEigenvalues(new Float64Array(0), 0).length, 0);
  });

  it('matches a naive cyclic Jacobi on random symmetric matrices (d up to 40) and leaves its input alone', () => {
    const random = prng(11);
    for (const d of [2, 3, 4, 7, 10, 17, 25, 40]) {
      const matrix = randomSymmetric(random, d);
      const copy = Float64Array.from(matrix);
      closeArrays(symmetricEigenvalues(matrix, d), jacobiEigenvalues(matrix, d), 1e-9, `d = ${d}`);
      assert.deepEqual(matrix, copy);
    }
  });

  it('rejects a matrix of the wrong size', () => {
    assert.throws(() => symmetricEigenvalues(new Float64Array(5), 2), RangeError);
  });
});

describe('addOuterProducts', () => {
  it('equals the naive triple loop (partial blocks, odd d, accumulating over calls)', () => {
    const random = prng(5);
    for (const [n, d] of [
      [0, 4],
      [1, 1],
      [3, 2],
      [37, 13],
      [64, 16],
      [21, 384],
    ] as const) {
      const vectors = randomUnitVectors(random, n, d);
      const fast = new Float64Array(d * d);
      addOuterProducts(fast, vectors.slice(0, Math.floor(n / 3)), d);
      addOuterProducts(fast, vectors.slice(Math.floor(n / 3)), d);
      symmetrize(fast, d);
      const naive = new Float64Array(d * d);
      for (const x of vectors)
        for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) naive[a * d + b]! += x[a]! * x[b]!;
      closeArrays(fast, naive, 1e-12, `n = ${n}, d = ${d}`);
    }
  });

  it('rejects a vector of the wrong dimension', () => {
    assert.throws(() => addOuterProducts(new Float64Array(9), [new Float32Array(2)], 3), RangeError);
  });
});

describe('vendi', () => {
  it('dual form (d x d) equals the n x n kernel form, eigenvalues of K = X X^T / n by Jacobi', () => {
    const random = prng(21);
    for (const n of [2, 5, 50, 200]) {
      for (const d of [3, 8, 16]) {
        const vectors = randomUnitVectors(random, n, d);
        const kernelEigenvalues = jacobiEigenvalues(naiveKernel(vectors), n);
        for (const q of ORDERS) {
          close(
            vendiScore(vectors, d, q),
            naiveVendi(kernelEigenvalues, q),
            1e-6,
            `n = ${n}, d = ${d}, q = ${q}`,
          );
        }
      }
    }
  });

  it(
    'n = 2000, d = 8 (kernel too big for Jacobi): equals the dual form built naively (S by explicit loops, ' +
      'eigenvalues by Jacobi), and order 2 equals n^2 / ||X X^T||_F^2 from all n^2 dot products',
    () => {
      const n = 2000;
      const d = 8;
      const vectors = randomUnitVectors(prng(22), n, d);
      const naiveEigenvalues = jacobiEigenvalues(naiveSecondMoment(vectors, d), d);
      for (const q of ORDERS)
        close(vendiScore(vectors, d, q), naiveVendi(naiveEigenvalues, q), 1e-6, `q = ${q}`);
      // sum of squared eigenvalues of K / n = ||K||_F^2 / n^2: the kernel side, without its eigenvalues.
      let kernelFrobenius = 0;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) kernelFrobenius += dot(vectors[i]!, vectors[j]!) ** 2;
      close(vendiScore(vectors, d, 2), (n * n) / kernelFrobenius, 1e-6, 'q = 2 from the kernel');
    },
  );

  it('n identical vectors score 1 and n orthonormal vectors score n, for every order', () => {
    const same = new Float32Array([0.5, -0.5, 0.5, 0.5, 0, 0]);
    const random = prng(23);
    const rotated = gramSchmidt(randomUnitVectors(random, 5, 12));
    for (const q of [0, ...ORDERS]) {
      close(vendiScore([same, same, same, same], 6, q), 1, 1e-12, `identical, q = ${q}`);
      const basis = Array.from({ length: 5 }, (_, i) =>
        Float32Array.from({ length: 8 }, (_, k) => (k === i ? 1 : 0)),
      );
      close(vendiScore(basis, 8, q), 5, 1e-12, `standard basis, q = ${q}`);
      close(vendiScore(rotated, 12, q), 5, 1e-5, `rotated orthonormal set (Float32), q = ${q}`);
    }
  });

  it('vendiFromEigenvalues: hand values; rejects q < 0 and NaN', () => {
    const uneven = Float64Array.of(0.75, 0.25);
    close(vendiFromEigenvalues(uneven, 2), 1 / (0.5625 + 0.0625), 1e-15);
    close(vendiFromEigenvalues(uneven, Infinity), 4 / 3, 1e-15);
    close(vendiFromEigenvalues(uneven, 1), Math.exp(-(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25))), 1e-15);
    close(
      vendiFromEigenvalues(Float64Array.of(0.5, -1e-15, 0.5, 1e-13), 0),
      2,
      0,
      'noise eigenvalues count as 0',
    );
    assert.throws(() => vendiFromEigenvalues(uneven, -0.5), RangeError);
    assert.throws(() => vendiFromEigenvalues(uneven, NaN), RangeError);
  });
});

function gramSchmidt(vectors: Float32Array[]): Float32Array[] {
  const basis: number[][] = [];
  for (const vector of vectors) {
    const v = Array.from(vector);
    for (const b of basis) {
      const projection = dot(v, b);
      for (let k = 0; k < v.length; k++) v[k]! -= projection * b[k]!;
    }
    const norm = Math.sqrt(dot(v, v));
    basis.push(v.map((value) => value / norm));
  }
  return basis.map((b) => Float32Array.from(b));
}

describe('meanPairwiseCosineDistance', () => {
  function naiveMeanPairwiseDistance(vectors: Float32Array[]): number {
    let sum = 0;
    for (let i = 0; i < vectors.length; i++) {
      for (let j = 0; j < vectors.length; j++) if (i !== j) sum += dot(vectors[i]!, vectors[j]!);
    }
    return 1 - sum / (vectors.length * (vectors.length - 1));
  }

  function fromSum(vectors: Float32Array[], d: number, batch: number): number | null {
    const sum = new Float64Array(d);
    let squaredNorms = 0;
    for (let start = 0; start < vectors.length; start += batch)
      squaredNorms += addToSum(sum, vectors.slice(start, start + batch));
    return meanPairwiseCosineDistance(sum, vectors.length, squaredNorms);
  }

  it('equals the naive double loop over i != j (vectors of exactly unit norm)', () => {
    const random = prng(31);
    for (const n of [2, 3, 10, 257]) {
      const vectors = exactUnitVectors(random, n, 24);
      close(fromSum(vectors, 24, 7)!, naiveMeanPairwiseDistance(vectors), 1e-9, `n = ${n}`);
    }
  });

  it('equals the naive loop to 1e-9 on Float32-rounded unit vectors and on zero vectors (actual squared norms, not n)', () => {
    const random = prng(32);
    for (const n of [2, 5, 100]) {
      const vectors = randomUnitVectors(random, n, 16);
      vectors[1] = new Float32Array(16);
      close(fromSum(vectors, 16, 3)!, naiveMeanPairwiseDistance(vectors), 1e-9, `n = ${n}`);
    }
  });

  it('assumes unit norms when no squared norms are given', () => {
    const sum = Float64Array.from([1, 1]);
    // Two orthogonal unit vectors: ||sum||^2 - 2 = 0, so the distance is exactly 1.
    assert.equal(meanPairwiseCosineDistance(sum, 2), 1);
  });

  it('is null below two vectors', () => {
    assert.equal(meanPairwiseCosineDistance(new Float64Array(4), 0), null);
    assert.equal(fromSum([new Float32Array([1, 0])], 2, 1), null);
  });
});

describe('nearestCosineDistances', () => {
  function naiveNearest(
    queries: Float32Array[],
    queryIds: number[] | null,
    candidates: Float32Array[],
    candidateIds: number[] | null,
  ): number[] {
    return queries.map((query, i) => {
      let best = Infinity;
      candidates.forEach((candidate, j) => {
        if (queryIds && candidateIds && queryIds[i] === candidateIds[j]) return;
        best = Math.min(best, 1 - dot(query, candidate));
      });
      return best;
    });
  }

  it('equals a naive scan across tile boundaries, with and without self-exclusion, duplicates at distance 0', () => {
    const random = prng(41);
    const d = 10;
    const points = randomUnitVectors(random, 300, d);
    points[17] = points[250]!; // duplicates (different ids) in the same set
    const ids = points.map((_, i) => i);
    const queries = points.slice(0, 70);
    const queryIds = ids.slice(0, 70);
    closeArrays(
      nearestCosineDistances(queries, null, points, null, d),
      naiveNearest(queries, null, points, null),
      1e-12,
      'no ids',
    );
    const excluding = nearestCosineDistances(queries, queryIds, points, ids, d);
    closeArrays(excluding, naiveNearest(queries, queryIds, points, ids), 1e-12, 'self excluded');
    close(excluding[17]!, 0, 1e-6, 'the duplicate is 0 away');
    assert.ok(excluding[3]! > 1e-3, 'a point is not its own neighbour');
    const others = randomUnitVectors(random, 131, d);
    closeArrays(
      nearestCosineDistances(others, null, points, null, d),
      naiveNearest(others, null, points, null),
      1e-12,
      'separate sets',
    );
  });

  it('gives Infinity when the only candidate is the query itself, or there are no candidates', () => {
    const x = new Float32Array([0.6, 0.8]);
    assert.deepEqual(Array.from(nearestCosineDistances([x], [5], [x], [5], 2)), [Infinity]);
    assert.deepEqual(Array.from(nearestCosineDistances([x], null, [], null, 2)), [Infinity]);
    close(nearestCosineDistances([x], [5], [x], [6], 2)[0]!, 0, 1e-6, 'same vector, other id');
    assert.throws(() => nearestCosineDistances([x], null, [new Float32Array(3)], null, 2), RangeError);
    assert.throws(() => nearestCosineDistances([x], [1, 2], [x], [1], 2), RangeError);
  });
});

describe('kmeans', () => {
  /** 25 points around each of 4 orthogonal axes of R^8, shuffled; returns the points and their true axis. */
  function separatedClusters(seed: number) {
    const random = prng(seed);
    const labelled = Array.from({ length: 100 }, (_, i) => {
      const axis = i % 4;
      const values = Array.from({ length: 8 }, (_, k) => (k === axis ? 1 : 0) + 0.1 * gaussian(random));
      return { vector: normalized(values), axis };
    });
    const order = shuffled(random, labelled);
    return { vectors: order.map((p) => p.vector), axes: order.map((p) => p.axis) };
  }

  it('recovers well-separated clusters exactly', () => {
    const { vectors, axes } = separatedClusters(51);
    for (const seed of [1, 2, 3, 4, 5]) {
      const { assignments, centroids, iterations } = kmeans(vectors, 8, 4, seed);
      assert.equal(centroids.length, 4);
      assert.ok(iterations >= 1);
      const clusterOfAxis = new Map<number, number>();
      axes.forEach((axis, i) => {
        if (!clusterOfAxis.has(axis)) clusterOfAxis.set(axis, assignments[i]!);
        assert.equal(assignments[i], clusterOfAxis.get(axis), `seed ${seed}, point ${i}`);
      });
      assert.equal(new Set(clusterOfAxis.values()).size, 4, `seed ${seed}: four distinct clusters`);
      assert.deepEqual(
        assignToCentroids(vectors, centroids, 8),
        assignments,
        'returned centroids reproduce the assignments',
      );
    }
  });

  it('is deterministic for a seed, whatever batches the input array was assembled from', () => {
    const { vectors } = separatedClusters(52);
    const noisy = [...vectors, ...randomUnitVectors(prng(53), 60, 8)];
    const first = kmeans(noisy, 8, 6, 99);
    assert.deepEqual(kmeans(noisy, 8, 6, 99), first);
    const rebatched = [
      ...noisy.slice(0, 33).map((v) => Float32Array.from(v)),
      ...noisy.slice(33).map((v) => Float32Array.from(v)),
    ];
    assert.deepEqual(kmeans(rebatched, 8, 6, 99), first);
  });

  it('clamps k to the number of distinct points', () => {
    const a = new Float32Array([1, 0, 0]);
    const b = new Float32Array([0, 1, 0]);
    const c = new Float32Array([0, 0, 1]);
    const result = kmeans([a, b, a, c, b, a], 3, 5, 7);
    assert.equal(result.centroids.length, 3);
    const sizes = [0, 0, 0];
    for (const cluster of result.assignments) sizes[cluster]!++;
    assert.deepEqual([...sizes].sort(), [1, 2, 3]);
    assert.equal(kmeans([], 3, 4, 7).centroids.length, 0);
    assert.throws(() => kmeans([a], 3, 0, 7), RangeError);
  });

  it('re-seeds an empty cluster with the point farthest from its centroid', () => {
    // Points on the unit circle; with seed 0, k-means++ starts at angles 2.0, 1.8 and 0.2, and the
    // first update leaves the cluster seeded at 1.8 empty (its points go to the other two means).
    const vectors = [1.8, 0.9, 2, 0.2, 1, 1.9, 2.1, 0.9].map(
      (angle) => new Float32Array([Math.cos(angle), Math.sin(angle)]),
    );
    const afterOne = kmeans(vectors, 2, 3, 0, 1);
    const sizes = [0, 1, 2].map((c) => afterOne.assignments.filter((a) => a === c).length);
    const empty = sizes.indexOf(0);
    assert.notEqual(empty, -1, 'seed 0 should produce an empty cluster after one iteration');
    const means = [0, 1, 2].map((c) => {
      const members = vectors.filter((_, i) => afterOne.assignments[i] === c);
      return Float32Array.from(
        [0, 1],
        (k) => members.reduce((sum, v) => sum + v[k]!, 0) / Math.max(members.length, 1),
      );
    });
    const distances = vectors.map((v, i) =>
      v.reduce((sum, value, k) => sum + (value - means[afterOne.assignments[i]!]![k]!) ** 2, 0),
    );
    const farthest = distances.indexOf(Math.max(...distances));
    const afterTwo = kmeans(vectors, 2, 3, 0, 2);
    assert.deepEqual(afterTwo.centroids[empty], vectors[farthest]);
    const final = kmeans(vectors, 2, 3, 0);
    for (let c = 0; c < 3; c++)
      assert.ok(final.assignments.includes(c), `cluster ${c} is not empty at the end`);
  });

  it('assignToCentroids equals a naive argmin of squared distances', () => {
    const random = prng(54);
    const vectors = randomUnitVectors(random, 50, 5);
    const centroids = randomUnitVectors(random, 7, 5);
    const naive = vectors.map((x) => {
      const distances = centroids.map((c) => x.reduce((sum, value, k) => sum + (value - c[k]!) ** 2, 0));
      return distances.indexOf(Math.min(...distances));
    });
    assert.deepEqual(Array.from(assignToCentroids(vectors, centroids, 5)), naive);
  });

  it('clusterEntropy: hand values', () => {
    const halves = clusterEntropy([5, 5]);
    close(halves.entropy, Math.LN2, 1e-15);
    close(halves.normalized!, 1, 1e-15);
    assert.deepEqual(clusterEntropy([10]), { entropy: 0, normalized: null });
    const uneven = clusterEntropy(Int32Array.of(1, 1, 2));
    close(uneven.entropy, 1.5 * Math.LN2, 1e-15); // 2 * (1/4) ln 4 + (1/2) ln 2
    close(uneven.normalized!, (1.5 * Math.LN2) / Math.log(3), 1e-15);
    assert.deepEqual(clusterEntropy([3, 0]), { entropy: 0, normalized: 0 });
  });
});
