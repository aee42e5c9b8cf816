/**
 * diversity.vendi and diversity.vendi_q (Friedman & Dieng 2023): the exponential of the entropy
 * of the eigenvalues of the similarity matrix K / n, K_ij = x_i . x_j (cosine kernel). Computed in
 * the dual form: the non-zero eigenvalues of X X^T / n (n x n) are those of S = X^T X / n (d x d),
 * so the accumulator only keeps the d x d sum of outer products: O(n d^2) to stream, O(d^3) to
 * finish, memory O(d^2) whatever n is.
 *
 * Order q: exp(-sum l ln l) at q = 1, (sum l^q)^(1/(1-q)) otherwise (q = 0 counts the non-zero
 * eigenvalues). Eigenvalues are divided by their sum (the trace, 1 for unit vectors), so a zero
 * vector (a featureless text in the lexical space) adds nothing instead of skewing the entropy.
 */
import { dimsOf, SPACE_PARAM, vectorsOf } from '../embedding/embeddingParams.js';
import { addOuterProducts, symmetrize } from '../embedding/gram.js';
import { symmetricEigenvalues } from '../embedding/symmetricEigen.js';
import { vendiFromEigenvalues } from '../embedding/vendi.js';
import type { Accumulator, MetricDefinition, MetricOutcome } from '../types.js';

interface GramState {
  /** Upper triangle of X^T X, row-major d x d; null before the first vector. */
  gram: Float64Array | null;
  dims: number;
  n: number;
}

function gramAccumulator(q: number): Accumulator<GramState> {
  return {
    init: () => ({ gram: null, dims: 0, n: 0 }),
    update(state, batch) {
      if (batch.length === 0) return;
      const vectors = vectorsOf(batch);
      const d = dimsOf(vectors, state.gram ? state.dims : null);
      if (!state.gram) {
        state.gram = new Float64Array(d * d);
        state.dims = d;
      }
      addOuterProducts(state.gram, vectors, d);
      state.n += vectors.length;
    },
    merge(left, right) {
      if (!right.gram) return left;
      if (!left.gram) return right;
      for (let i = 0; i < left.gram.length; i++) left.gram[i]! += right.gram[i]!;
      left.n += right.n;
      return left;
    },
    finalize: (state) => vendiOutcome(state, q),
  };
}

function vendiOutcome({ gram, dims, n }: GramState, q: number): MetricOutcome {
  if (!gram || n === 0) return { value: null, reason: 'no samples', n, estimator: 'EXACT', details: {} };
  const matrix = Float64Array.from(gram);
  symmetrize(matrix, dims);
  const eigenvalues = symmetricEigenvalues(matrix, dims);
  let trace = 0;
  for (const l of eigenvalues) trace += Math.max(0, l);
  if (trace === 0)
    return { value: null, reason: 'every vector is zero', n, estimator: 'EXACT', details: { dims } };
  const normalized = eigenvalues.map((l) => l / trace);
  const top = [...normalized].sort((a, b) => b - a).slice(0, 5);
  return {
    value: vendiFromEigenvalues(normalized, q),
    n,
    estimator: 'EXACT',
    details: { dims, q, meanSquaredNorm: trace / n, topEigenvalues: top },
  };
}

const CITATION =
  'Friedman & Dieng 2023, "The Vendi Score: A Diversity Evaluation Metric for Machine Learning" (arXiv 2210.02410); orders q: Pasarkar & Dieng 2024 (arXiv 2310.12952).';
const DUAL_FORM =
  'Computed exactly in the dual form from the d x d matrix X^T X / n (its eigenvalues are the non-zero eigenvalues of K / n), ' +
  'eigenvalues divided by their sum. Ranges from 1 (all samples alike) to min(n, d) (orthogonal). Details: dims, q, meanSquaredNorm, topEigenvalues.';

export const vendiMetric: MetricDefinition<{ space: string }, GramState> = {
  key: 'diversity.vendi',
  axis: 'DIVERSITY',
  version: 1,
  direction: 'HIGHER_IS_BETTER',
  input: 'embedding',
  description: `Vendi score: exp of the Shannon entropy of the eigenvalues of K / n with the cosine kernel K_ij = x_i.x_j over one embedding space. ${DUAL_FORM}`,
  citation: CITATION,
  params: { space: SPACE_PARAM },
  exactMerge: true,
  mergeRounding: true,
  create: () => gramAccumulator(1),
};

export const vendiQMetric: MetricDefinition<{ space: string; q: number }, GramState> = {
  key: 'diversity.vendi_q',
  axis: 'DIVERSITY',
  version: 1,
  direction: 'HIGHER_IS_BETTER',
  input: 'embedding',
  description:
    `Vendi score of order q: (sum l^q)^(1/(1-q)) over the eigenvalues l of K / n (the Renyi entropy's exponential; q = 1 is diversity.vendi). ` +
    `Small q weighs rare directions more, large q the dominant ones. ${DUAL_FORM}`,
  citation: CITATION,
  params: {
    space: SPACE_PARAM,
    q: {
      type: 'number',
      default: 2,
      min: 0,
      max: 100,
      description: 'Order q >= 0 (0 counts the non-zero eigenvalues; 1 is Shannon).',
    },
  },
  exactMerge: true,
  mergeRounding: true,
  create: (params) => gramAccumulator(params.q),
};
