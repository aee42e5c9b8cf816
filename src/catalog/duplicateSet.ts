/**
 * Exact-duplicate detection over a stream of sha256 hex content hashes with bounded memory.
 *
 * Each slot is four consecutive words of one flat Uint32Array — three fingerprint words and
 * `ordinal + 1` (0 = empty) — so 16 bytes per slot, one cache line per probe, and no per-entry
 * objects or strings. With growth at 50% load the table holds 2–4 slots per distinct hash
 * (32–64 bytes), plus the old table while doubling.
 */

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** ordinal + 1 must fit a Uint32 word and stay non-zero. */
const MAX_ORDINAL = 0xfffffffe;
const DEFAULT_CAPACITY = 1024;
/** 2^28 slots = a 4 GiB table, room for 134M distinct hashes. */
const MAX_CAPACITY = 2 ** 28;
/** Words per slot: fingerprint a, b, c, then ordinal + 1. */
const STRIDE = 4;

/** Open-addressing hash set of 96-bit fingerprints (the first 24 hex chars of a sha256 hex digest), each with the ordinal where it first appeared. Collision odds of distinct sha256 values at 10M entries are about 1e-15. */
export class DuplicateSet {
  private capacity: number;
  private mask: number;
  private slots: Uint32Array;
  private count = 0;

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
    this.capacity = initialCapacity;
    this.mask = initialCapacity - 1;
    this.slots = new Uint32Array(initialCapacity * STRIDE);
  }

  /** Distinct fingerprints recorded so far. */
  get size(): number {
    return this.count;
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
    const a = parseInt(sha256Hex.slice(0, 8), 16) >>> 0;
    const b = parseInt(sha256Hex.slice(8, 16), 16) >>> 0;
    const c = parseInt(sha256Hex.slice(16, 24), 16) >>> 0;

    const slots = this.slots;
    // The digest is uniformly distributed, so its first word is already a good slot hash.
    let slot = a & this.mask;
    for (;;) {
      const i = slot * STRIDE;
      const stored = slots[i + 3]!;
      if (stored === 0) break;
      if (slots[i] === a && slots[i + 1] === b && slots[i + 2] === c) return stored - 1;
      slot = (slot + 1) & this.mask;
    }

    if ((this.count + 1) * 2 > this.capacity) {
      this.grow();
      slot = this.emptySlotFor(a);
    }
    this.write(slot, a, b, c, ordinal + 1);
    this.count++;
    return -1;
  }

  private write(slot: number, a: number, b: number, c: number, stored: number): void {
    const i = slot * STRIDE;
    this.slots[i] = a;
    this.slots[i + 1] = b;
    this.slots[i + 2] = c;
    this.slots[i + 3] = stored;
  }

  private emptySlotFor(a: number): number {
    let slot = a & this.mask;
    while (this.slots[slot * STRIDE + 3] !== 0) slot = (slot + 1) & this.mask;
    return slot;
  }

  private grow(): void {
    if (this.capacity >= MAX_CAPACITY)
      throw new RangeError(`DuplicateSet cannot grow beyond ${MAX_CAPACITY} slots`);
    const old = this.slots;
    this.capacity *= 2;
    this.mask = this.capacity - 1;
    this.slots = new Uint32Array(this.capacity * STRIDE);
    for (let i = 0; i < old.length; i += STRIDE) {
      const stored = old[i + 3]!;
      if (stored === 0) continue;
      const a = old[i]!;
      this.write(this.emptySlotFor(a), a, old[i + 1]!, old[i + 2]!, stored);
    }
  }
}

function describe(value: unknown): string {
  if (typeof value !== 'string') return typeof value;
  return value.length > 70 ? `a ${value.length}-character string` : JSON.stringify(value);
}
