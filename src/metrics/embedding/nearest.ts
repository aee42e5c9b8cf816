/**
 * Exact nearest-neighbour cosine distances between two sets of unit vectors: the chamfer metric's
 * exact estimator and the inner step of diversity gain.
 *
 * A plain O(|queries| |candidates| d) scan, tiled so that a tile of candidates stays in cache while
 * every query of the current query tile is compared with it, and with four candidates scored per
 * pass over a query (each query entry loaded once for four dot products).
 *
 * Dot products are accumulated in double precision and not clamped: a duplicate of the query (or
 * a Float32 vector whose squared norm rounds above 1) can come out a few 1e-8 below 0.
 */

const QUERY_TILE = 64;
const CANDIDATE_TILE = 256;

/** Exact blocked nearest-neighbour scan by cosine distance (1 - dot; inputs are unit vectors). For each query i, the smallest 1 - q_i.c_j over candidates j, skipping candidate j when candidateIds[j] === queryIds[i] (pass null for either to skip nothing). Returns Float64Array of distances (Infinity when no candidate). Blocks queries and candidates (e.g. 64 x 256) for cache locality. */
export function nearestCosineDistances(
  queries: readonly Float32Array[],
  queryIds: ArrayLike<number> | null,
  candidates: readonly Float32Array[],
  candidateIds: ArrayLike<number> | null,
  d: number,
): Float64Array {
  checkInputs(queries, queryIds, 'query', d);
  checkInputs(candidates, candidateIds, 'candidate', d);
  const excludeSelf = queryIds !== null && candidateIds !== null;
  const bestDot = new Float64Array(queries.length).fill(-Infinity);
  const dots = new Float64Array(4);
  for (let q0 = 0; q0 < queries.length; q0 += QUERY_TILE) {
    const q1 = Math.min(q0 + QUERY_TILE, queries.length);
    for (let c0 = 0; c0 < candidates.length; c0 += CANDIDATE_TILE) {
      const c1 = Math.min(c0 + CANDIDATE_TILE, candidates.length);
      for (let i = q0; i < q1; i++) {
        const query = queries[i]!;
        const queryId = excludeSelf ? queryIds[i]! : NaN; // NaN equals no id
        let best = bestDot[i]!;
        for (let j = c0; j < c1; j += 4) {
          const count = Math.min(4, c1 - j);
          dotWithUpToFour(query, candidates, j, count, d, dots);
          for (let t = 0; t < count; t++) {
            if (dots[t]! > best && !(excludeSelf && candidateIds[j + t] === queryId)) best = dots[t]!;
          }
        }
        bestDot[i] = best;
      }
    }
  }
  // 1 - (-Infinity) = Infinity: a query whose every candidate was skipped.
  return bestDot.map((dot) => 1 - dot);
}

/** dots[t] = query . candidates[start + t] for t < count, accumulated in double precision. */
function dotWithUpToFour(
  query: Float32Array,
  candidates: readonly Float32Array[],
  start: number,
  count: number,
  d: number,
  dots: Float64Array,
): void {
  if (count < 4) {
    for (let t = 0; t < count; t++) dots[t] = dot(query, candidates[start + t]!, d);
    return;
  }
  const c0 = candidates[start]!;
  const c1 = candidates[start + 1]!;
  const c2 = candidates[start + 2]!;
  const c3 = candidates[start + 3]!;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let k = 0; k < d; k++) {
    const x = query[k]!;
    s0 += x * c0[k]!;
    s1 += x * c1[k]!;
    s2 += x * c2[k]!;
    s3 += x * c3[k]!;
  }
  dots[0] = s0;
  dots[1] = s1;
  dots[2] = s2;
  dots[3] = s3;
}

function dot(a: Float32Array, b: Float32Array, d: number): number {
  let sum = 0;
  for (let k = 0; k < d; k++) sum += a[k]! * b[k]!;
  return sum;
}

function checkInputs(
  vectors: readonly Float32Array[],
  ids: ArrayLike<number> | null,
  role: string,
  d: number,
): void {
  if (ids !== null && ids.length !== vectors.length) {
    throw new RangeError(`${ids.length} ${role} ids for ${vectors.length} ${role} vectors`);
  }
  for (let i = 0; i < vectors.length; i++) {
    if (vectors[i]!.length !== d)
      throw new RangeError(`${role} ${i} has length ${vectors[i]!.length}, expected ${d}`);
  }
}

/**
 * Per query, the `k` smallest cosine distances (1 - dot) to the candidates in ascending order,
 * skipping candidate j when candidateIds[j] === queryIds[i] (null: skip nothing). A plain scan
 * with an insertion-sorted list of the best k: O(|queries| |candidates| (d + k)).
 */
export function kNearestCosineDistances(
  queries: readonly Float32Array[],
  queryIds: ArrayLike<number> | null,
  candidates: readonly Float32Array[],
  candidateIds: ArrayLike<number> | null,
  d: number,
  k: number,
): Float64Array[] {
  checkInputs(queries, queryIds, 'query', d);
  checkInputs(candidates, candidateIds, 'candidate', d);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  const excludeSelf = queryIds !== null && candidateIds !== null;
  return queries.map((query, i) => {
    const best = new Float64Array(Math.min(k, candidates.length)).fill(Infinity);
    let filled = 0;
    for (let j = 0; j < candidates.length; j++) {
      if (excludeSelf && candidateIds[j] === queryIds[i]) continue;
      const distance = 1 - dot(query, candidates[j]!, d);
      if (filled === best.length && !(distance < best[filled - 1]!)) continue;
      let p = filled < best.length ? filled++ : filled - 1;
      while (p > 0 && best[p - 1]! > distance) {
        best[p] = best[p - 1]!;
        p--;
      }
      best[p] = distance;
    }
    return best.subarray(0, filled);
  });
}
