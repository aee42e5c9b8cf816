/**
 * A seeded random subset of size min(n, subsetSize) that is mergeable exactly: bottom-k sampling.
 *
 * Every sample gets a 53-bit priority derived from sha256(`${seed}:${contentHash}`); the subset is
 * the k = subsetSize samples with the smallest (priority, ordinal). Keeping "the k smallest" is
 * associative and commutative, so shards of a version, batched in any way and merged in any order,
 * select exactly the subset a single pass selects, and the order of samples in the input is
 * irrelevant.
 *
 * The priority depends on the sample's content hash, not on its ordinal: this is coordinated
 * sampling. A child version that keeps some of its parent's samples (a filter, a dedup) gives them
 * the same priorities, so wherever the two versions overlap they tend to be measured on the same
 * texts: every sample of the parent's subset that survives into the child is in the child's
 * subset too (it is still among the k smallest of a smaller population). Differences between the
 * two values then reflect the data, not sampling noise. Ties in priority (the same content at two
 * ordinals) are broken by ordinal.
 *
 * Before scoring, the subset is put in a canonical order (ascending priority, then ordinal), so a
 * pairwise metric's floating-point result never depends on batch or shard boundaries.
 *
 * Memory is O(k): at most 2k texts are held between trims.
 */
import { createHash } from 'node:crypto';
import type { Accumulator, MetricOutcome, MetricSample, ParamSpec, TextField } from './types.js';
import { sampleText } from './types.js';

export const SUBSET_SEED_PARAM: ParamSpec = {
  type: 'int',
  default: 0,
  min: 0,
  max: 2147483647,
  description: 'Seed of the random subset (bottom-k by sha256(seed:contentHash)).',
};

export const SUBSET_SIZE_PARAM: ParamSpec = {
  type: 'int',
  default: 1000,
  min: 2,
  max: 20000,
  description:
    'Size of the seeded random subset the pairwise metric is computed over (all samples when fewer).',
};

/** The resolved parameters of a metric over a seeded subset (with the `field` text parameter). */
export type SubsetMetricParams = { field: TextField; seed: number; subsetSize: number };

/** A subset member: its text, or whatever else the metric keeps of it (a vector). */
export interface SubsetEntry<T = string> {
  ordinal: number;
  /** Integer in [0, 2^53). */
  priority: number;
  item: T;
}

/** Accumulator state: plain, JSON-serialisable data. */
export interface SubsetState<T = string> {
  /** Samples offered so far (the population size once all shards are merged). */
  seen: number;
  /** Candidates; unsorted beyond the last trim, never more than 2k. */
  entries: SubsetEntry<T>[];
  /** The largest kept entry after the last trim to k (anything larger can never enter), or null. */
  bound: { priority: number; ordinal: number } | null;
}

const TWO_POW_21 = 2 ** 21;

/** The 53-bit sampling priority of a sample: the top 53 bits of sha256(`${seed}:${contentHash}`). */
export function subsetPriority(seed: number, contentHash: string): number {
  const digest = createHash('sha256').update(`${seed}:${contentHash}`).digest();
  return digest.readUInt32BE(0) * TWO_POW_21 + (digest.readUInt32BE(4) >>> 11);
}

/** Canonical order: ascending priority, then ordinal. */
export function compareSubsetEntries(
  a: { priority: number; ordinal: number },
  b: { priority: number; ordinal: number },
): number {
  return a.priority - b.priority || a.ordinal - b.ordinal;
}

export function createSubsetState<T = string>(): SubsetState<T> {
  return { seen: 0, entries: [], bound: null };
}

/** Sorts canonically and keeps the k smallest entries. */
function trim<T>(state: SubsetState<T>, k: number): void {
  state.entries.sort(compareSubsetEntries);
  if (state.entries.length >= k) {
    state.entries.length = k;
    const last = state.entries[k - 1]!;
    state.bound = { priority: last.priority, ordinal: last.ordinal };
  }
}

/**
 * Offers one sample to the subset. `item` is only called when the sample may enter the subset, so
 * samples that cannot are skipped without building their text.
 */
export function offerToSubset<T>(
  state: SubsetState<T>,
  k: number,
  seed: number,
  sample: { ordinal: number; contentHash: string },
  item: () => T,
): void {
  state.seen += 1;
  const priority = subsetPriority(seed, sample.contentHash);
  const bound = state.bound;
  if (bound !== null && compareSubsetEntries({ priority, ordinal: sample.ordinal }, bound) > 0) return;
  state.entries.push({ ordinal: sample.ordinal, priority, item: item() });
  if (state.entries.length >= 2 * k) trim(state, k);
}

/** Union of two states, keeping the k smallest. Reuses `left`. */
export function mergeSubsets<T>(left: SubsetState<T>, right: SubsetState<T>, k: number): SubsetState<T> {
  left.seen += right.seen;
  for (const entry of right.entries) left.entries.push(entry);
  left.bound = null;
  trim(left, k);
  return left;
}

/** The final subset, in canonical order (ascending priority, then ordinal). */
export function finalSubset<T>(state: SubsetState<T>, k: number): SubsetEntry<T>[] {
  trim(state, k);
  return state.entries.slice();
}

/** The subset of `samples` a metric with these parameters is computed over, in canonical order. */
export function selectSeededSubset(
  samples: readonly MetricSample[],
  field: TextField,
  seed: number,
  subsetSize: number,
): SubsetEntry[] {
  const state = createSubsetState();
  for (const sample of samples)
    offerToSubset(state, subsetSize, seed, sample, () => sampleText(sample, field));
  return finalSubset(state, subsetSize);
}

export interface SubsetScore {
  value: number;
  details?: Record<string, unknown>;
}

/**
 * The accumulator of a metric computed over the seeded subset. `score` receives the subset's texts
 * in canonical order (at least 2 of them) and returns the value.
 */
export function seededSubsetAccumulator(
  params: SubsetMetricParams,
  score: (texts: string[]) => SubsetScore,
): Accumulator<SubsetState> {
  const { field, seed, subsetSize: k } = params;
  return {
    init: createSubsetState,
    update(state, batch) {
      for (const sample of batch) offerToSubset(state, k, seed, sample, () => sampleText(sample, field));
    },
    merge: (left, right) => mergeSubsets(left, right, k),
    finalize(state): MetricOutcome {
      const subset = finalSubset(state, k);
      const sampled = state.seen > k;
      const base = {
        n: subset.length,
        estimator: sampled ? ('SAMPLED' as const) : ('EXACT' as const),
        ...(sampled ? { sampleSize: subset.length } : {}),
      };
      const details = { seed, subsetSize: k, population: state.seen };
      if (subset.length < 2) {
        return { ...base, value: null, reason: `needs at least 2 samples, got ${subset.length}`, details };
      }
      const result = score(subset.map((entry) => entry.item));
      return { ...base, value: result.value, details: { ...details, ...result.details } };
    },
  };
}
