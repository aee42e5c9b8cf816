/**
 * Exact "all neighbours within a threshold" search in memory: for each query, the candidates whose
 * cosine similarity is at least `threshold`, most similar first, at most `k` of them. Used by the
 * overlap job when the searched version is small enough to scan.
 */

export interface SimilarMatch {
  /** Index into the candidates. */
  candidate: number;
  similarity: number;
}

export function neighboursWithin(
  queries: readonly Float32Array[],
  queryIds: readonly number[],
  candidates: readonly Float32Array[],
  candidateIds: readonly number[],
  threshold: number,
  k: number,
  /** Skip a candidate with the query's own id. */
  excludeSameId: boolean,
): SimilarMatch[][] {
  const d = candidates[0]?.length ?? 0;
  return queries.map((query, qi) => {
    const found: SimilarMatch[] = [];
    for (let c = 0; c < candidates.length; c++) {
      if (excludeSameId && candidateIds[c] === queryIds[qi]) continue;
      const candidate = candidates[c]!;
      let dot = 0;
      for (let j = 0; j < d; j++) dot += query[j]! * candidate[j]!;
      if (dot >= threshold) found.push({ candidate: c, similarity: dot });
    }
    found.sort(
      (a, b) => b.similarity - a.similarity || candidateIds[a.candidate]! - candidateIds[b.candidate]!,
    );
    return found.slice(0, k);
  });
}
