/**
 * Obvious reference implementations of sentence BLEU (NLTK method1), self-BLEU and ROUGE-L, to check
 * the fast versions against. They follow NLTK's / rouge_score's code line by line, with no shared
 * code with the implementations under test.
 */

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let p = 0; p + n <= tokens.length; p++) {
    const key = tokens.slice(p, p + n).join('\u0000');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** NLTK modified_precision: [numerator, denominator] (unnormalised). */
export function naiveModifiedPrecision(
  references: readonly (readonly string[])[],
  hypothesis: readonly string[],
  n: number,
): [number, number] {
  const counts = ngramCounts(hypothesis, n);
  const maxCounts = new Map<string, number>();
  for (const reference of references) {
    const referenceCounts = ngramCounts(reference, n);
    for (const ngram of counts.keys()) {
      maxCounts.set(ngram, Math.max(maxCounts.get(ngram) ?? 0, referenceCounts.get(ngram) ?? 0));
    }
  }
  let numerator = 0;
  let total = 0;
  for (const [ngram, count] of counts) {
    numerator += Math.min(count, maxCounts.get(ngram)!);
    total += count;
  }
  return [numerator, Math.max(1, total)];
}

/** NLTK closest_ref_length: min over (|r - c|, r). */
export function naiveClosestRefLength(references: readonly (readonly string[])[], hypLength: number): number {
  let best = -1;
  for (const reference of references) {
    const r = reference.length;
    if (
      best < 0 ||
      Math.abs(r - hypLength) < Math.abs(best - hypLength) ||
      (Math.abs(r - hypLength) === Math.abs(best - hypLength) && r < best)
    ) {
      best = r;
    }
  }
  return best;
}

/** NLTK brevity_penalty. */
export function naiveBrevityPenalty(closestRefLength: number, hypLength: number): number {
  if (hypLength > closestRefLength) return 1;
  if (hypLength === 0) return 0;
  return Math.exp(1 - closestRefLength / hypLength);
}

/** NLTK sentence_bleu(references, hypothesis, smoothing_function=SmoothingFunction().method1). */
export function naiveSentenceBleu(
  references: readonly (readonly string[])[],
  hypothesis: readonly string[],
): number {
  const precisions = [1, 2, 3, 4].map((n) => naiveModifiedPrecision(references, hypothesis, n));
  const bp = naiveBrevityPenalty(naiveClosestRefLength(references, hypothesis.length), hypothesis.length);
  if (precisions[0]![0] === 0) return 0;
  let s = 0;
  for (const [numerator, denominator] of precisions) {
    const p = numerator === 0 ? (numerator + 0.1) / denominator : numerator / denominator;
    s += 0.25 * Math.log(p);
  }
  return bp * Math.exp(s);
}

/** Each list scored against all the others. */
export function naiveSelfBleuScores(lists: readonly (readonly string[])[]): number[] {
  return lists.map((hypothesis, i) =>
    naiveSentenceBleu(
      lists.filter((_, j) => j !== i),
      hypothesis,
    ),
  );
}

/** Classic O(mn) dynamic-programming LCS. */
export function naiveLcs(a: readonly string[], b: readonly string[]): number {
  const table = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      table[i]![j] =
        a[i - 1] === b[j - 1] ? table[i - 1]![j - 1]! + 1 : Math.max(table[i - 1]![j]!, table[i]![j - 1]!);
    }
  }
  return table[a.length]![b.length]!;
}

/** rouge_score _score_lcs(target, prediction).fmeasure. */
export function naiveRougeL(target: readonly string[], prediction: readonly string[]): number {
  if (target.length === 0 || prediction.length === 0) return 0;
  const lcs = naiveLcs(target, prediction);
  const precision = lcs / prediction.length;
  const recall = lcs / target.length;
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

/** Mean over ordered pairs i != j (equal to the mean over unordered pairs, F being symmetric). */
export function naiveMeanPairwiseRougeL(lists: readonly (readonly string[])[]): number {
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < lists.length; i++) {
    for (let j = 0; j < lists.length; j++) {
      if (i === j) continue;
      sum += naiveRougeL(lists[i]!, lists[j]!);
      pairs++;
    }
  }
  return sum / pairs;
}
