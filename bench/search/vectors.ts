/**
 * Clustered unit vectors for bench/search: `clusters` random unit centres in `dims` dimensions
 * (fixed by `centreSeed`); each vector is a centre drawn uniformly plus gaussian noise of standard
 * deviation `sigma` per component, normalised. Two vectors of one cluster then have a cosine of
 * about 1 / (1 + dims * sigma^2) (0.62 at dims 384, sigma 0.04); vectors of different clusters
 * about 0. Every stream is seeded (mulberry32 from bench/datasets.ts), so runs are reproducible.
 */
import { rng } from '../datasets.js';

export interface ClusterModel {
  dims: number;
  sigma: number;
  centres: Float32Array[];
}

export function clusterModel(clusters: number, dims: number, sigma: number, centreSeed = 1): ClusterModel {
  const gauss = gaussian(rng(centreSeed));
  const centres = Array.from({ length: clusters }, () =>
    normalise(Float32Array.from({ length: dims }, gauss)),
  );
  return { dims, sigma, centres };
}

export interface ClusteredVector {
  cluster: number;
  vector: Float32Array;
}

/** An endless seeded stream of vectors of the model. */
export function vectorStream(model: ClusterModel, seed: number): () => ClusteredVector {
  const random = rng(seed);
  const gauss = gaussian(random);
  return () => {
    const cluster = Math.floor(random() * model.centres.length);
    const centre = model.centres[cluster]!;
    const vector = new Float32Array(model.dims);
    for (let i = 0; i < model.dims; i++) vector[i] = centre[i]! + model.sigma * gauss();
    return { cluster, vector: normalise(vector) };
  };
}

/** Mean cosine of `pairs` random pairs from one cluster and from two different clusters (a check of sigma). */
export function cosineCheck(
  model: ClusterModel,
  pairs: number,
  seed: number,
): { intra: number; inter: number } {
  const next = vectorStream(model, seed);
  const byCluster = new Map<number, Float32Array>();
  let intra = 0;
  let intraN = 0;
  let inter = 0;
  let interN = 0;
  let previous: ClusteredVector | null = null;
  while (intraN < pairs || interN < pairs) {
    const v = next();
    const same = byCluster.get(v.cluster);
    if (same && intraN < pairs) {
      intra += dot(same, v.vector);
      intraN += 1;
    }
    if (previous && previous.cluster !== v.cluster && interN < pairs) {
      inter += dot(previous.vector, v.vector);
      interN += 1;
    }
    byCluster.set(v.cluster, v.vector);
    previous = v;
  }
  return { intra: intra / intraN, inter: inter / interN };
}

function gaussian(random: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    // Box-Muller; 1 - u keeps the logarithm finite.
    const r = Math.sqrt(-2 * Math.log(1 - random()));
    const theta = 2 * Math.PI * random();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
}

function normalise(v: Float32Array): Float32Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! / norm;
  return v;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
