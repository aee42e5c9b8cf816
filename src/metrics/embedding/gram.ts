/**
 * Accumulation of the uncentred second-moment matrix sum_i x_i x_i^T (d x d) over a stream of
 * vectors: the O(n d^2) hot loop of the Vendi score's dual form.
 *
 * Vectors are taken in blocks of BLOCK: the block is packed column-wise into a Float64Array
 * (entry k of every vector of the block side by side), so each cell (i, j) of the upper triangle
 * is read and written once per block and receives the block's whole sum of products from two
 * contiguous runs. Additions are in double precision; the accumulator is a plain sum, so results
 * may differ in the last bits with the batching (not a concern at the eigenvalue tolerance).
 */

/** Vectors per block; the inner loop is unrolled for exactly this many. */
const BLOCK = 8;

/** Adds x x^T for each row-major vector (length d) into the d x d accumulator `into` (Float64Array, row-major, symmetric; fill the upper triangle in the hot loop and mirror at the end via symmetrize()). */
export function addOuterProducts(into: Float64Array, vectors: readonly Float32Array[], d: number): void {
  if (into.length !== d * d)
    throw new RangeError(`expected a ${d} x ${d} accumulator, got length ${into.length}`);
  // Checked up front so a bad vector leaves the accumulator untouched.
  vectors.forEach((vector, i) => {
    if (vector.length !== d) throw new RangeError(`vector ${i} has length ${vector.length}, expected ${d}`);
  });
  const packed = new Float64Array(d * BLOCK);
  for (let start = 0; start < vectors.length; start += BLOCK) {
    const count = Math.min(BLOCK, vectors.length - start);
    packBlock(packed, vectors, start, count, d);
    addPackedBlock(into, packed, d);
  }
}

/** Copies the mirror of the upper triangle into the lower triangle. */
export function symmetrize(matrix: Float64Array, d: number): void {
  if (matrix.length !== d * d)
    throw new RangeError(`expected a ${d} x ${d} matrix, got length ${matrix.length}`);
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) matrix[j * d + i] = matrix[i * d + j]!;
  }
}

/** packed[k * BLOCK + b] = vectors[start + b][k]; slots past `count` are zero so they add nothing. */
function packBlock(
  packed: Float64Array,
  vectors: readonly Float32Array[],
  start: number,
  count: number,
  d: number,
): void {
  if (count < BLOCK) packed.fill(0);
  for (let b = 0; b < count; b++) {
    const vector = vectors[start + b]!;
    for (let k = 0; k < d; k++) packed[k * BLOCK + b] = vector[k]!;
  }
}

/**
 * into[i][j] += sum_b packed[i][b] * packed[j][b] for j >= i. Rows are taken two at a time so each
 * packed column j, once loaded, feeds both rows (about a quarter faster than one row at a time).
 */
function addPackedBlock(into: Float64Array, packed: Float64Array, d: number): void {
  let i = 0;
  for (; i + 1 < d; i += 2) addRowPair(into, packed, d, i);
  if (i < d) into[i * d + i] = into[i * d + i]! + dotPackedRows(packed, i, i);
}

/** The upper-triangle cells of rows i and i + 1. */
function addRowPair(into: Float64Array, packed: Float64Array, d: number, i: number): void {
  const p = packed;
  const pa = i * BLOCK;
  const pb = pa + BLOCK;
  const a0 = p[pa]!,
    a1 = p[pa + 1]!,
    a2 = p[pa + 2]!,
    a3 = p[pa + 3]!;
  const a4 = p[pa + 4]!,
    a5 = p[pa + 5]!,
    a6 = p[pa + 6]!,
    a7 = p[pa + 7]!;
  const b0 = p[pb]!,
    b1 = p[pb + 1]!,
    b2 = p[pb + 2]!,
    b3 = p[pb + 3]!;
  const b4 = p[pb + 4]!,
    b5 = p[pb + 5]!,
    b6 = p[pb + 6]!,
    b7 = p[pb + 7]!;
  const rowA = i * d;
  const rowB = rowA + d;
  into[rowA + i] = into[rowA + i]! + dotPackedRows(p, i, i);
  for (let j = i + 1, pj = pb; j < d; j++, pj += BLOCK) {
    const c0 = p[pj]!,
      c1 = p[pj + 1]!,
      c2 = p[pj + 2]!,
      c3 = p[pj + 3]!;
    const c4 = p[pj + 4]!,
      c5 = p[pj + 5]!,
      c6 = p[pj + 6]!,
      c7 = p[pj + 7]!;
    into[rowA + j] =
      into[rowA + j]! + (a0 * c0 + a1 * c1 + a2 * c2 + a3 * c3 + a4 * c4 + a5 * c5 + a6 * c6 + a7 * c7);
    into[rowB + j] =
      into[rowB + j]! + (b0 * c0 + b1 * c1 + b2 * c2 + b3 * c3 + b4 * c4 + b5 * c5 + b6 * c6 + b7 * c7);
  }
}

function dotPackedRows(packed: Float64Array, i: number, j: number): number {
  let sum = 0;
  for (let b = 0; b < BLOCK; b++) sum += packed[i * BLOCK + b]! * packed[j * BLOCK + b]!;
  return sum;
}
