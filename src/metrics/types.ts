/**
 * The contract every metric implements. Metric code is pure: it never touches the database. A
 * runner streams a version's samples to it in ordinal order, in batches, and stores what
 * `finalize` answers; shards of one version can be computed apart and their states merged.
 */

export type MetricAxis = 'QUALITY' | 'DIVERSITY' | 'COMPLEXITY';
/** NEUTRAL: neither end is better in itself (e.g. response length). */
export type MetricDirection = 'HIGHER_IS_BETTER' | 'LOWER_IS_BETTER' | 'NEUTRAL';
export type Estimator = 'EXACT' | 'SAMPLED' | 'APPROXIMATE';

/** One sample as metrics see it: null prompt/response arrive as ''. */
export interface MetricSample {
  /** 0-based position in its version; unique within the version. */
  ordinal: number;
  /** sha256 hex of the canonical sample (stable across versions that share the sample). */
  contentHash: string;
  prompt: string;
  response: string;
  reference: string | null;
  /**
   * The sample's L2-normalised vector in the run's embedding space; set by the runner for metrics
   * whose `input` is 'embedding' (text metrics never see it).
   */
  embedding?: Float32Array;
}

/** A value for one sample, written to `sample_scores`. */
export interface SampleValue {
  ordinal: number;
  value: number;
  /** Small JSON facts about this sample's value (e.g. the rules it failed). */
  details?: Record<string, unknown>;
}

/** Receives per-sample values during `update` (the runner stores them; tests collect them). */
export type SampleValueSink = (value: SampleValue) => void;

export interface MetricOutcome {
  /** null when the metric cannot be computed on this input; `reason` then says why. */
  value: number | null;
  reason?: string;
  /** Samples the value was computed over (after sampling, after skipping samples the metric does not apply to). */
  n: number;
  estimator: Estimator;
  /** For SAMPLED: the subset size actually used (the seed is a parameter). */
  sampleSize?: number;
  /** Secondary figures (e.g. median and p90, per-order counts), JSON-serialisable. */
  details: Record<string, unknown>;
}

/**
 * init -> update(batch)* -> merge -> finalize. States may be mutated in place; `merge` may
 * reuse either argument and returns the combined state. `right` always holds samples that come
 * after `left`'s in ordinal order (some metrics, e.g. n-grams across sample boundaries, need it).
 */
export interface Accumulator<S> {
  init(): S;
  update(state: S, batch: readonly MetricSample[], emit: SampleValueSink): void | Promise<void>;
  merge(left: S, right: S): S | Promise<S>;
  finalize(state: S): MetricOutcome | Promise<MetricOutcome>;
}

/**
 * A pass over all samples whose result the main accumulator needs before it can see any sample
 * (e.g. document frequencies of 4-grams for self_repetition). The runner streams the samples
 * once for it, then again for the main accumulator.
 */
export interface Prepass<S, R> {
  init(): S;
  update(state: S, batch: readonly MetricSample[]): void;
  merge(left: S, right: S): S;
  result(state: S): R;
}

export type ParamSpec = (
  | { type: 'int'; default: number; min: number; max: number; description: string }
  | { type: 'number'; default: number; min: number; max: number; description: string }
  | { type: 'enum'; default: string; values: readonly string[]; description: string }
  /** An embedding space name (`model@revision:dtype`); '' = the server's default space, replaced by its name before the run. */
  | { type: 'space'; default: ''; description: string }
  /** A version (numeric or global id), required; stored as the numeric id. */
  | { type: 'version'; description: string }
  /** A causal language model (`model@revision:dtype`); '' = the server's default model, replaced by its full name before the run. */
  | { type: 'languageModel'; default: ''; description: string }
  /** Free text (an endpoint URL, a model id, a template name); required when it has no default. */
  | { type: 'string'; default?: string; description: string }
) & {
  /**
   * How a run is carried out, not what it measures (concurrency, retries, which variable holds the
   * API key): recorded with the result but left out of the parameters hash, so runs that differ
   * only in these compare as equal.
   */
  operational?: boolean;
};

export type ParamSchema = Record<string, ParamSpec>;
export type ResolvedParams = Record<string, number | string>;

export interface MetricDefinition<P = ResolvedParams, S = unknown, R = unknown> {
  /** `<axis>.<name>`, e.g. `diversity.compression_ratio`. */
  key: string;
  axis: MetricAxis;
  /** Bumped whenever the definition changes in a way that changes values. */
  version: number;
  direction: MetricDirection;
  description: string;
  citation: string;
  params: ParamSchema;
  /** What the per-sample values mean, when the metric emits them. */
  sampleValue?: string;
  /** False when merged shard states only approximate the whole (the merged result says APPROXIMATE). */
  exactMerge: boolean;
  /**
   * True when merged shards equal the whole only up to floating-point rounding (the same sums of
   * products taken in another order), not bit for bit; the estimator stays EXACT.
   */
  mergeRounding?: boolean;
  /**
   * What the metric reads: the texts (default), each sample's vector in the space named by its
   * `space` parameter, the texts through the causal language model named by its `model` parameter,
   * or the answers of a judge or reward endpoint (`MetricEnvironment.judge`).
   */
  input?: 'text' | 'embedding' | 'languageModel' | 'judge';
  /** A pass the metric needs before its main one; undefined when these params need none. */
  prepass?(params: P): Prepass<unknown, R> | undefined;
  create(params: P, prepared: R | undefined, environment: MetricEnvironment): Accumulator<S>;
}

/** What a runner tells a metric about the data beyond the samples it streams. */
export interface MetricEnvironment {
  /** Samples in the version (or shard set) being measured. */
  sampleCount: number;
  /**
   * Nearest-neighbour search over the measured version's own vectors (a query never finds its own
   * sample). Exact when the version has at most `exactLimit` vectors, HNSW beyond.
   */
  ownNeighbours?(exactLimit: number): Promise<NeighbourIndex>;
  /** The same over another version's vectors in the run's space (nothing is excluded). */
  versionNeighbours?(versionId: number, exactLimit: number): Promise<NeighbourIndex>;
  /** The causal language model of that full name (`model@revision:dtype`), loaded on first use. */
  languageModel?(name: string): Promise<CausalLanguageModel>;
  /** The connection to the judge or reward endpoint a judge metric's params name (src/judges). */
  judge?(params: ResolvedParams): Promise<JudgeConnection>;
}

/** A causal language model as metrics see it: a tokenizer and per-token cross-entropy. */
export interface CausalLanguageModel {
  /** `model@revision:dtype`. */
  key: string;
  model: string;
  revision: string;
  dtype: string;
  /** The token ids of a text, with the special tokens its tokenizer adds (e.g. a BOS), untruncated. */
  encode(text: string): number[];
  /**
   * For each sequence of n ids, the n - 1 losses -ln p(ids[j + 1] | ids[0..j]) in nats (what a
   * Hugging Face causal LM averages for `labels=input_ids`); sequences shorter than 2 get none.
   */
  tokenLosses(sequences: readonly (readonly number[])[]): Promise<Float64Array[]>;
}

/** A chat message sent to a judge. */
export interface JudgeMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** One answer of a judge: from the endpoint or, for a request made before, from the response cache. */
export interface JudgeAnswer {
  text: string;
  finishReason: string | null;
  promptTokens: number;
  completionTokens: number;
  cached: boolean;
}

/** One scalar of a reward endpoint. */
export interface RewardAnswer {
  value: number;
  promptTokens: number;
  cached: boolean;
}

/** What a connection did so far: requests sent (retries included), retries, answers from the cache. */
export interface JudgeCallStats {
  calls: number;
  retries: number;
  cacheHits: number;
}

/**
 * A judge endpoint bound to one run's params: the template (for chat judges), and calls that go
 * through the response cache, the concurrency and rate limits and the retries. A call that still
 * fails after its retries rejects, which fails the run.
 */
export interface JudgeConnection {
  endpoint: string;
  model: string;
  /** The run's template, resolved from params.template (null for reward metrics). */
  template: import('./judge/judgeTemplate.js').JudgeTemplateSpec | null;
  chat(items: readonly { contentHash: string; messages: JudgeMessage[] }[]): Promise<JudgeAnswer[]>;
  reward(
    items: readonly { contentHash: string; prompt: string; response: string }[],
  ): Promise<RewardAnswer[]>;
  /** For pairwise judges: the base version's response to the same prompt (its first sample with it). */
  baseResponse(prompt: string): string | undefined;
  stats(): JudgeCallStats;
}

export interface NeighbourIndex {
  /** EXACT: a full scan; APPROXIMATE: an HNSW index search. */
  estimator: 'EXACT' | 'APPROXIMATE';
  /** Vectors searched. */
  size: number;
  /** Per query, the cosine distance (1 - cosine similarity) to its nearest vector; Infinity when there is none. */
  nearest(queries: readonly { ordinal: number; vector: Float32Array }[]): Promise<Float64Array>;
  /**
   * Per query, the cosine distances to its `k` nearest vectors in ascending order (fewer when the
   * index holds fewer). Identical vectors count once, as in a faiss index built over `np.unique`
   * of the vectors (exact scans; an HNSW index may return a repeated vector twice).
   */
  kNearest?(
    queries: readonly { ordinal: number; vector: Float32Array }[],
    k: number,
  ): Promise<Float64Array[]>;
}

export type TextField = 'prompt' | 'response' | 'prompt+response';
export const TEXT_FIELDS: readonly TextField[] = ['prompt', 'response', 'prompt+response'];

/** The text a metric reads from a sample: prompt and response are joined with one newline. */
export function sampleText(sample: MetricSample, field: TextField): string {
  if (field === 'prompt') return sample.prompt;
  if (field === 'response') return sample.response;
  if (sample.prompt === '') return sample.response;
  if (sample.response === '') return sample.prompt;
  return `${sample.prompt}\n${sample.response}`;
}

/** Whitespace tokens as design section 4 defines them: empty text has none. */
export function whitespaceTokens(text: string): string[] {
  const trimmed = text.trim();
  return trimmed === '' ? [] : trimmed.split(/\s+/);
}

/** The `field` parameter every text metric takes. */
export const FIELD_PARAM: ParamSpec = {
  type: 'enum',
  default: 'response',
  values: TEXT_FIELDS,
  description: 'Which text to measure: prompt, response, or both joined with a newline.',
};
