/**
 * The n-grams of one token list as integer ids, one order at a time (1, then 2, 3, ...), so that
 * no n-gram is ever built as a string. Tokens never contain whitespace, so two n-grams joined by
 * spaces are equal strings exactly when their tokens are equal, that is when their ids are equal.
 * Ids are numbered from 0 in order of first occurrence, the order in which a Map keyed by the
 * joined strings would iterate them.
 *
 * Order 1 interns the tokens with a Map. The n-gram at position i is the pair (id of the (n-1)-gram
 * at i, id of token i+n-1): `extend` finds the distinct pairs with the shared HashTable (its entry
 * numbers are the ids) and overwrites the ids in place. Every array is allocated once per token list.
 */
import { HashTable } from '../hashTable.js';

export class NgramIds {
  /** The current order. */
  n = 1;
  /** How many n-grams the tokens have (tokens - n + 1, at least 0). */
  positions: number;
  /** How many distinct n-grams: ids run from 0 to count - 1. */
  count: number;
  /** ids[i] is the id of the n-gram starting at token i, for i < positions. */
  readonly ids: Int32Array;
  /** The order-1 ids, kept apart since `ids` is overwritten by each order. */
  private readonly tokenIds: Int32Array;
  /** The n-grams of the current order: key (pairHash, prefix id, last token id), entry = id. */
  private readonly table: HashTable;
  /** Scratch per n-gram id for the callers (see zeroedTally). */
  private readonly tally: Int32Array;

  constructor(tokens: readonly string[]) {
    const length = tokens.length;
    this.ids = new Int32Array(length);
    const table = new Map<string, number>();
    for (let i = 0; i < length; i++) {
      const token = tokens[i]!;
      let id = table.get(token);
      if (id === undefined) {
        id = table.size;
        table.set(token, id);
      }
      this.ids[i] = id;
    }
    this.tokenIds = this.ids.slice();
    this.positions = length;
    this.count = table.size;
    // Room for every position at the 50% load limit: the table never grows.
    this.table = new HashTable({ initialCapacity: 2 * length, clearable: true });
    this.tally = new Int32Array(length);
  }

  /** Moves to order n + 1. */
  extend(): void {
    this.n++;
    const previousPositions = this.positions;
    this.positions = Math.max(0, previousPositions - 1);
    // When every (n-1)-gram is distinct, its id is its position, and the same holds for the n-grams.
    if (this.count === previousPositions) {
      this.count = this.positions;
      return;
    }
    const { ids, tokenIds, table, n, positions } = this;
    table.clear();
    for (let i = 0; i < positions; i++) {
      const prefix = ids[i]!;
      const last = tokenIds[i + n - 1]!;
      ids[i] = table.add(pairHash(prefix, last), prefix, last); // ids[i] is not read again at this order
    }
    this.count = table.size;
  }

  /** A scratch array of count zeros, for counting or marking n-grams by id (valid until the next call). */
  zeroedTally(): Int32Array {
    this.tally.fill(0, 0, this.count);
    return this.tally;
  }
}

/** A 32-bit hash of two 32-bit integers (multiplicative mixing, then an avalanche step). */
function pairHash(a: number, b: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 13);
}
