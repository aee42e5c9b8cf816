/**
 * diversity.homogenization_rougeL — homogenization score (Padmakumar & He 2024): the mean over all
 * unordered pairs of a seeded random subset of the ROUGE-L F-measure (Lin 2004) between the two
 * texts. Higher = the texts are more alike = more homogeneous.
 *
 * ROUGE-L F as in Google's `rouge_score`: with L the length of the longest common subsequence of
 * the token lists a (target) and b (prediction), P = L / |b|, R = L / |a|, F = 2PR / (P + R); 0 when
 * either list is empty or L = 0. F is symmetric (bit for bit, as computed here), so one value per
 * unordered pair; the mean over unordered pairs equals Padmakumar & He's mean over documents of
 * the mean against every other document.
 *
 * Tokens: lowercase, every run of characters that are not Unicode letters, combining marks or digits
 * (`[^\p{L}\p{M}\p{N}]+`) becomes a space, whitespace split. Marks are kept so that words of scripts
 * with vowel signs (Devanagari, Thai...) stay whole. This is Unicode-aware, unlike rouge_score's
 * ASCII `[^a-z0-9]+`, which would delete every non-Latin word; on ASCII text the two agree. No
 * stemming (rouge_score's default).
 *
 * LCS: bit-parallel (Allison & Dix 1986; Crochemore et al. 2001; Hyyrö 2004), O(ceil(m/32) * n) per
 * pair with m the length of the sequence held in bitmasks. Texts are visited longest first and the
 * longer text of each pair is the one held in bitmasks: the cost ceil(m/32) * n <= m*n/32 + n is
 * smallest when n, the sequence scanned token by token, is the shorter one. Tokens of the scanned
 * text that do not occur in the other leave the bit vector unchanged and are skipped.
 */
import { internTokens } from '../internTokens.js';
import type { MetricDefinition } from '../types.js';
import { FIELD_PARAM } from '../types.js';
import {
  SUBSET_SEED_PARAM,
  SUBSET_SIZE_PARAM,
  seededSubsetAccumulator,
  type SubsetMetricParams,
  type SubsetState,
} from '../seededSubset.js';

export const HOMOGENIZATION_ROUGE_L_KEY = 'diversity.homogenization_rougeL';

const NOT_ALPHANUMERIC = /[^\p{L}\p{M}\p{N}]+/gu;

/** ROUGE tokens: lowercase, runs of non-letters/digits (Unicode) to one space, whitespace split. */
export function rougeTokens(text: string): string[] {
  const cleaned = text.toLowerCase().replace(NOT_ALPHANUMERIC, ' ').trim();
  return cleaned === '' ? [] : cleaned.split(' ');
}

/** rouge_score's F-measure from the LCS length and the two lengths (symmetric). */
export function rougeLFromLcs(lcs: number, targetLength: number, predictionLength: number): number {
  if (lcs === 0 || targetLength === 0 || predictionLength === 0) return 0;
  const precision = lcs / predictionLength;
  const recall = lcs / targetLength;
  return (2 * precision * recall) / (precision + recall);
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/**
 * Bit-parallel LCS of `scanned` against the sequence whose match masks are given: masks[row *
 * words + w] holds bit p of word w set when position 32w + p of the masked sequence has the token
 * of that row; slot[t] is the row of token t, < 0 when t does not occur in the masked sequence.
 * first[row] / last[row] are the first and last words of the row that are not zero. `vector` is
 * scratch of at least `words` entries.
 */
function lcsAgainstMasks(
  scanned: Int32Array,
  slot: Int32Array,
  masks: Int32Array,
  first: Int32Array,
  last: Int32Array,
  words: number,
  vector: Int32Array,
): number {
  const n = scanned.length;
  if (words === 1) {
    let v = -1;
    for (let t = 0; t < n; t++) {
      const row = slot[scanned[t]!]!;
      if (row < 0) continue;
      const match = masks[row]!;
      // V' = (V + (V & M)) | (V & ~M), in 32-bit arithmetic.
      v = (v + (v & match)) | (v & ~match);
    }
    return popcount32(~v);
  }
  vector.fill(-1, 0, words);
  for (let t = 0; t < n; t++) {
    const row = slot[scanned[t]!]!;
    if (row < 0) continue;
    const base = row * words;
    // Words before the row's first non-zero word are unchanged (U = 0, no carry in).
    let w = first[row]!;
    const end = last[row]!;
    let carry = 0;
    for (; w <= end; w++) {
      const match = masks[base + w]!;
      const v = vector[w]!;
      const u = v & match;
      // 32-bit add with carry; carry out of unsigned v + u + c (u is a subset of v's bits).
      const sum = (v + u + carry) | 0;
      carry = (u | (v & ~sum)) >>> 31;
      vector[w] = sum | (v & ~match);
    }
    // Beyond the last non-zero word M = 0: only a carry can change anything.
    for (; carry !== 0 && w < words; w++) {
      const v = vector[w]!;
      const sum = (v + 1) | 0;
      carry = (v & ~sum) >>> 31;
      vector[w] = sum | v;
    }
  }
  // Bits above the masked length stay 1, so the zero bits are exactly the LCS.
  let lcs = 0;
  for (let w = 0; w < words; w++) lcs += popcount32(~vector[w]!);
  return lcs;
}

/** Match masks of one sequence, reusing buffers across calls. */
class MaskTable {
  slot: Int32Array;
  masks = new Int32Array(0);
  first = new Int32Array(0);
  last = new Int32Array(0);
  vector = new Int32Array(0);
  words = 0;
  private distinct: number[] = [];

  constructor(vocabularySize: number) {
    this.slot = new Int32Array(vocabularySize).fill(-1);
  }

  load(sequence: Int32Array): void {
    const words = Math.max(1, Math.ceil(sequence.length / 32));
    this.words = words;
    const distinct = this.distinct;
    for (let p = 0; p < sequence.length; p++) {
      const token = sequence[p]!;
      if (this.slot[token]! < 0) {
        this.slot[token] = distinct.length;
        distinct.push(token);
      }
    }
    const size = distinct.length * words;
    if (this.masks.length < size) this.masks = new Int32Array(Math.max(size, this.masks.length * 2));
    else this.masks.fill(0, 0, size);
    if (this.vector.length < words) this.vector = new Int32Array(words);
    if (this.first.length < distinct.length) {
      this.first = new Int32Array(Math.max(distinct.length, this.first.length * 2));
      this.last = new Int32Array(this.first.length);
    }
    this.first.fill(words, 0, distinct.length);
    for (let p = 0; p < sequence.length; p++) {
      const row = this.slot[sequence[p]!]!;
      const word = p >>> 5;
      const index = row * words + word;
      this.masks[index] = this.masks[index]! | (1 << (p & 31));
      if (word < this.first[row]!) this.first[row] = word;
      this.last[row] = word; // positions ascend
    }
  }

  unload(): void {
    for (const token of this.distinct) this.slot[token] = -1;
    this.distinct.length = 0;
  }

  lcs(scanned: Int32Array): number {
    return lcsAgainstMasks(scanned, this.slot, this.masks, this.first, this.last, this.words, this.vector);
  }
}

/** Length of the longest common subsequence of two sequences (bit-parallel). */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const [longer, shorter] = a.length >= b.length ? [a, b] : [b, a];
  const { ids, vocabularySize } = internTokens([longer, shorter]);
  const table = new MaskTable(vocabularySize);
  table.load(ids[0]!);
  return table.lcs(ids[1]!);
}

/** ROUGE-L F-measure of two token lists. */
export function rougeL(a: readonly string[], b: readonly string[]): number {
  return rougeLFromLcs(lcsLength(a, b), a.length, b.length);
}

/** Mean ROUGE-L F-measure over all unordered pairs of the token lists (at least 2). */
export function meanPairwiseRougeL(tokenLists: readonly (readonly string[])[]): number {
  const k = tokenLists.length;
  if (k < 2) throw new RangeError(`pairwise ROUGE-L needs at least 2 texts, got ${k}`);
  const { ids, vocabularySize } = internTokens(tokenLists);
  // Longest first (then input order): the outer text of each pair is the longer one.
  const order = Array.from({ length: k }, (_, i) => i).sort(
    (x, y) => ids[y]!.length - ids[x]!.length || x - y,
  );
  const table = new MaskTable(vocabularySize);
  // Neumaier-compensated sum over the ~k^2/2 pairs.
  let sum = 0;
  let compensation = 0;
  for (let oi = 0; oi < k - 1; oi++) {
    const outer = ids[order[oi]!]!;
    const m = outer.length;
    if (m === 0) break; // every later text is empty as well
    table.load(outer);
    for (let oj = oi + 1; oj < k; oj++) {
      const inner = ids[order[oj]!]!;
      if (inner.length === 0) break;
      const lcs = table.lcs(inner);
      if (lcs === 0) continue;
      const f = rougeLFromLcs(lcs, m, inner.length);
      const t = sum + f;
      compensation += Math.abs(sum) >= f ? sum - t + f : f - t + sum;
      sum = t;
    }
    table.unload();
  }
  return (sum + compensation) / ((k * (k - 1)) / 2);
}

export const homogenizationRougeLMetric: MetricDefinition<SubsetMetricParams, SubsetState> = {
  key: HOMOGENIZATION_ROUGE_L_KEY,
  axis: 'DIVERSITY',
  version: 1,
  direction: 'LOWER_IS_BETTER',
  description:
    'Homogenization: mean ROUGE-L F-measure over all unordered pairs of a seeded random subset of ' +
    'min(n, subsetSize) texts (tokens: lowercase, runs of characters other than Unicode letters, marks and digits to ' +
    'spaces, whitespace split; no stemming). Higher = more homogeneous.',
  citation:
    'Padmakumar & He 2024, Does Writing with Language Models Reduce Content Diversity? (arXiv 2309.05196); ROUGE: Lin 2004',
  params: { field: FIELD_PARAM, seed: SUBSET_SEED_PARAM, subsetSize: SUBSET_SIZE_PARAM },
  exactMerge: true,
  create: (params) =>
    seededSubsetAccumulator(params, (texts) => {
      const k = texts.length;
      return { value: meanPairwiseRougeL(texts.map(rougeTokens)), details: { pairs: (k * (k - 1)) / 2 } };
    }),
};
