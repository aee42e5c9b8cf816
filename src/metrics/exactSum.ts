/**
 * Exact floating-point summation (Shewchuk 1997, the algorithm behind Python's math.fsum). The
 * running total is kept as non-overlapping partials whose exact sum is the exact sum of every value
 * added, and it is rounded once at the end. Sums are therefore identical however the values were
 * ordered, batched or split into shards and merged, which the shard-merge guarantee of the metric
 * engine relies on.
 */
export class ExactSum {
  private readonly partials: number[] = [];

  add(value: number): this {
    const partials = this.partials;
    let x = value;
    let kept = 0;
    for (let i = 0; i < partials.length; i++) {
      let y = partials[i]!;
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) partials[kept++] = lo;
      x = hi;
    }
    partials.length = kept;
    partials.push(x);
    return this;
  }

  /** Adds everything `other` holds (other is left unchanged). */
  addAll(other: ExactSum): this {
    for (const partial of other.partials) this.add(partial);
    return this;
  }

  /** The exact total, correctly rounded to a double (CPython's fsum ending, half-way cases included). */
  get value(): number {
    const partials = this.partials;
    let n = partials.length;
    if (n === 0) return 0;
    let hi = partials[--n]!;
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = partials[--n]!;
      hi = x + y;
      lo = y - (hi - x);
      if (lo !== 0) break;
    }
    if (n > 0 && ((lo < 0 && partials[n - 1]! < 0) || (lo > 0 && partials[n - 1]! > 0))) {
      const y = lo * 2;
      const x = hi + y;
      if (y === x - hi) hi = x;
    }
    return hi;
  }
}

/** Correctly rounded sum of finite floats, like Python's math.fsum. */
export function fsum(values: ArrayLike<number>): number {
  const sum = new ExactSum();
  for (let i = 0; i < values.length; i++) sum.add(values[i]!);
  return sum.value;
}
