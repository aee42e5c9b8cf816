/**
 * Eigenvalues of a real symmetric matrix, for the Vendi score's d x d second-moment matrix.
 *
 * Householder reduction to tridiagonal form followed by the implicit QL algorithm with Wilkinson
 * shifts (the tred2/tqli pair of Numerical Recipes, eigenvectors not accumulated). Both steps are
 * backward stable, so the eigenvalues are accurate to a small multiple of machine epsilon times the
 * matrix norm. Cost: about (4/3) d^3 flops for the reduction and O(d^2) for QL.
 */

/** Beyond this many QL sweeps for one eigenvalue the input is not a finite symmetric matrix. */
const MAX_QL_ITERATIONS = 60;

/** Eigenvalues (ascending) of a symmetric d x d matrix given row-major in a Float64Array. Householder tridiagonalisation + implicit QL (tred2/tqli style, eigenvalues only), O(d^3). Does not modify the input. */
export function symmetricEigenvalues(matrix: Float64Array, d: number): Float64Array {
  if (!Number.isInteger(d) || d < 0)
    throw new RangeError(`dimension must be a non-negative integer, got ${d}`);
  if (matrix.length !== d * d) throw new RangeError(`expected ${d * d} matrix entries, got ${matrix.length}`);
  const work = Float64Array.from(matrix);
  const diagonal = new Float64Array(d);
  const offDiagonal = new Float64Array(d);
  tridiagonalize(work, d, diagonal, offDiagonal);
  tridiagonalQl(diagonal, offDiagonal);
  return diagonal.sort();
}

/**
 * Householder reduction of the symmetric matrix `a` (row-major, destroyed; only its lower triangle
 * is read) to tridiagonal form: `diagonal[i]` and `offDiagonal[i]` (the entry at (i, i - 1);
 * offDiagonal[0] = 0).
 */
function tridiagonalize(a: Float64Array, d: number, diagonal: Float64Array, offDiagonal: Float64Array): void {
  for (let i = d - 1; i > 0; i--) {
    const rowI = i * d;
    const l = i - 1;
    if (l === 0) {
      offDiagonal[i] = a[rowI + l]!;
      continue;
    }
    let scale = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(a[rowI + k]!);
    if (scale === 0) {
      offDiagonal[i] = a[rowI + l]!;
      continue;
    }
    let h = 0;
    for (let k = 0; k < i; k++) {
      const v = a[rowI + k]! / scale;
      a[rowI + k] = v;
      h += v * v;
    }
    const f = a[rowI + l]!;
    const g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
    offDiagonal[i] = scale * g;
    h -= f * g;
    a[rowI + l] = f - g;
    applyHouseholder(a, d, i, h, offDiagonal);
  }
  offDiagonal[0] = 0;
  for (let i = 0; i < d; i++) diagonal[i] = a[i * d + i]!;
}

/**
 * Applies the reflection I - u u^T / h, u = row i of `a` (first i entries), on both sides of the
 * leading i x i block (lower triangle). `p` is scratch for p = A u / h and then q = p - K u.
 */
function applyHouseholder(a: Float64Array, d: number, i: number, h: number, p: Float64Array): void {
  const rowI = i * d;
  let f = 0;
  for (let j = 0; j < i; j++) {
    const rowJ = j * d;
    let g = 0;
    for (let k = 0; k <= j; k++) g += a[rowJ + k]! * a[rowI + k]!;
    for (let k = j + 1; k < i; k++) g += a[k * d + j]! * a[rowI + k]!;
    p[j] = g / h;
    f += p[j]! * a[rowI + j]!;
  }
  const hh = f / (h + h);
  for (let j = 0; j < i; j++) {
    const uj = a[rowI + j]!;
    const qj = p[j]! - hh * uj;
    p[j] = qj;
    const rowJ = j * d;
    for (let k = 0; k <= j; k++) a[rowJ + k] = a[rowJ + k]! - (uj * p[k]! + qj * a[rowI + k]!);
  }
}

/**
 * Implicit QL with shifts on the symmetric tridiagonal matrix (diagonal, offDiagonal as produced by
 * tridiagonalize). On return `diagonal` holds the eigenvalues (unsorted); offDiagonal is destroyed.
 */
function tridiagonalQl(diagonal: Float64Array, offDiagonal: Float64Array): void {
  const d = diagonal.length;
  if (d === 0) return;
  const e = offDiagonal;
  for (let i = 1; i < d; i++) e[i - 1] = e[i]!;
  e[d - 1] = 0;
  for (let l = 0; l < d; l++) {
    let iterations = 0;
    for (;;) {
      const m = firstNegligibleOffDiagonal(diagonal, e, l);
      if (m === l) break;
      if (iterations++ === MAX_QL_ITERATIONS) throw new Error('symmetricEigenvalues: QL did not converge');
      qlSweep(diagonal, e, l, m);
    }
  }
}

/** The smallest m >= l whose off-diagonal entry is negligible next to its diagonal neighbours (d - 1 if none). */
function firstNegligibleOffDiagonal(diagonal: Float64Array, e: Float64Array, l: number): number {
  const last = diagonal.length - 1;
  for (let m = l; m < last; m++) {
    const scale = Math.abs(diagonal[m]!) + Math.abs(diagonal[m + 1]!);
    if (Math.abs(e[m]!) <= Number.EPSILON * scale) return m;
  }
  return last;
}

/** One implicitly shifted QL step on the unreduced block l..m, chasing the bulge with Givens rotations. */
function qlSweep(diagonal: Float64Array, e: Float64Array, l: number, m: number): void {
  let g = (diagonal[l + 1]! - diagonal[l]!) / (2 * e[l]!);
  let r = Math.hypot(g, 1);
  g = diagonal[m]! - diagonal[l]! + e[l]! / (g + (g >= 0 ? r : -r));
  let s = 1;
  let c = 1;
  let p = 0;
  for (let i = m - 1; i >= l; i--) {
    const f = s * e[i]!;
    const b = c * e[i]!;
    r = Math.hypot(f, g);
    e[i + 1] = r;
    if (r === 0) {
      // Underflow: the block splits here; the next sweep starts on the smaller block.
      diagonal[i + 1] = diagonal[i + 1]! - p;
      e[m] = 0;
      return;
    }
    s = f / r;
    c = g / r;
    g = diagonal[i + 1]! - p;
    r = (diagonal[i]! - g) * s + 2 * c * b;
    p = s * r;
    diagonal[i + 1] = g + p;
    g = c * r - b;
  }
  diagonal[l] = diagonal[l]! - p;
  e[l] = g;
  e[m] = 0;
}
