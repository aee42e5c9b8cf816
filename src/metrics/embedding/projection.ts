/**
 * 2-D projections of embedding vectors for the embedding map: exact PCA and seeded UMAP.
 *
 * PCA streams: the runner feeds vectors in batches (in ordinal order) to `PcaAccumulator`, which
 * keeps the sum and the uncentred second-moment matrix (d x d, double precision, the same blocked
 * loop as the Vendi score); `finish` centres it (C = S/n - mu mu^T), takes the two leading
 * eigenvectors with ml-matrix's symmetric eigendecomposition (Householder + QL) and fixes each
 * one's sign so that its entry of largest magnitude is positive (lowest index on ties). A point's
 * coordinates are then (x - mu) . v1 and (x - mu) . v2, so the projection is a pure function of
 * the vectors and their order.
 *
 * UMAP is umap-js, given a seeded mulberry32 generator in place of Math.random (it draws from it
 * for the random-projection forest, NN-descent, the initial layout and negative sampling), so the
 * same vectors in the same order with the same seed give the same coordinates bit for bit.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { UMAP } from 'umap-js';
import { mulberry32 } from '../../mulberry32.js';
import { addOuterProducts, symmetrize } from './gram.js';

export interface PcaModel {
  d: number;
  n: number;
  mean: Float64Array;
  /** The two leading principal axes (unit length, sign fixed). */
  axes: [Float64Array, Float64Array];
  /** Variance along each axis (the two largest eigenvalues of the covariance). */
  variances: [number, number];
  /** Their share of the total variance (trace of the covariance); 0 when the vectors are all equal. */
  explained: [number, number];
}

export class PcaAccumulator {
  readonly sum: Float64Array;
  readonly moment: Float64Array;
  n = 0;

  constructor(readonly d: number) {
    if (!Number.isInteger(d) || d < 1) throw new RangeError(`dimension must be a positive integer, got ${d}`);
    this.sum = new Float64Array(d);
    this.moment = new Float64Array(d * d);
  }

  add(vectors: readonly Float32Array[]): void {
    addOuterProducts(this.moment, vectors, this.d);
    for (const vector of vectors) {
      for (let k = 0; k < this.d; k++) this.sum[k] = this.sum[k]! + vector[k]!;
    }
    this.n += vectors.length;
  }

  finish(): PcaModel {
    const { d, n } = this;
    if (n === 0) throw new RangeError('PCA of no vectors');
    const mean = this.sum.map((s) => s / n);
    const covariance = Float64Array.from(this.moment);
    symmetrize(covariance, d);
    let trace = 0;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) covariance[i * d + j] = covariance[i * d + j]! / n - mean[i]! * mean[j]!;
      trace += covariance[i * d + i]!;
    }
    const rows: number[][] = [];
    for (let i = 0; i < d; i++) rows.push(Array.from(covariance.subarray(i * d, (i + 1) * d)));
    const decomposition = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
    const values = decomposition.realEigenvalues;
    const vectors = decomposition.eigenvectorMatrix;
    // Largest eigenvalue first; equal eigenvalues keep the decomposition's (deterministic) order.
    const order = values.map((_, i) => i).sort((a, b) => values[b]! - values[a]! || a - b);
    const axis = (rank: number): Float64Array => {
      const column = order[rank];
      const v = new Float64Array(d);
      if (column === undefined) return v; // d = 1: no second axis
      for (let i = 0; i < d; i++) v[i] = vectors.get(i, column);
      return fixSign(v);
    };
    const variance = (rank: number) => Math.max(0, order[rank] === undefined ? 0 : values[order[rank]!]!);
    const variances: [number, number] = [variance(0), variance(1)];
    return {
      d,
      n,
      mean,
      axes: [axis(0), axis(1)],
      variances,
      explained: trace > 0 ? [variances[0] / trace, variances[1] / trace] : [0, 0],
    };
  }
}

/** Flips v so that its entry of largest magnitude (the first such on ties) is positive. */
export function fixSign(v: Float64Array): Float64Array {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (Math.abs(v[i]!) > Math.abs(v[best]!)) best = i;
  if (v[best]! < 0) for (let i = 0; i < v.length; i++) v[i] = -v[i]!;
  return v;
}

/** Writes each vector's PCA coordinates into `into` as (x, y) pairs starting at pair `offset`. */
export function pcaProject(
  model: PcaModel,
  vectors: readonly Float32Array[],
  into: Float32Array,
  offset = 0,
) {
  const { d, mean, axes } = model;
  const [a, b] = axes;
  vectors.forEach((vector, i) => {
    let x = 0;
    let y = 0;
    for (let k = 0; k < d; k++) {
      const c = vector[k]! - mean[k]!;
      x += c * a[k]!;
      y += c * b[k]!;
    }
    into[2 * (offset + i)] = x;
    into[2 * (offset + i) + 1] = y;
  });
}

export interface UmapParams {
  /** Neighbours of each point in the k-NN graph (umap-js `nNeighbors`). */
  neighbors: number;
  /** Smallest distance between points in the layout (`minDist`). */
  minDist: number;
  /** Optimisation epochs of the fit (`nEpochs`). */
  epochs: number;
  seed: number;
}

/** A fitted UMAP layout; `transform` places further vectors into it. */
export interface UmapFit {
  /** The fitted vectors' coordinates, as (x, y) pairs in input order. */
  coordinates: Float32Array;
  transform(vectors: readonly Float32Array[]): Float32Array;
}

/**
 * Fits UMAP (euclidean distance; on L2-normalised vectors it orders neighbours as cosine does) to
 * the vectors with a mulberry32 generator seeded with `seed`. Fewer than 3 vectors cannot form a
 * neighbour graph: they are placed on a line (0, 0), (1, 0).
 */
export function fitUmap(vectors: readonly Float32Array[], params: UmapParams): UmapFit {
  const n = vectors.length;
  if (n < 3) {
    const coordinates = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) coordinates[2 * i] = i;
    return { coordinates, transform: (more) => new Float32Array(2 * more.length) };
  }
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: Math.min(params.neighbors, n - 1),
    minDist: params.minDist,
    nEpochs: params.epochs,
    random: mulberry32(params.seed),
  });
  const embedding = umap.fit(vectors.map((v) => Array.from(v)));
  return {
    coordinates: pairs(embedding),
    transform: (more) =>
      more.length === 0 ? new Float32Array(0) : pairs(umap.transform(more.map((v) => Array.from(v)))),
  };
}

function pairs(points: number[][]): Float32Array {
  const out = new Float32Array(2 * points.length);
  points.forEach((p, i) => {
    out[2 * i] = p[0]!;
    out[2 * i + 1] = p[1]!;
  });
  return out;
}

/**
 * `k` distinct indices of 0..n-1 drawn with a seeded partial Fisher-Yates shuffle, ascending: the
 * UMAP fit subsample of a large version.
 */
export function seededSubsample(n: number, k: number, seed: number): Uint32Array {
  if (k >= n) return Uint32Array.from({ length: n }, (_, i) => i);
  const random = mulberry32(seed ^ 0x5bd1e995);
  const picked = new Map<number, number>();
  const out = new Uint32Array(k);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (n - i));
    const atJ = picked.get(j) ?? j;
    out[i] = atJ;
    picked.set(j, picked.get(i) ?? i);
  }
  return out.sort();
}
