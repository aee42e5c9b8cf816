/** The TInt workload every configuration of bench/tint generates (only n changes). */
import type { TIntSpecInput } from '../../src/tint/spec.js';

export function workload(n: number): TIntSpecInput {
  return {
    op: 'mul',
    digits: [1, 5],
    n,
    static: { doc: 0.5, char: 0.3, line: 0 },
    dynamic: { doc: 0.2, p: 0.2 },
    seed: 1,
  };
}

export const WORKLOAD_TEXT = 'mul, digits 1-5, static doc=0.5 char=0.3 line=0, dynamic doc=0.2 p=0.2, seed 1';

/** Samples per batch, as the tint.generate job streams them. */
export const BATCH_SIZE = 1000;
