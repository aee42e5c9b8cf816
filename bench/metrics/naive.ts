/**
 * The naive all-pairs baselines the subset metrics are compared with, over ALL texts given:
 * - self-BLEU: every text is a hypothesis scored with sentence BLEU-4 (NLTK method1, as in
 *   test/helpers/naivePairwise.ts) against all the other texts. Each text's n-gram counts are
 *   built once as Maps with string keys; per hypothesis, the largest count of each of its n-grams
 *   is looked up in every other text's Map: O(k^2 x distinct n-grams per text).
 * - ROUGE-L: the classic O(m n) dynamic-programming LCS (two reused Int32Array rows) for every
 *   unordered pair, ROUGE-L F from it, mean over the k(k-1)/2 pairs.
 * Tokens are the metrics' own (whitespace tokens for BLEU, ROUGE tokens for ROUGE-L), so values
 * are comparable with the metrics'.
 */
import { rougeLFromLcs, rougeTokens } from '../../src/metrics/diversity/homogenizationRougeL.js';
import { whitespaceTokens } from '../../src/metrics/types.js';

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let p = 0; p + n <= tokens.length; p++) {
    const key = tokens.slice(p, p + n).join('\u0000');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export function naiveSelfBleu(texts: readonly string[]): number {
  const lists = texts.map(whitespaceTokens);
  const counts = lists.map((tokens) => [1, 2, 3, 4].map((n) => ngramCounts(tokens, n)));
  let sum = 0;
  for (let i = 0; i < lists.length; i++) {
    const hypothesis = lists[i]!;
    const c = hypothesis.length;
    const own = counts[i]!.map((map) => [...map]);
    const best = own.map((entries) => new Int32Array(entries.length));
    let closest = -1;
    for (let j = 0; j < lists.length; j++) {
      if (j === i) continue;
      const r = lists[j]!.length;
      if (
        closest < 0 ||
        Math.abs(r - c) < Math.abs(closest - c) ||
        (Math.abs(r - c) === Math.abs(closest - c) && r < closest)
      )
        closest = r;
      const reference = counts[j]!;
      for (let n = 0; n < 4; n++) {
        const entries = own[n]!;
        const map = reference[n]!;
        const max = best[n]!;
        for (let e = 0; e < entries.length; e++) {
          const count = map.get(entries[e]![0]) ?? 0;
          if (count > max[e]!) max[e] = count;
        }
      }
    }
    const precisions = own.map((entries, n) => {
      let numerator = 0;
      let total = 0;
      entries.forEach(([, count], e) => {
        numerator += Math.min(count, best[n]![e]!);
        total += count;
      });
      return [numerator, Math.max(1, total)] as const;
    });
    if (precisions[0]![0] === 0) continue; // score 0 (also the empty hypothesis)
    const bp = c > closest ? 1 : Math.exp(1 - closest / c);
    let s = 0;
    for (const [numerator, denominator] of precisions)
      s += 0.25 * Math.log(numerator === 0 ? 0.1 / denominator : numerator / denominator);
    sum += bp * Math.exp(s);
  }
  return sum / lists.length;
}

export function naiveMeanRougeL(texts: readonly string[]): number {
  const lists = texts.map(rougeTokens);
  const longest = Math.max(0, ...lists.map((l) => l.length));
  let previous = new Int32Array(longest + 1);
  let current = new Int32Array(longest + 1);
  let sum = 0;
  for (let i = 0; i < lists.length; i++) {
    const a = lists[i]!;
    for (let j = i + 1; j < lists.length; j++) {
      const b = lists[j]!;
      previous.fill(0, 0, b.length + 1);
      for (let x = 1; x <= a.length; x++) {
        const token = a[x - 1];
        current[0] = 0;
        for (let y = 1; y <= b.length; y++) {
          current[y] = token === b[y - 1] ? previous[y - 1]! + 1 : Math.max(previous[y]!, current[y - 1]!);
        }
        [previous, current] = [current, previous];
      }
      sum += rougeLFromLcs(previous[b.length]!, a.length, b.length);
    }
  }
  return sum / ((lists.length * (lists.length - 1)) / 2);
}
