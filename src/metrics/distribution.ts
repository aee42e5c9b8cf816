/**
 * Exact, mergeable summaries of per-sample values (counts, sum, min, max, mean, quantiles), and
 * a generic accumulator for metrics whose value is the mean of one number per sample.
 *
 * Quantiles follow the linear-interpolation definition, Hyndman & Fan (1996) type 7 — the
 * default of numpy.quantile / numpy.percentile and pandas.Series.quantile. For the n values
 * sorted ascending, x[0] <= ... <= x[n-1], and 0 <= q <= 1:
 *
 *   h = (n - 1) * q,  j = floor(h),  t = h - j
 *   Q(q) = x[j] + t * (x[j+1] - x[j])        (Q(q) = x[j] when t = 0)
 *
 * so the median of an even count is the mean of the two middle values, Q(0) is the minimum and
 * Q(1) the maximum. The interpolation is evaluated as numpy does (from the upper neighbour when
 * t >= 0.5), so results agree with numpy to the last bit for integer data.
 *
 * Both summaries keep a histogram (value -> count) instead of the values, so memory is bounded by
 * the number of distinct values and two summaries merge by adding counts: a merged summary is
 * identical to the summary of the concatenated values, whatever the sharding.
 */
import { ExactSum } from './exactSum.js';
import type { Accumulator, MetricOutcome, MetricSample, SampleValue } from './types.js';

/** The figures every distribution reports; all null when it holds no values. */
export interface DistributionSummary {
  count: number;
  sum: number;
  mean: number | null;
  median: number | null;
  p90: number | null;
  min: number | null;
  max: number | null;
}

/** The summary figures a metric's `details` report (mean, median, p90, min, max). */
export function summaryDetails(summary: DistributionSummary) {
  return { mean: summary.mean, median: summary.median, p90: summary.p90, min: summary.min, max: summary.max };
}

function checkQuantile(q: number): void {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
}

/** numpy's lerp: a + t (b - a), computed from b when t >= 0.5 (numpy.lib._function_base_impl._lerp). */
function lerp(a: number, b: number, t: number): number {
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/**
 * Type-7 quantile of a histogram: `keys` ascending, `counts` the matching counts, `total` their sum
 * (> 0). `value(key)` maps a key to the value it stands for.
 */
function histogramQuantile(
  keys: readonly number[],
  counts: ReadonlyMap<number, number>,
  total: number,
  q: number,
  value: (key: number) => number,
): number {
  const h = (total - 1) * q;
  const j = Math.floor(h);
  const t = h - j;
  // Walk the cumulative counts to the order statistics x[j] and x[j+1].
  let seen = 0;
  let lower: number | undefined;
  for (const key of keys) {
    seen += counts.get(key)!;
    if (lower === undefined && seen > j) {
      lower = value(key);
      if (t === 0) return lower;
    }
    if (lower !== undefined && seen > j + 1) return lerp(lower, value(key), t);
  }
  // Unreachable: j + 1 <= total - 1 whenever t > 0.
  throw new Error('histogram quantile out of range');
}

/**
 * What both distributions share: a histogram of integer keys with counts, the count, min and max,
 * and everything derived from them. Subclasses say what a key stands for and how the sum is kept.
 */
abstract class HistogramDistribution {
  protected readonly counts = new Map<number, number>();
  private sortedKeys: number[] | null = [];
  count = 0;
  min = Infinity;
  max = -Infinity;

  abstract get sum(): number;
  /** The value a histogram key stands for. */
  protected abstract valueOfKey(key: number): number;

  protected addKey(key: number, times: number): void {
    const before = this.counts.get(key);
    this.counts.set(key, (before ?? 0) + times);
    if (before === undefined) this.sortedKeys = null;
  }

  /** Adds `other`'s keys, count, min and max (other is left unchanged). */
  protected mergeHistogram(other: HistogramDistribution): void {
    for (const [key, times] of other.counts) this.addKey(key, times);
    this.count += other.count;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  protected keysAscending(): number[] {
    this.sortedKeys ??= [...this.counts.keys()].sort((a, b) => a - b);
    return this.sortedKeys;
  }

  get mean(): number | null {
    return this.count === 0 ? null : this.sum / this.count;
  }

  /** Type-7 (numpy default) quantile of the values the keys stand for; null when empty. */
  quantile(q: number): number | null {
    checkQuantile(q);
    if (this.count === 0) return null;
    return histogramQuantile(this.keysAscending(), this.counts, this.count, q, (key) => this.valueOfKey(key));
  }

  get median(): number | null {
    return this.quantile(0.5);
  }

  get p90(): number | null {
    return this.quantile(0.9);
  }

  summary(): DistributionSummary {
    const empty = this.count === 0;
    return {
      count: this.count,
      sum: this.sum,
      mean: this.mean,
      median: this.median,
      p90: this.p90,
      min: empty ? null : this.min,
      max: empty ? null : this.max,
    };
  }
}

/**
 * The exact distribution of safe-integer values (token counts, line counts, ...). Sums are exact
 * while they stay below 2^53.
 */
export class IntDistribution extends HistogramDistribution {
  private total = 0;

  get sum(): number {
    return this.total;
  }

  protected valueOfKey(key: number): number {
    return key;
  }

  add(value: number, times = 1): this {
    if (!Number.isSafeInteger(value))
      throw new RangeError(`IntDistribution takes safe integers, got ${value}`);
    if (!Number.isSafeInteger(times) || times < 1)
      throw new RangeError(`times must be a positive integer, got ${times}`);
    const key = value === 0 ? 0 : value; // -0 and 0 share a key
    this.addKey(key, times);
    this.count += times;
    this.total += value * times;
    if (value < this.min) this.min = key;
    if (value > this.max) this.max = key;
    return this;
  }

  /** Adds `other`'s values to this one (other is left unchanged); returns this. */
  merge(other: IntDistribution): this {
    this.mergeHistogram(other);
    this.total += other.total;
    return this;
  }

  /** Number of distinct values (the size of the histogram). */
  get distinct(): number {
    return this.counts.size;
  }

  /** (value, count) pairs in ascending value order. */
  entries(): [number, number][] {
    return this.keysAscending().map((key) => [key, this.counts.get(key)!]);
  }
}

/**
 * The distribution of finite real values (e.g. readability grades).
 *
 * - count, min and max are exact; the sum is exact too — kept as Shewchuk partial sums and
 *   rounded once, so the mean is the correctly rounded exact mean, identical however the values
 *   were split into shards and merged.
 * - Quantiles are exact type-7 quantiles of the values rounded to the nearest RESOLUTION (0.001):
 *   the histogram is keyed by round(value / 0.001). Rounding is monotone, so each order statistic
 *   is off by at most RESOLUTION / 2 and so is any type-7 quantile (a convex combination of two
 *   of them). Memory is bounded by the number of distinct rounded values.
 */
export class FloatDistribution extends HistogramDistribution {
  static readonly RESOLUTION = 0.001;
  private readonly exactSum = new ExactSum();

  /** The exact sum of the (unrounded) values, correctly rounded. */
  get sum(): number {
    return this.exactSum.value;
  }

  /** Keys are round(value * 1000): integer-valued doubles (not necessarily safe integers). */
  protected valueOfKey(key: number): number {
    return key / 1000;
  }

  add(value: number): this {
    const key = Math.round(value * 1000) + 0; // + 0 turns -0 into 0
    if (!Number.isFinite(key))
      throw new RangeError(`FloatDistribution takes finite numbers below 1e305, got ${value}`);
    this.addKey(key, 1);
    this.exactSum.add(value);
    this.count++;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    return this;
  }

  /** Adds `other`'s values to this one (other is left unchanged); returns this. */
  merge(other: FloatDistribution): this {
    this.mergeHistogram(other);
    this.exactSum.addAll(other.exactSum);
    return this;
  }
}

/**
 * An accumulator for metrics whose value is the mean of one integer per sample (token counts,
 * line counts): emits each sample's integer, reports mean / median / p90 / min / max and the total
 * under `totalKey`. Null with a reason when there are no samples.
 */
export function intMeanAccumulator(
  valueOf: (sample: MetricSample) => number,
  totalKey: string,
): Accumulator<IntDistribution> {
  return {
    init: () => new IntDistribution(),
    update(state, batch, emit) {
      for (const sample of batch) {
        const value = valueOf(sample);
        state.add(value);
        emit({ ordinal: sample.ordinal, value } satisfies SampleValue);
      }
    },
    merge: (left, right) => left.merge(right),
    finalize(state): MetricOutcome {
      if (state.count === 0)
        return { value: null, reason: 'no samples', n: 0, estimator: 'EXACT', details: {} };
      const summary = state.summary();
      return {
        value: summary.mean,
        n: state.count,
        estimator: 'EXACT',
        details: { ...summaryDetails(summary), [totalKey]: summary.sum },
      };
    },
  };
}
