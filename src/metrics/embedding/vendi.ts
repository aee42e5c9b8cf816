/**
 * Vendi score (Friedman & Dieng 2023) of a set of unit vectors under the cosine kernel.
 *
 * The score is the exponential of the Renyi entropy of order q of the eigenvalues of K / n, with
 * K = X X^T the n x n kernel matrix. Its nonzero eigenvalues are those of the d x d matrix
 * S = X^T X / n (the dual form), so the score costs O(n d^2 + d^3) instead of O(n^3), and S is a
 * sum over samples that can be accumulated in batches.
 */
import { addOuterProducts, symmetrize } from './gram.js';
import { symmetricEigenvalues } from './symmetricEigen.js';

/** Eigenvalues at or below this are rounding noise of a rank-deficient S (including tiny negatives). */
const EIGENVALUE_FLOOR = 1e-12;

/** Vendi score of order q from the eigenvalues of S = X^T X / n (dual form). q = 1: exp(-sum l ln l); q = Infinity: 1 / max l; otherwise (sum l^q)^(1/(1-q)). Eigenvalues <= 1e-12 (numerical noise, possibly tiny negatives) are treated as 0. Throws RangeError for q < 0 or NaN. */
export function vendiFromEigenvalues(eigenvalues: Float64Array, q: number): number {
  if (Number.isNaN(q) || q < 0) throw new RangeError(`Vendi order q must be >= 0, got ${q}`);
  const positive = eigenvalues.filter((value) => value > EIGENVALUE_FLOOR);
  if (positive.length === 0) throw new RangeError('Vendi score needs at least one positive eigenvalue');
  if (q === 1) return Math.exp(shannonEntropy(positive));
  if (q === Infinity) return 1 / largest(positive);
  let powerSum = 0;
  for (const value of positive) powerSum += value ** q;
  return powerSum ** (1 / (1 - q));
}

/** Convenience: the whole computation from vectors (builds S, eigenvalues, score). */
export function vendiScore(vectors: readonly Float32Array[], d: number, q = 1): number {
  const n = vectors.length;
  if (n === 0) throw new RangeError('Vendi score needs at least one vector');
  const secondMoment = new Float64Array(d * d);
  addOuterProducts(secondMoment, vectors, d);
  symmetrize(secondMoment, d);
  for (let i = 0; i < secondMoment.length; i++) secondMoment[i] = secondMoment[i]! / n;
  return vendiFromEigenvalues(symmetricEigenvalues(secondMoment, d), q);
}

function largest(values: Float64Array): number {
  let max = -Infinity;
  for (const value of values) if (value > max) max = value;
  return max;
}

function shannonEntropy(probabilities: Float64Array): number {
  let entropy = 0;
  for (const p of probabilities) entropy -= p * Math.log(p);
  return entropy;
}
