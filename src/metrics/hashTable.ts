/**
 * The project's one hand-written hash table: an open-addressing index from fixed-size integer keys
 * to entry numbers. NgramTable and FingerprintSet (n-gram fingerprints), NgramIds
 * (heuristic_quality's n-gram ids), the catalog's DuplicateSet (content hashes) and the lexical
 * embedder's feature counter are all built on it; bench/hashTable measures it against a plain Map
 * or Set on each of those workloads (bench/README.md has the figures and why it is kept).
 *
 * - A key is three 32-bit words (k0, k1, k2); a shorter key passes 0 for the words it lacks. The
 *   home slot is `k0 & mask`, so k0 must already be well mixed (a fingerprint or hash word).
 * - Each distinct key gets an entry number 0, 1, 2, ... in order of first insertion. The values
 *   live in the caller's own arrays, indexed by entry, so one table serves counts, ordinals or ids.
 * - Slot i is the four int32 words 4i..4i+3 of one Int32Array: k0, k1, k2 and entry + 1 (0 = an
 *   empty slot), so a probe compares the key within one 16-byte slot, with no per-entry objects or
 *   strings. Linear probing; the table doubles before an insert would take it over 50% load.
 * - `clear` is O(entries) for a table made with `clearable` (it remembers each entry's slot), so a
 *   per-text table that once grew large stays cheap to empty.
 */

/** Words per slot: k0, k1, k2, entry + 1. */
const STRIDE = 4;
const DEFAULT_MAX_CAPACITY = 2 ** 28;

export interface HashTableOptions {
  /** Slots to start with, rounded up to a power of two (default 16). */
  initialCapacity?: number;
  /** Growing beyond this many slots throws a RangeError (default 2^28, a 4 GiB table). */
  maxCapacity?: number;
  /** Keep each entry's slot so that `clear` costs O(entries) rather than O(capacity). */
  clearable?: boolean;
}

export class HashTable {
  private slots: Int32Array;
  private mask: number;
  private count = 0;
  private readonly maxCapacity: number;
  /** slotOf[entry] = the entry's slot; only for a clearable table. */
  private slotOf: Int32Array | null;
  /** Sink for the loads of `touch`, so they are not optimised away. */
  private touched = 0;

  constructor(options: HashTableOptions = {}) {
    let capacity = 1;
    while (capacity < (options.initialCapacity ?? 16)) capacity *= 2;
    this.maxCapacity = options.maxCapacity ?? DEFAULT_MAX_CAPACITY;
    this.slots = new Int32Array(capacity * STRIDE);
    this.mask = capacity - 1;
    this.slotOf = options.clearable === true ? new Int32Array(Math.ceil(capacity / 2)) : null;
  }

  /** Distinct keys: entries run from 0 to size - 1. */
  get size(): number {
    return this.count;
  }

  /** Slots (a power of two); at most half of them are used. */
  get capacity(): number {
    return this.mask + 1;
  }

  /** The key's entry, or -1 when it is absent. */
  find(k0: number, k1: number, k2: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let i = (k0 & mask) * STRIDE;
    for (;;) {
      const stored = slots[i + 3]!;
      if (stored === 0) return -1;
      if (slots[i] === (k0 | 0) && slots[i + 1] === (k1 | 0) && slots[i + 2] === (k2 | 0)) return stored - 1;
      i = (i + STRIDE) & (mask * STRIDE + STRIDE - 1);
    }
  }

  /** The key's entry; a new key gets entry `size` (so the caller can tell by `size` growing). */
  add(k0: number, k1: number, k2: number): number {
    const a = k0 | 0;
    const b = k1 | 0;
    const c = k2 | 0;
    let slots = this.slots;
    let mask = this.mask;
    let i = (a & mask) * STRIDE;
    for (;;) {
      const stored = slots[i + 3]!;
      if (stored === 0) break;
      if (slots[i] === a && slots[i + 1] === b && slots[i + 2] === c) return stored - 1;
      i = (i + STRIDE) & (mask * STRIDE + STRIDE - 1);
    }
    if ((this.count + 1) * 2 > mask + 1) {
      this.grow();
      slots = this.slots;
      mask = this.mask;
      i = (a & mask) * STRIDE;
      while (slots[i + 3] !== 0) i = (i + STRIDE) & (mask * STRIDE + STRIDE - 1);
    }
    const entry = this.count++;
    slots[i] = a;
    slots[i + 1] = b;
    slots[i + 2] = c;
    slots[i + 3] = entry + 1;
    if (this.slotOf !== null) this.slotOf[entry] = i;
    return entry;
  }

  /** Grows now so that `entries` keys fit within the 50% load limit. */
  reserve(entries: number): void {
    while (entries * 2 > this.mask + 1) this.grow();
  }

  /**
   * Loads the home slot of the keys whose k0 words are k0s[start, end), so that a group of cache
   * misses overlaps before the keys are probed one by one (large tables are bound by memory latency).
   */
  touch(k0s: Int32Array, start: number, end: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let sink = 0;
    for (let j = start; j < end; j++) sink += slots[(k0s[j]! & mask) * STRIDE + 3]!;
    this.touched = sink;
  }

  /** Visits every key with its entry, in slot order (not meaningful). */
  forEach(visit: (k0: number, k1: number, k2: number, entry: number) => void): void {
    const slots = this.slots;
    for (let i = 0; i < slots.length; i += STRIDE) {
      const stored = slots[i + 3]!;
      if (stored !== 0) visit(slots[i]!, slots[i + 1]!, slots[i + 2]!, stored - 1);
    }
  }

  /** Removes every key, keeping the capacity: O(entries) when clearable, else O(capacity). */
  clear(): void {
    const slotOf = this.slotOf;
    if (slotOf === null) this.slots.fill(0);
    else for (let entry = 0; entry < this.count; entry++) this.slots[slotOf[entry]! + 3] = 0;
    this.count = 0;
  }

  /** Doubles the capacity; entries keep their numbers. */
  private grow(): void {
    const oldSlots = this.slots;
    const capacity = (this.mask + 1) * 2;
    if (capacity > this.maxCapacity) {
      throw new RangeError(`hash table cannot grow beyond ${this.maxCapacity} slots`);
    }
    const slots = new Int32Array(capacity * STRIDE);
    const mask = capacity - 1;
    const wrap = mask * STRIDE + STRIDE - 1;
    const slotOf = this.slotOf === null ? null : new Int32Array(capacity / 2);
    for (let j = 0; j < oldSlots.length; j += STRIDE) {
      const stored = oldSlots[j + 3]!;
      if (stored === 0) continue;
      const k0 = oldSlots[j]!;
      let i = (k0 & mask) * STRIDE;
      while (slots[i + 3] !== 0) i = (i + STRIDE) & wrap;
      slots[i] = k0;
      slots[i + 1] = oldSlots[j + 1]!;
      slots[i + 2] = oldSlots[j + 2]!;
      slots[i + 3] = stored;
      if (slotOf !== null) slotOf[stored - 1] = i;
    }
    this.slots = slots;
    this.mask = mask;
    this.slotOf = slotOf;
  }
}
