/**
 * Runs a metric over samples held in memory, optionally split into ordered shards whose states are
 * merged — the same protocol the database runner follows, for tests, benchmarks and notebooks.
 */
import { exactNeighbourIndex } from './embedding/neighbourIndex.js';
import type {
  CausalLanguageModel,
  MetricDefinition,
  MetricEnvironment,
  MetricOutcome,
  MetricSample,
  SampleValue,
} from './types.js';

export interface InMemoryRunOptions {
  /** Samples per `update` call (default 1000). */
  batchSize?: number;
  /** Contiguous shards computed with separate states, then merged left to right (default 1). */
  shards?: number;
  /** Other versions' samples by id (with `embedding`s), for metrics that compare against a base version. */
  versions?: ReadonlyMap<number, readonly MetricSample[]>;
  /** The causal language model(s) of metrics that read texts through one, by full name. */
  languageModel?: (name: string) => Promise<CausalLanguageModel>;
  /** The judge connection judge metrics talk to (src/judges opens real ones). */
  judge?: MetricEnvironment['judge'];
}

export interface InMemoryRunResult {
  outcome: MetricOutcome;
  /** Per-sample values in the order they were emitted. */
  sampleValues: SampleValue[];
}

export async function runInMemory<P>(
  metric: MetricDefinition<P>,
  params: P,
  samples: readonly MetricSample[],
  options: InMemoryRunOptions = {},
): Promise<InMemoryRunResult> {
  const batchSize = options.batchSize ?? 1000;
  const shards = splitIntoShards(samples, options.shards ?? 1);

  let prepared: unknown;
  const prepass = metric.prepass?.(params);
  if (prepass) {
    const states = shards.map((shard) => {
      const state = prepass.init();
      for (const batch of batches(shard, batchSize)) prepass.update(state, batch);
      return state;
    });
    prepared = prepass.result(states.reduce((left, right) => prepass.merge(left, right)));
  }

  const environment = inMemoryEnvironment(samples, options.versions, options.languageModel);
  if (options.judge) environment.judge = options.judge;
  const accumulator = metric.create(params, prepared, environment);
  const sampleValues: SampleValue[] = [];
  const emit = (value: SampleValue) => sampleValues.push(value);
  const states: unknown[] = [];
  for (const shard of shards) {
    const state = accumulator.init();
    for (const batch of batches(shard, batchSize)) await accumulator.update(state, batch, emit);
    states.push(state);
  }
  let merged = states[0];
  for (const state of states.slice(1)) merged = await accumulator.merge(merged, state);
  const outcome = await accumulator.finalize(merged);
  return { outcome, sampleValues };
}

/** Nearest-neighbour searches over the given samples' vectors, always by exact scan. */
export function inMemoryEnvironment(
  samples: readonly MetricSample[],
  versions: ReadonlyMap<number, readonly MetricSample[]> = new Map(),
  languageModel?: (name: string) => Promise<CausalLanguageModel>,
): MetricEnvironment {
  const indexOf = (of: readonly MetricSample[], excludeSelf: boolean) =>
    exactNeighbourIndex(
      of.filter((s) => s.embedding).map((s) => ({ ordinal: s.ordinal, vector: s.embedding! })),
      excludeSelf,
    );
  return {
    sampleCount: samples.length,
    ownNeighbours: async () => indexOf(samples, true),
    async versionNeighbours(versionId) {
      const other = versions.get(versionId);
      if (!other) throw new Error(`version ${versionId} is not among the in-memory versions`);
      return indexOf(other, false);
    },
    ...(languageModel ? { languageModel } : {}),
  };
}

/** Splits into `count` contiguous, nearly equal, possibly empty shards. */
export function splitIntoShards<T>(items: readonly T[], count: number): T[][] {
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`shard count must be a positive integer, got ${count}`);
  const shards: T[][] = [];
  for (let i = 0; i < count; i++) {
    shards.push(
      items.slice(Math.floor((i * items.length) / count), Math.floor(((i + 1) * items.length) / count)),
    );
  }
  return shards;
}

function* batches<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
