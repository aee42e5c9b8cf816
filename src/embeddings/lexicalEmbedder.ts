/**
 * Built-in lexical embedder: a feature-hashing embedding that needs no model, no I/O and no
 * network. It captures surface (word and spelling) similarity only, not meaning.
 *
 * The exact definition below is the identity of the embedding space `qdc/lexical-hash`; any change
 * to it (tokens, features, hashes, seeds, weights, bucketing) must bump `LEXICAL_REVISION`.
 *
 * 1. Text: `text.normalize('NFKC').toLowerCase()` (locale-independent lowercasing).
 * 2. Words: the maximal runs of Unicode letters, combining marks and numbers (`[\p{L}\p{M}\p{N}]+`);
 *    everything else separates words and is otherwise ignored. Marks are part of words so that
 *    words of scripts with vowel signs (Devanagari, Thai...) stay whole, as in the project's other
 *    lexical metrics.
 * 3. Features, in three families:
 *    - word unigrams: every word;
 *    - word bigrams: every pair of consecutive words (across punctuation too);
 *    - character trigrams: every 3 consecutive code points of each word padded as `<word>` (`<` and
 *      `>` cannot occur inside a word, so they mark its start and end); a word of n code points
 *      gives n trigrams, so a one-letter word `a` gives `<a>`.
 * 4. Hashing, all arithmetic modulo 2^32, FNV-1a(seed, s) = for each UTF-16 code unit c of s:
 *    h = (h XOR c) * 0x01000193, starting from h = seed:
 *    - word key    K(w) = fmix32(FNV-1a(0x811c9dc5, w))   (standard FNV-1a, then fmix32);
 *    - bigram key  fmix32((K(a) * 0x9e3779b1) XOR K(b) XOR 0x297a2d39) for the words a, b in order;
 *    - trigram key fmix32(FNV-1a(0xad07e1a8, t)) for the trigram string t.
 *    fmix32 is murmur3's finaliser (src/fmix32.ts). The FNV steps are bijections of the state, so
 *    with different seeds a word and a trigram with the same characters never get the same key.
 * 5. Term frequency: tf = the number of occurrences of a (family, key) in the text; the feature's
 *    value is weight(family) * (1 + ln tf), with weights word 1.0, bigram 0.7, trigram 0.4. A word
 *    of ~5 letters has ~5 trigrams, so these weights keep the three families of comparable total
 *    energy: words dominate exact matching, while trigrams still make misspellings and inflections
 *    of a word close.
 * 6. Signed bucketing: the value is added to bucket (key AND 0x7fffffff) mod dims, with a minus sign
 *    when bit 31 of the key is set, so colliding features cancel in expectation rather than
 *    accumulating a bias. Sums are in float64, in the order the features first occur in the text.
 * 7. The vector is L2-normalised and returned as float32. A text without words ('' or only
 *    punctuation) gives the zero vector (as would, in the vanishingly unlikely case, a text whose
 *    features all cancel exactly); its cosine similarity with anything is taken to be 0.
 *
 * Deterministic and platform-independent: only 32-bit integer arithmetic, IEEE float64 sums in a
 * fixed order, and V8's own (platform-independent) Math.log. One module-level scratch table is
 * reused across calls; the functions are synchronous and call nothing back, so that is safe.
 */
import { fmix32 } from '../fmix32.js';
import { HashTable } from '../metrics/hashTable.js';

export const LEXICAL_DIMS = 384;
export const LEXICAL_MODEL_ID = 'qdc/lexical-hash';
/** Bump when the feature definition (see the top of this file) changes. */
export const LEXICAL_REVISION = 'v1';

const WORD = 0;
const BIGRAM = 1;
const TRIGRAM = 2;
type Family = typeof WORD | typeof BIGRAM | typeof TRIGRAM;
const FAMILY_WEIGHT: readonly number[] = [1.0, 0.7, 0.4];

const FNV_PRIME = 0x01000193;
const WORD_SEED = 0x811c9dc5;
const TRIGRAM_SEED = 0xad07e1a8;
const BIGRAM_MULTIPLIER = 0x9e3779b1;
const BIGRAM_SEED = 0x297a2d39;

const NOT_WORD_CHARACTERS = /[^\p{L}\p{M}\p{N}]+/gu;
const SEPARATOR = 0x20;
const WORD_START_MARK = 0x3c; // '<'
const WORD_END_MARK = 0x3e; // '>'

/**
 * Counts (family, key) features of one text, remembering the order in which they first occur so
 * that the float sums do not depend on the table's capacity (which depends on earlier texts).
 * The index is the shared HashTable (src/metrics/hashTable.ts): key (key, family), entry = the
 * feature's number in order of first occurrence.
 */
class FeatureCounter {
  keys = new Int32Array(256);
  families = new Uint8Array(256);
  counts = new Int32Array(256);
  private readonly index = new HashTable({ initialCapacity: 512, clearable: true });

  get size(): number {
    return this.index.size;
  }

  /** Empties the counter in O(features), leaving its capacity for the next text. */
  reset(): void {
    this.index.clear();
  }

  add(key: number, family: Family): void {
    const size = this.index.size;
    const entry = this.index.add(key, family, 0);
    if (entry < size) {
      this.counts[entry]!++;
      return;
    }
    if (entry === this.keys.length) this.grow();
    this.keys[entry] = key;
    this.families[entry] = family;
    this.counts[entry] = 1;
  }

  private grow(): void {
    const capacity = this.keys.length * 2;
    this.keys = copyInto(new Int32Array(capacity), this.keys);
    this.families = copyInto(new Uint8Array(capacity), this.families);
    this.counts = copyInto(new Int32Array(capacity), this.counts);
  }
}

function copyInto<T extends Int32Array | Uint8Array>(target: T, source: T): T {
  target.set(source);
  return target;
}

const scratchCounter = new FeatureCounter();
let scratchSums = new Float64Array(LEXICAL_DIMS);

/** One FNV-1a step per UTF-16 code unit of the code point. */
function fnvCodePoint(hash: number, codePoint: number): number {
  if (codePoint <= 0xffff) return Math.imul(hash ^ codePoint, FNV_PRIME);
  const offset = codePoint - 0x10000;
  const high = Math.imul(hash ^ (0xd800 + (offset >>> 10)), FNV_PRIME);
  return Math.imul(high ^ (0xdc00 + (offset & 0x3ff)), FNV_PRIME);
}

function wordKey(text: string, start: number, end: number): number {
  let hash = WORD_SEED;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME);
  return fmix32(hash);
}

/** Combines the two word keys (order-sensitive) instead of hashing a "first second" string. */
function bigramKey(firstWordKey: number, secondWordKey: number): number {
  return fmix32(Math.imul(firstWordKey, BIGRAM_MULTIPLIER) ^ secondWordKey ^ BIGRAM_SEED);
}

function trigramKey(first: number, second: number, third: number): number {
  return fmix32(fnvCodePoint(fnvCodePoint(fnvCodePoint(TRIGRAM_SEED, first), second), third));
}

/** Slides a 3-code-point window over `<word>`, where the word is text[start, end). */
function addTrigrams(text: string, start: number, end: number, counter: FeatureCounter): void {
  let first = WORD_START_MARK;
  let second = text.codePointAt(start)!;
  let i = start + (second > 0xffff ? 2 : 1);
  for (;;) {
    const third = i < end ? text.codePointAt(i)! : WORD_END_MARK;
    counter.add(trigramKey(first, second, third), TRIGRAM);
    if (i >= end) return;
    i += third > 0xffff ? 2 : 1;
    first = second;
    second = third;
  }
}

/** The normalised text with every run of non-word characters replaced by one space. */
function wordsSeparatedBySpaces(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(NOT_WORD_CHARACTERS, ' ');
}

function collectFeatures(text: string, counter: FeatureCounter): void {
  const words = wordsSeparatedBySpaces(text);
  const length = words.length;
  let previousWordKey = 0;
  let isFirstWord = true;
  let start = 0;
  while (start < length) {
    if (words.charCodeAt(start) === SEPARATOR) {
      start++;
      continue;
    }
    let end = start + 1;
    while (end < length && words.charCodeAt(end) !== SEPARATOR) end++;
    const key = wordKey(words, start, end);
    counter.add(key, WORD);
    if (!isFirstWord) counter.add(bigramKey(previousWordKey, key), BIGRAM);
    addTrigrams(words, start, end, counter);
    previousWordKey = key;
    isFirstWord = false;
    start = end;
  }
}

/** Signed-hashes the counted features into `dims` buckets and L2-normalises. */
function projectFeatures(counter: FeatureCounter, dims: number): Float32Array {
  if (scratchSums.length !== dims) scratchSums = new Float64Array(dims);
  const sums = scratchSums;
  sums.fill(0);
  for (let entry = 0; entry < counter.size; entry++) {
    const key = counter.keys[entry]!;
    const value = FAMILY_WEIGHT[counter.families[entry]!]! * (1 + Math.log(counter.counts[entry]!));
    const bucket = (key & 0x7fffffff) % dims;
    sums[bucket]! += key < 0 ? -value : value; // key < 0 <=> bit 31 set
  }
  let squaredNorm = 0;
  for (let i = 0; i < dims; i++) squaredNorm += sums[i]! * sums[i]!;
  const embedding = new Float32Array(dims);
  if (squaredNorm === 0) return embedding;
  const inverseNorm = 1 / Math.sqrt(squaredNorm);
  for (let i = 0; i < dims; i++) embedding[i] = sums[i]! * inverseNorm;
  return embedding;
}

function assertValidDims(dims: number): void {
  if (!Number.isInteger(dims) || dims < 1) {
    throw new RangeError(`lexical embedding dims must be a positive integer, got ${String(dims)}`);
  }
}

/**
 * Feature-hashing embedding of one text (see the top of this file for the exact definition):
 * word unigrams, word bigrams and character trigrams of `<word>`, sublinear tf, signed hashing,
 * L2-normalised. A text without words gives the zero vector, whose cosine similarity with any
 * vector is 0. Throws RangeError unless `dims` is a positive integer.
 */
export function lexicalEmbedding(text: string, dims: number = LEXICAL_DIMS): Float32Array {
  assertValidDims(dims);
  const counter = scratchCounter;
  counter.reset();
  collectFeatures(text, counter);
  return projectFeatures(counter, dims);
}

/** `lexicalEmbedding` of each text, in order. */
export function lexicalEmbeddings(texts: readonly string[], dims: number = LEXICAL_DIMS): Float32Array[] {
  assertValidDims(dims);
  return texts.map((text) => lexicalEmbedding(text, dims));
}
