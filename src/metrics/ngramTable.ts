/**
 * Compact n-gram counting for the lexical diversity metrics.
 *
 * Each token string is hashed once into two independent 32-bit hashes (FNV-1a and a
 * Murmur3-style hash with its own seed, both over UTF-16 code units). An n-gram's fingerprint is
 * 64 bits: two 32-bit lanes, each combining the n token hashes of its lane with a Murmur3-style
 * block mix (order-sensitive: the chain is not commutative), seeded with n and finished with
 * fmix32. Fingerprints depend only on the tokens and n, so they are canonical: the same n-gram has
 * the same fingerprint in every process and shard, and tables from different shards merge by
 * adding counts.
 *
 * Collisions: n-grams are identified by their 64-bit fingerprint only. With D distinct n-grams the
 * expected number of colliding pairs is about D^2 / 2^65 (3e-8 for D = 1e6, 3e-4 for D = 1e8), and
 * a collision lowers a distinct count by one. Every mixing step is a bijection, so two tokens of
 * equal length that differ in one code unit never collide in a lane, and neither do two n-grams
 * whose token hashes differ (in that lane) at exactly one position.
 *
 * `NgramTable` indexes the fingerprints with the shared HashTable (hashTable.ts: open addressing,
 * linear probing, grows at 50% load, 16 bytes per slot) and keeps the counts in a Float64Array by
 * entry: about 40-80 bytes per distinct n-gram, no per-entry objects or strings. Large tables are
 * bound by memory latency (a random slot per n-gram), so the bulk operations (`addAll`, `getAll`,
 * `mergeFrom`) touch the slots of a group of fingerprints before probing them, letting the CPU
 * overlap the cache misses.
 */
import { fmix32 } from '../fmix32.js';
import { HashTable } from './hashTable.js';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const TOKEN_SEED_B = 0x9747b28c;
const NGRAM_SEED_HI = 0x5bd1e995;
const NGRAM_SEED_LO = 0x27d4eb2f;
/** Fingerprints whose slots are touched together before probing (memory-level parallelism). */
const GROUP = 32;

/**
 * A growable list of pairs of 32-bit words (token hashes or n-gram fingerprints), stored as
 * signed 32-bit integers (the same bits; V8 keeps them unboxed). Reuse one buffer (`reset`) to
 * avoid allocation.
 */
export class PairBuffer {
  hi: Int32Array;
  lo: Int32Array;
  length = 0;

  constructor(initialCapacity = 256) {
    const capacity = Math.max(4, initialCapacity);
    this.hi = new Int32Array(capacity);
    this.lo = new Int32Array(capacity);
  }

  reset(): void {
    this.length = 0;
  }

  /** Makes room for `extra` more pairs. */
  ensure(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.hi.length) return;
    let capacity = this.hi.length * 2;
    while (capacity < needed) capacity *= 2;
    const hi = new Int32Array(capacity);
    const lo = new Int32Array(capacity);
    hi.set(this.hi.subarray(0, this.length));
    lo.set(this.lo.subarray(0, this.length));
    this.hi = hi;
    this.lo = lo;
  }

  push(hi: number, lo: number): void {
    if (this.length === this.hi.length) this.ensure(1);
    this.hi[this.length] = hi;
    this.lo[this.length] = lo;
    this.length++;
  }

  /** Appends pairs [start, end) of `other`. */
  pushFrom(other: PairBuffer, start = 0, end: number = other.length): void {
    const s = Math.max(0, start);
    const e = Math.min(other.length, end);
    if (e <= s) return;
    this.ensure(e - s);
    this.hi.set(other.hi.subarray(s, e), this.length);
    this.lo.set(other.lo.subarray(s, e), this.length);
    this.length += e - s;
  }
}

/** Per-token hash pairs (lane `hi`: FNV-1a, lane `lo`: Murmur3-style). */
export class TokenHashBuffer extends PairBuffer {
  /** Hashes one token string and appends its hash pair. */
  pushToken(token: string): void {
    if (this.length === this.hi.length) this.ensure(1);
    let a = FNV_OFFSET;
    let b = TOKEN_SEED_B;
    const len = token.length;
    for (let i = 0; i < len; i++) {
      const c = token.charCodeAt(i);
      a = Math.imul(a ^ c, FNV_PRIME);
      let k = Math.imul(c, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      b ^= k;
      b = (b << 13) | (b >>> 19);
      b = (Math.imul(b, 5) + 0xe6546b64) | 0;
    }
    this.hi[this.length] = a;
    this.lo[this.length] = fmix32(b ^ len);
    this.length++;
  }

  pushTokens(tokens: readonly string[]): void {
    this.ensure(tokens.length);
    for (const token of tokens) this.pushToken(token);
  }
}

/** Hashes the tokens into a fresh buffer. */
export function hashTokens(tokens: readonly string[]): TokenHashBuffer {
  const buffer = new TokenHashBuffer(tokens.length);
  buffer.pushTokens(tokens);
  return buffer;
}

/** Lane hi of the fingerprint of the n-gram of token hashes [start, start + n). */
function laneHi(hashes: Int32Array, start: number, n: number): number {
  let h = NGRAM_SEED_HI ^ Math.imul(n, 0x9e3779b1);
  for (let i = start; i < start + n; i++) {
    let k = Math.imul(hashes[i]!, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  return fmix32(h ^ n);
}

/** Lane lo: the same construction with its own seed and constants, over the other token hash. */
function laneLo(hashes: Int32Array, start: number, n: number): number {
  let h = NGRAM_SEED_LO ^ Math.imul(n, 0x7feb352d);
  for (let i = start; i < start + n; i++) {
    let k = Math.imul(hashes[i]!, 0x846ca68b);
    k = (k << 17) | (k >>> 15);
    k = Math.imul(k, 0x3c6ef373);
    h ^= k;
    h = (h << 11) | (h >>> 21);
    h = (Math.imul(h, 9) + 0x165667b1) | 0;
  }
  return fmix32(h ^ (n << 2));
}

/** Receives one n-gram fingerprint (two unsigned 32-bit words) and the n-gram's start index. */
export type NgramVisitor = (fpHi: number, fpLo: number, start: number) => void;

/**
 * Calls `visit` with the fingerprint of every n-gram [s, e) of `tokens` whose exclusive end e lies
 * in [firstEnd, lastEnd] (defaults: every n-gram). E.g. firstEnd = k + 1 visits only the n-grams
 * whose last token is at index >= k.
 */
export function forEachNgram(
  tokens: PairBuffer,
  n: number,
  visit: NgramVisitor,
  firstEnd: number = n,
  lastEnd: number = tokens.length,
): void {
  const to = Math.min(lastEnd, tokens.length);
  for (let e = Math.max(firstEnd, n); e <= to; e++)
    visit(laneHi(tokens.hi, e - n, n), laneLo(tokens.lo, e - n, n), e - n);
}

/** Appends the fingerprints forEachNgram would visit (same arguments) to `out`; returns how many. */
export function appendNgrams(
  tokens: PairBuffer,
  n: number,
  out: PairBuffer,
  firstEnd: number = n,
  lastEnd: number = tokens.length,
): number {
  const from = Math.max(firstEnd, n);
  const to = Math.min(lastEnd, tokens.length);
  if (to < from) return 0;
  out.ensure(to - from + 1);
  const hiHashes = tokens.hi;
  const loHashes = tokens.lo;
  const outHi = out.hi;
  const outLo = out.lo;
  let k = out.length;
  for (let e = from; e <= to; e++) {
    outHi[k] = laneHi(hiHashes, e - n, n);
    outLo[k] = laneLo(loHashes, e - n, n);
    k++;
  }
  out.length = k;
  return to - from + 1;
}

/** Number of n-grams in a sequence of `length` tokens. */
export function ngramCount(length: number, n: number): number {
  return length >= n ? length - n + 1 : 0;
}

function nextPowerOfTwo(value: number): number {
  let capacity = 16;
  while (capacity < value) capacity *= 2;
  return capacity;
}

/**
 * Hash table from 64-bit n-gram fingerprints to counts: the fingerprint (fpLo, fpHi) is a key of
 * the shared HashTable (fpLo first: its low bits, already fully mixed, pick the home slot) and
 * counts[entry] its count (float64, exact up to 2^53).
 */
export class NgramTable {
  private readonly index: HashTable;
  private counts: Float64Array;
  private sum = 0;

  constructor(initialCapacity = 1024) {
    this.index = new HashTable({ initialCapacity: nextPowerOfTwo(initialCapacity) });
    this.counts = new Float64Array(this.index.capacity / 2);
  }

  /** Distinct fingerprints. */
  get size(): number {
    return this.index.size;
  }

  /** Sum of all counts. */
  get total(): number {
    return this.sum;
  }

  /** Slots (a power of two); at most half of them are used. */
  get capacity(): number {
    return this.index.capacity;
  }

  /** Adds `count` (a positive integer) to the fingerprint's count; returns the new count. */
  add(fpHi: number, fpLo: number, count = 1): number {
    if (!(count > 0)) return this.get(fpHi, fpLo);
    return this.insert(fpHi, fpLo, count);
  }

  /** Adds 1 for each fingerprint of `fingerprints` (what many `add` calls would do, faster). */
  addAll(fingerprints: PairBuffer): void {
    const his = fingerprints.hi;
    const los = fingerprints.lo;
    const length = fingerprints.length;
    for (let base = 0; base < length; base += GROUP) {
      const end = Math.min(length, base + GROUP);
      this.reserve(this.index.size + (end - base));
      this.index.touch(los, base, end);
      for (let j = base; j < end; j++) this.insert(his[j]!, los[j]!, 1);
    }
  }

  /** The fingerprint's count, 0 when absent. */
  get(fpHi: number, fpLo: number): number {
    const entry = this.index.find(fpLo, fpHi, 0);
    return entry < 0 ? 0 : this.counts[entry]!;
  }

  /** Writes the count of fingerprint j into out[j] (what many `get` calls would do, faster). */
  getAll(fingerprints: PairBuffer, out: Float64Array): void {
    const his = fingerprints.hi;
    const los = fingerprints.lo;
    const length = fingerprints.length;
    for (let base = 0; base < length; base += GROUP) {
      const end = Math.min(length, base + GROUP);
      this.index.touch(los, base, end);
      for (let j = base; j < end; j++) out[j] = this.get(his[j]!, los[j]!);
    }
  }

  /** Visits every entry, fingerprint words as unsigned 32-bit (in slot order, not meaningful). */
  forEach(visit: (fpHi: number, fpLo: number, count: number) => void): void {
    const counts = this.counts;
    this.index.forEach((lo, hi, _unused, entry) => visit(hi >>> 0, lo >>> 0, counts[entry]!));
  }

  /** Adds every count of `other` into this table (the union of two shards' tables). */
  mergeFrom(other: NgramTable): this {
    this.reserve(Math.max(this.index.size, other.index.size));
    const his = new Int32Array(GROUP);
    const los = new Int32Array(GROUP);
    const values = new Float64Array(GROUP);
    const counts = other.counts;
    let k = 0;
    const flush = () => {
      this.reserve(this.index.size + k);
      this.index.touch(los, 0, k);
      for (let j = 0; j < k; j++) this.insert(his[j]!, los[j]!, values[j]!);
      k = 0;
    };
    other.index.forEach((lo, hi, _unused, entry) => {
      his[k] = hi;
      los[k] = lo;
      values[k] = counts[entry]!;
      if (++k === GROUP) flush();
    });
    flush();
    return this;
  }

  /** Grows so that `distinct` entries fit within the 50% load limit. */
  reserve(distinct: number): void {
    this.index.reserve(distinct);
  }

  /** Adds to an existing entry or makes a new one; returns the new count. */
  private insert(hi: number, lo: number, count: number): number {
    const entry = this.index.add(lo, hi, 0);
    let counts = this.counts;
    if (entry >= counts.length) {
      counts = new Float64Array(Math.max(this.index.capacity / 2, entry + 1));
      counts.set(this.counts);
      this.counts = counts;
    }
    const updated = counts[entry]! + count;
    counts[entry] = updated;
    this.sum += count;
    return updated;
  }
}

/**
 * A set of fingerprints that clears in O(size), for finding one sample's unique n-grams without
 * allocating per sample: a clearable HashTable (see hashTable.ts). Grows at 50% load.
 */
export class FingerprintSet {
  private readonly index: HashTable;

  constructor(initialCapacity = 256) {
    this.index = new HashTable({ initialCapacity: nextPowerOfTwo(initialCapacity), clearable: true });
  }

  get size(): number {
    return this.index.size;
  }

  clear(): void {
    this.index.clear();
  }

  /** Adds the fingerprint; true when it was not in the set yet. */
  add(fpHi: number, fpLo: number): boolean {
    const size = this.index.size;
    return this.index.add(fpLo, fpHi, 0) === size;
  }
}
