/**
 * diversity.self_bleu — Self-BLEU (Zhu et al. 2018, Texygen): each text of a seeded random subset
 * is scored with sentence BLEU-4 against all the other texts of the subset as references; the
 * value is the mean over the subset. Higher = the texts repeat each other more = less diverse.
 *
 * Sentence BLEU follows NLTK's `sentence_bleu(references, hypothesis,
 * smoothing_function=SmoothingFunction().method1)` with the default uniform weights (0.25 x 4):
 * - tokens are whitespace tokens (design section 4);
 * - modified precision p_n = clipped / max(1, number of hypothesis n-grams), where each hypothesis
 *   n-gram count is clipped to its largest count in any single reference;
 * - method1: a zero numerator becomes epsilon = 0.1, i.e. p_n = 0.1 / max(1, hypothesis n-grams)
 *   (NLTK keeps the unnormalised denominator for this);
 * - the score is 0 when no unigram matches at all, which includes the empty hypothesis;
 * - brevity penalty against the closest reference length, ties going to the shorter reference:
 *   BP = 1 if c > r else exp(1 - r / c);
 * - BLEU = BP * exp(fsum(0.25 * ln p_n)), with fsum a correctly rounded sum like Python's.
 *
 * Algorithm, O(total tokens) after interning instead of the naive O(k^2 * length): n-grams are
 * interned to dense integer ids per order; for each n-gram id we keep the largest count in any
 * text, which text holds it, and the largest count in any other text. "Largest count over the
 * references other than me" is then O(1) per distinct hypothesis n-gram. The closest reference
 * length excluding the hypothesis itself comes from the sorted length array.
 */
import { internTokens } from '../internTokens.js';
import { fsum } from '../exactSum.js';
import type { MetricDefinition } from '../types.js';
import { FIELD_PARAM, whitespaceTokens } from '../types.js';
import {
  SUBSET_SEED_PARAM,
  SUBSET_SIZE_PARAM,
  seededSubsetAccumulator,
  type SubsetMetricParams,
  type SubsetState,
} from '../seededSubset.js';

export const SELF_BLEU_KEY = 'diversity.self_bleu';
const MAX_ORDER = 4;
const WEIGHT = 1 / MAX_ORDER;
const EPSILON = 0.1;
const MAX_SAFE = 2 ** 53;

/**
 * Sentence BLEU of every list against all the others (NLTK method1, BLEU-4), in input order.
 * Needs at least 2 lists.
 */
export function selfBleuScores(tokenLists: readonly (readonly string[])[]): Float64Array {
  const k = tokenLists.length;
  if (k < 2) throw new RangeError(`self-BLEU needs at least 2 texts, got ${k}`);

  const { ids: unigrams, vocabularySize } = internTokens(tokenLists);

  // matches[n - 1][i]: clipped n-gram matches of text i against all other texts.
  const matches: Int32Array[] = [];
  let ngrams: { ids: Int32Array[]; count: number } = { ids: unigrams, count: vocabularySize };
  for (let n = 1; n <= MAX_ORDER; n++) {
    if (n > 1) ngrams = extendNgrams(ngrams.ids, unigrams, n, ngrams.count, vocabularySize);
    matches.push(clippedMatches(ngrams.ids, ngrams.count));
  }

  const lengths = tokenLists.map((tokens) => tokens.length);
  const sortedLengths = Int32Array.from(lengths).sort();
  const scores = new Float64Array(k);
  const terms = new Float64Array(MAX_ORDER);
  for (let i = 0; i < k; i++) {
    const c = lengths[i]!;
    // NLTK: 0 when there is no unigram match (this covers the empty hypothesis).
    if (c === 0 || matches[0]![i] === 0) continue;
    for (let n = 1; n <= MAX_ORDER; n++) {
      const denominator = Math.max(1, c - n + 1);
      const numerator = matches[n - 1]![i]!;
      const precision = numerator === 0 ? EPSILON / denominator : numerator / denominator;
      terms[n - 1] = WEIGHT * Math.log(precision);
    }
    const r = closestOtherLength(sortedLengths, c);
    const brevityPenalty = c > r ? 1 : Math.exp(1 - r / c);
    scores[i] = brevityPenalty * Math.exp(fsum(terms));
  }
  return scores;
}

/** Mean self-BLEU of the lists (at least 2), summed in input order. */
export function meanSelfBleu(tokenLists: readonly (readonly string[])[]): number {
  const scores = selfBleuScores(tokenLists);
  let sum = 0;
  for (const score of scores) sum += score;
  return sum / scores.length;
}

/** Ids of the n-grams of every text, from the (n-1)-gram ids and the unigram ids. */
function extendNgrams(
  previous: readonly Int32Array[],
  unigrams: readonly Int32Array[],
  n: number,
  previousCount: number,
  vocabularySize: number,
): { ids: Int32Array[]; count: number } {
  // An n-gram is the pair ((n-1)-gram prefix id, last token id); a number key while it is exact.
  const numeric = previousCount * vocabularySize < MAX_SAFE;
  const numericTable = new Map<number, number>();
  const stringTable = new Map<string, number>();
  const ids = previous.map((prefixes, i) => {
    const tokens = unigrams[i]!;
    const length = Math.max(0, prefixes.length - 1);
    const out = new Int32Array(length);
    for (let p = 0; p < length; p++) {
      const prefix = prefixes[p]!;
      const last = tokens[p + n - 1]!;
      if (numeric) {
        const key = prefix * vocabularySize + last;
        let id = numericTable.get(key);
        if (id === undefined) {
          id = numericTable.size;
          numericTable.set(key, id);
        }
        out[p] = id;
      } else {
        const key = `${prefix},${last}`;
        let id = stringTable.get(key);
        if (id === undefined) {
          id = stringTable.size;
          stringTable.set(key, id);
        }
        out[p] = id;
      }
    }
    return out;
  });
  return { ids, count: numeric ? numericTable.size : stringTable.size };
}

/**
 * For each text, sum over its distinct n-grams of min(count in the text, largest count in any
 * OTHER text) — NLTK's clipped numerator with all other texts as references.
 */
function clippedMatches(ids: readonly Int32Array[], count: number): Int32Array {
  const k = ids.length;
  const scratch = new Int32Array(count);
  const max1 = new Int32Array(count);
  const max2 = new Int32Array(count);
  const holder = new Int32Array(count).fill(-1);
  let total = 0;
  for (const text of ids) total += text.length;
  // Distinct n-grams of each text with their counts, flat.
  const start = new Int32Array(k + 1);
  const distinctIds = new Int32Array(total);
  const distinctCounts = new Int32Array(total);
  let fill = 0;
  for (let i = 0; i < k; i++) {
    const text = ids[i]!;
    start[i] = fill;
    for (let p = 0; p < text.length; p++) {
      const g = text[p]!;
      const seen = scratch[g]!;
      scratch[g] = seen + 1;
      if (seen === 0) distinctIds[fill++] = g;
    }
    for (let q = start[i]!; q < fill; q++) {
      const g = distinctIds[q]!;
      const c = scratch[g]!;
      scratch[g] = 0;
      distinctCounts[q] = c;
      if (c > max1[g]!) {
        max2[g] = max1[g]!;
        max1[g] = c;
        holder[g] = i;
      } else if (c > max2[g]!) {
        max2[g] = c;
      }
    }
  }
  start[k] = fill;
  const result = new Int32Array(k);
  for (let i = 0; i < k; i++) {
    let clipped = 0;
    for (let q = start[i]!; q < start[i + 1]!; q++) {
      const g = distinctIds[q]!;
      const c = distinctCounts[q]!;
      const best = holder[g] === i ? max2[g]! : max1[g]!;
      clipped += c < best ? c : best;
    }
    result[i] = clipped;
  }
  return result;
}

/**
 * The reference length closest to `c` among all lengths but one copy of `c` itself (the
 * hypothesis), ties to the shorter — NLTK's min over (|r - c|, r).
 */
function closestOtherLength(sorted: Int32Array, c: number): number {
  const lower = lowerBound(sorted, c);
  const upper = lowerBound(sorted, c + 1);
  if (upper - lower > 1) return c;
  const below = lower > 0 ? sorted[lower - 1]! : -1;
  const above = upper < sorted.length ? sorted[upper]! : -1;
  if (below < 0) return above;
  if (above < 0) return below;
  return c - below <= above - c ? below : above;
}

function lowerBound(sorted: Int32Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export const selfBleuMetric: MetricDefinition<SubsetMetricParams, SubsetState> = {
  key: SELF_BLEU_KEY,
  axis: 'DIVERSITY',
  version: 1,
  direction: 'LOWER_IS_BETTER',
  description:
    'Self-BLEU: mean over a seeded random subset of min(n, subsetSize) texts of the sentence BLEU-4 ' +
    '(whitespace tokens, uniform weights, NLTK smoothing method1, closest-reference brevity penalty) ' +
    'of each text against all other texts of the subset. Higher = less diverse.',
  citation:
    'Zhu et al. 2018, Texygen (arXiv 1802.01886); BLEU: Papineni et al. 2002; smoothing: Chen & Cherry 2014 method1',
  params: { field: FIELD_PARAM, seed: SUBSET_SEED_PARAM, subsetSize: SUBSET_SIZE_PARAM },
  exactMerge: true,
  create: (params) =>
    seededSubsetAccumulator(params, (texts) => ({
      value: meanSelfBleu(texts.map(whitespaceTokens)),
      details: { maxOrder: MAX_ORDER, smoothing: 'method1', epsilon: EPSILON },
    })),
};
