/**
 * The traced algorithms. Each writes its trace through a Tracer and continues with the values
 * `set` returns, so a corrupted value (dynamic noise) or a value taken from a sample (the
 * verifier) steers everything after it. Single-digit facts (a digit sum, a quotient digit) are
 * not traced; every variable a later step reads is.
 *
 * All loops are bounded by operand lengths except Euclid's, which the tracer's line cap bounds
 * when noise keeps it from reaching zero.
 */
import type { Tracer } from './tracer.js';
import { compareDigits, isZero, stripLeadingZeros, type Num, type Value } from './values.js';

const digitAt = (num: Num, fromRight: number): number => {
  const index = num.length - 1 - fromRight;
  return index >= 0 ? num.charCodeAt(index) - 48 : 0;
};
const toInt = (num: Num): number => Number(num);

/** Writes `name = stripped` when the value has leading zeros. */
function stripped(t: Tracer, name: string, num: Num): Num {
  const clean = stripLeadingZeros(num);
  return clean === num ? num : t.set([name], [clean])[0];
}

/** Column addition with carry, right to left. */
export function add(t: Tracer, x0: Num, y0: Num): Num {
  const [x, y] = t.set(['x', 'y'], [x0, y0], 'input');
  let z = '';
  let c = '0';
  const columns = Math.max(x.length, y.length);
  for (let i = 0; i < columns; i++) {
    const sum = digitAt(x, i) + digitAt(y, i) + toInt(c);
    [z, c] = t.set(['z', 'c'], [String(sum % 10) + z, String(Math.floor(sum / 10))]);
  }
  if (!isZero(c)) [z] = t.set(['z'], [c + z]);
  return z;
}

/** Column subtraction with borrow; when x < y it swaps them and the answer gets a '-'. */
export function sub(t: Tracer, x0: Num, y0: Num): Num {
  let [x, y] = t.set(['x', 'y'], [x0, y0], 'input');
  let negative = false;
  if (compareDigits(x, y) < 0) {
    [x, y] = t.set(['x', 'y'], [y, x]);
    negative = true;
  }
  let z = '';
  let b = '0';
  const columns = Math.max(x.length, y.length);
  for (let i = 0; i < columns; i++) {
    let difference = digitAt(x, i) - digitAt(y, i) - toInt(b);
    let borrow = 0;
    while (difference < 0) {
      difference += 10;
      borrow++;
    }
    [z, b] = t.set(['z', 'b'], [String(difference) + z, String(borrow)]);
  }
  z = stripped(t, 'z', z);
  return negative && !isZero(z) ? `-${z}` : z;
}

/** A number times one digit, right to left with carry (the rows of long multiplication). */
export function mulDigit(t: Tracer, x0: Num, d0: Num): Num {
  const [x, d] = t.set(['x', 'd'], [x0, d0], 'input');
  let z = '';
  let c = '0';
  for (let i = 0; i < x.length; i++) {
    const product = digitAt(x, i) * toInt(d) + toInt(c);
    [z, c] = t.set(['z', 'c'], [String(product % 10) + z, String(Math.floor(product / 10))]);
  }
  if (!isZero(c)) [z] = t.set(['z'], [c + z]);
  return stripped(t, 'z', z);
}

/** Long multiplication: one shifted row per digit of y, summed as it goes. */
export function mul(t: Tracer, x0: Num, y0: Num): Num {
  const [x, y] = t.set(['x', 'y'], [x0, y0], 'input');
  let p: Num | null = null;
  for (let j = 0; j < y.length; j++) {
    const d = y[y.length - 1 - j]!;
    const shifted = x + '0'.repeat(j);
    const row = t.call('t', 'mul_digit', [shifted, d], (u) => mulDigit(u, shifted, d));
    if (p === null) {
      [p] = t.set(['p'], [row]);
    } else {
      const sum: Num = p;
      p = t.call('p', 'add', [sum, row], (u) => add(u, sum, row));
    }
  }
  return stripped(t, 'p', p!);
}

/** Long division, left to right: bring down a digit, write the quotient digit and the remainder. */
export function longDivision(t: Tracer, x0: Num, y0: Num): { q: Num; r: Num } {
  const [x, y] = t.set(['x', 'y'], [x0, y0], 'input');
  const divisor = BigInt(y);
  let q = '';
  let r = '0';
  for (let i = 0; i < x.length; i++) {
    [r] = t.set(['r'], [stripLeadingZeros(r + x[i])]);
    const current = BigInt(r);
    // The quotient digit is a fact; a divisor of zero (only reachable through noise) gives 9.
    const digit = divisor === 0n ? 9n : current / divisor > 9n ? 9n : current / divisor;
    [q, r] = t.set(['q', 'r'], [q + digit.toString(), (current - digit * divisor).toString()]);
  }
  q = stripped(t, 'q', q);
  return { q, r };
}

export function div(t: Tracer, x: Num, y: Num): Num {
  return longDivision(t, x, y).q;
}

export function mod(t: Tracer, x: Num, y: Num): Num {
  return longDivision(t, x, y).r;
}

/** Selection sort: for each position the running minimum m, then the swap. */
export function selectionSort(t: Tracer, list0: readonly Num[]): readonly Num[] {
  let [list] = t.set(['l'], [list0], 'input');
  for (let i = 0; i + 1 < list.length; i++) {
    let [m] = t.set(['m'], [list[i]!]);
    let at = i;
    for (let j = i + 1; j < list.length; j++) {
      if (compareDigits(list[j]!, m) < 0) {
        at = j;
        [m] = t.set(['m'], [list[j]!]);
      }
    }
    if (at !== i) {
      const swapped = [...list];
      [swapped[i], swapped[at]] = [swapped[at]!, swapped[i]!];
      [list] = t.set(['l'], [swapped]);
    }
  }
  return list;
}

/** Euclid: a, b <- b, a mod b until b is zero. */
export function euclid(t: Tracer, a0: Num, b0: Num): Num {
  let [a, b] = t.set(['a', 'b'], [a0, b0], 'input');
  while (!isZero(b)) {
    const dividend = a;
    const divisor = b;
    const r = t.call('r', 'mod', [dividend, divisor], (u) => mod(u, dividend, divisor));
    [a, b] = t.set(['a', 'b'], [b, r]);
  }
  return stripLeadingZeros(a);
}

/** The gcd of a list, folding Euclid over it. */
export function gcdList(t: Tracer, list0: readonly Num[]): Num {
  const [list] = t.set(['l'], [list0], 'input');
  let g = list[0]!;
  for (let k = 1; k < list.length; k++) {
    const left = g;
    const right = list[k]!;
    g = t.call('g', 'euclid', [left, right], (u) => euclid(u, left, right));
  }
  return g;
}

/** Sort, then the middle element, or the mean of the two middle ones (".5" when their sum is odd). */
export function median(t: Tracer, list0: readonly Num[]): Num {
  const [list] = t.set(['l'], [list0], 'input');
  const sorted = t.call('s', 'sort', [list], (u) => selectionSort(u, list));
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return t.set(['m'], [sorted[middle]!])[0];
  const [a, b] = t.set(['a', 'b'], [sorted[middle - 1]!, sorted[middle]!]);
  const total = t.call('t', 'add', [a, b], (u) => add(u, a, b));
  return t.set(['m'], [half(total)])[0];
}

function half(num: Num): Num {
  const value = BigInt(num);
  const whole = (value / 2n).toString();
  return value % 2n === 0n ? whole : `${whole}.5`;
}

export type OperationName = 'add' | 'sub' | 'mul' | 'div' | 'mod' | 'sort' | 'gcd' | 'median';

export interface Operation {
  name: OperationName;
  /** 'pair': two numbers; 'list': one list of numbers. */
  arity: 'pair' | 'list';
  /** Fewest list elements (list operations). */
  minLength?: number;
  /** True when the second operand must not be zero. */
  nonZeroDivisor?: boolean;
  /** Whether the trace contains sub-calls (so the call mode changes it). */
  hasCalls: boolean;
  run(t: Tracer, args: readonly Value[]): Value;
  description: string;
}

const pair = (run: (t: Tracer, x: Num, y: Num) => Num) => (t: Tracer, args: readonly Value[]) =>
  run(t, args[0] as Num, args[1] as Num);
const list = (run: (t: Tracer, l: readonly Num[]) => Value) => (t: Tracer, args: readonly Value[]) =>
  run(t, args[0] as readonly Num[]);

export const OPERATIONS: Record<OperationName, Operation> = {
  add: {
    name: 'add',
    arity: 'pair',
    hasCalls: false,
    run: pair(add),
    description: 'x + y, column addition with carry',
  },
  sub: {
    name: 'sub',
    arity: 'pair',
    hasCalls: false,
    run: pair(sub),
    description: 'x - y, column subtraction with borrow (negative answers get "-")',
  },
  mul: {
    name: 'mul',
    arity: 'pair',
    hasCalls: true,
    run: pair(mul),
    description: 'x * y, long multiplication (calls mul_digit and add)',
  },
  div: {
    name: 'div',
    arity: 'pair',
    nonZeroDivisor: true,
    hasCalls: false,
    run: pair(div),
    description: 'x // y, long division',
  },
  mod: {
    name: 'mod',
    arity: 'pair',
    nonZeroDivisor: true,
    hasCalls: false,
    run: pair(mod),
    description: 'x mod y, long division',
  },
  sort: {
    name: 'sort',
    arity: 'list',
    minLength: 1,
    hasCalls: false,
    run: list(selectionSort),
    description: 'ascending selection sort of a list',
  },
  gcd: {
    name: 'gcd',
    arity: 'list',
    minLength: 2,
    hasCalls: true,
    run: list(gcdList),
    description: 'gcd of a list, Euclid (calls euclid and mod)',
  },
  median: {
    name: 'median',
    arity: 'list',
    minLength: 1,
    hasCalls: true,
    run: list(median),
    description: 'median of a list (calls sort; mean of the middle two for even lengths)',
  },
};

export const OPERATION_NAMES = Object.keys(OPERATIONS) as OperationName[];

export function findOperation(name: string): Operation | undefined {
  return Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name as OperationName] : undefined;
}
