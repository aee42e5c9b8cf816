/**
 * Exact-duplicate detection over a stream of sha256 hex content hashes with bounded memory.
 *
 * The fingerprints are keys of the shared HashTable (src/metrics/hashTable.ts): 16 bytes per slot,
 * one cache line per probe, no per-entry objects or strings; the first ordinals are a Uint32Array
 * by entry. With growth at 50% load the table holds 2–4 slots per distinct hash (36–72 bytes with
 * the ordinals), plus the old table while doubling.
 */
import { HashTable } from '../metrics/hashTable.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** The largest ordinal accepted (2^32 - 2: the table once stored ordinal + 1 in a Uint32 word). */
const MAX_ORDINAL = 0xfffffffe;
const DEFAULT_CAPACITY = 1024;
/** 2^28 slots = a 4 GiB table, room for 134M distinct hashes. */
const MAX_CAPACITY = 2 ** 28;

/** Open-addressing hash set of 96-bit fingerprints (the first 24 hex chars of a sha256 hex digest), each with the ordinal where it first appeared. Collision odds of distinct sha256 values at 10M entries are about 1e-15. */
export class DuplicateSet {
  private readonly index: HashTable;
  /** ordinals[entry]: the ordinal where the entry's hash first appeared. */
  private ordinals: Uint32Array;

  /** `initialCapacity`: a power of two (default 1024); the table doubles when it would exceed 50% load. */
  constructor(initialCapacity: number = DEFAULT_CAPACITY) {
    if (
      !Number.isInteger(initialCapacity) ||
      initialCapacity < 1 ||
      initialCapacity > MAX_CAPACITY ||
      (initialCapacity & (initialCapacity - 1)) !== 0
    ) {
      throw new RangeError(
        `DuplicateSet capacity must be a power of two between 1 and 2^28, got ${initialCapacity}`,
      );
    }
    this.index = new HashTable({ initialCapacity, maxCapacity: MAX_CAPACITY });
    this.ordinals = new Uint32Array(Math.ceil(initialCapacity / 2));
  }

  /** Distinct fingerprints recorded so far. */
  get size(): number {
    return this.index.size;
  }

  /**
   * Records the hash at `ordinal`; returns the ordinal of its first occurrence when it was seen
   * before (the stored ordinal is kept), else -1.
   * Throws TypeError unless `sha256Hex` is 64 lowercase hex characters, RangeError for an ordinal
   * that is not an integer in [0, 2^32 - 2].
   */
  add(sha256Hex: string, ordinal: number): number {
    if (typeof sha256Hex !== 'string' || !SHA256_HEX.test(sha256Hex)) {
      throw new TypeError(
        `expected a sha256 digest as 64 lowercase hex characters, got ${describe(sha256Hex)}`,
      );
    }
    if (!Number.isInteger(ordinal) || ordinal < 0 || ordinal > MAX_ORDINAL) {
      throw new RangeError(`ordinal must be an integer between 0 and ${MAX_ORDINAL}, got ${ordinal}`);
    }
    // The digest is uniformly distributed, so its first word is already a good slot hash.
    const a = parseInt(sha256Hex.slice(0, 8), 16);
    const b = parseInt(sha256Hex.slice(8, 16), 16);
    const c = parseInt(sha256Hex.slice(16, 24), 16);

    const index = this.index;
    const seen = index.find(a, b, c);
    if (seen >= 0) return this.ordinals[seen]!;
    if ((index.size + 1) * 2 > index.capacity && index.capacity >= MAX_CAPACITY)
      throw new RangeError(`DuplicateSet cannot grow beyond ${MAX_CAPACITY} slots`);
    const entry = index.add(a, b, c);
    if (entry >= this.ordinals.length) {
      const ordinals = new Uint32Array(Math.max(index.capacity / 2, entry + 1));
      ordinals.set(this.ordinals);
      this.ordinals = ordinals;
    }
    this.ordinals[entry] = ordinal;
    return -1;
  }
}

function describe(value: unknown): string {
  if (typeof value !== 'string') return typeof value;
  return value.length > 70 ? `a ${value.length}-character string` : JSON.stringify(value);
}
