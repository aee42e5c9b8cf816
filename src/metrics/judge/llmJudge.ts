/**
 * `quality.llm_judge` and `complexity.llm_judge`: each sample (or a seeded subset) is rendered
 * through a judge template and sent to an OpenAI-compatible chat endpoint; the score parsed from
 * the answer is the sample's value and the version's value is their mean. Answers with no score
 * (unparseable, out of range, refusals) get no value and are counted apart in `details`.
 */
import { createHash } from 'node:crypto';
import { ExactSum } from '../exactSum.js';
import { createSubsetState, finalSubset, offerToSubset, type SubsetState } from '../seededSubset.js';
import type {
  Accumulator,
  JudgeAnswer,
  JudgeConnection,
  MetricAxis,
  MetricDefinition,
  MetricDirection,
  MetricEnvironment,
  MetricOutcome,
  MetricSample,
  Prepass,
  ResolvedParams,
  SampleValueSink,
} from '../types.js';
import {
  ALPAGASUS_TEMPLATE,
  DEITA_COMPLEXITY_TEMPLATE,
  MT_BENCH_PAIRWISE_TEMPLATE,
} from './builtinTemplates.js';
import { chatJudgeParams, JUDGEMENT_CHARS } from './judgeParams.js';
import { scoreParser, templateMessages, type JudgeTemplateSpec } from './judgeTemplate.js';

/** The ordinals a seeded subset keeps, and how many samples it chose from. */
export interface JudgeSubset {
  ordinals: Set<number>;
  population: number;
}

/** Prepass of judge runs with a subset: the samples with the k smallest sha256(seed:contentHash). */
export function subsetPrepass(params: ResolvedParams): Prepass<SubsetState<true>, JudgeSubset> | undefined {
  const k = Number(params.subsetSize);
  const seed = Number(params.seed);
  if (!(k > 0)) return undefined;
  return {
    init: () => createSubsetState<true>(),
    update(state, batch) {
      for (const sample of batch) offerToSubset(state, k, seed, sample, () => true as const);
    },
    merge(left, right) {
      for (const entry of right.entries) left.entries.push(entry);
      left.seen += right.seen;
      left.bound = null;
      return left;
    },
    result: (state) => ({
      ordinals: new Set(finalSubset(state, k).map((entry) => entry.ordinal)),
      population: state.seen,
    }),
  };
}

/** Counts every judge and reward run keeps: values, failures by kind, usage. */
export interface JudgeTally {
  sum: ExactSum;
  sumOfSquares: ExactSum;
  scored: number;
  min: number;
  max: number;
  /** Samples sent to the judge (answers received). */
  judged: number;
  /** Pairwise: samples whose prompt the base version does not have (not judged). */
  noBase: number;
  unparseable: number;
  outOfRange: number;
  refusals: number;
  /** The first few answers without a score, with the sample's ordinal. */
  examples: Array<{ ordinal: number; kind: string; judgement: string }>;
  /** Each distinct score and how many samples got it (scores with few distinct values, e.g. 0-5). */
  histogram: Record<string, number>;
  promptTokens: number;
  completionTokens: number;
  /** Of those, the tokens of answers fetched in this run (not from the cache). */
  freshPromptTokens: number;
  freshCompletionTokens: number;
  cachedAnswers: number;
}

const MAX_EXAMPLES = 5;
const MAX_HISTOGRAM = 50;

export function createTally(): JudgeTally {
  return {
    sum: new ExactSum(),
    sumOfSquares: new ExactSum(),
    scored: 0,
    min: Infinity,
    max: -Infinity,
    judged: 0,
    noBase: 0,
    unparseable: 0,
    outOfRange: 0,
    refusals: 0,
    examples: [],
    histogram: {},
    promptTokens: 0,
    completionTokens: 0,
    freshPromptTokens: 0,
    freshCompletionTokens: 0,
    cachedAnswers: 0,
  };
}

export function tallyScore(tally: JudgeTally, value: number): void {
  tally.sum.add(value);
  tally.sumOfSquares.add(value * value);
  tally.scored += 1;
  if (value < tally.min) tally.min = value;
  if (value > tally.max) tally.max = value;
  const key = String(value);
  if (key in tally.histogram || Object.keys(tally.histogram).length < MAX_HISTOGRAM)
    tally.histogram[key] = (tally.histogram[key] ?? 0) + 1;
}

export function tallyUsage(
  tally: JudgeTally,
  answer: { promptTokens: number; completionTokens?: number; cached: boolean },
): void {
  tally.judged += 1;
  tally.promptTokens += answer.promptTokens;
  tally.completionTokens += answer.completionTokens ?? 0;
  if (answer.cached) tally.cachedAnswers += 1;
  else {
    tally.freshPromptTokens += answer.promptTokens;
    tally.freshCompletionTokens += answer.completionTokens ?? 0;
  }
}

export function mergeTallies(left: JudgeTally, right: JudgeTally): JudgeTally {
  left.sum.addAll(right.sum);
  left.sumOfSquares.addAll(right.sumOfSquares);
  left.scored += right.scored;
  left.min = Math.min(left.min, right.min);
  left.max = Math.max(left.max, right.max);
  for (const field of [
    'judged',
    'noBase',
    'unparseable',
    'outOfRange',
    'refusals',
    'promptTokens',
    'completionTokens',
    'freshPromptTokens',
    'freshCompletionTokens',
    'cachedAnswers',
  ] as const)
    left[field] += right[field];
  left.examples = [...left.examples, ...right.examples].slice(0, MAX_EXAMPLES);
  for (const [key, count] of Object.entries(right.histogram))
    if (key in left.histogram || Object.keys(left.histogram).length < MAX_HISTOGRAM)
      left.histogram[key] = (left.histogram[key] ?? 0) + count;
  return left;
}

export function truncate(text: string, chars = JUDGEMENT_CHARS): string {
  return text.length <= chars ? text : `${text.slice(0, chars)}…`;
}

/** The samples of a batch a run judges: all of them, or those in its subset. */
export function judgedSamples(
  batch: readonly MetricSample[],
  subset: JudgeSubset | undefined,
): MetricSample[] {
  return subset ? batch.filter((s) => subset.ordinals.has(s.ordinal)) : [...batch];
}

/** The value, n, estimator and the figures every judge and reward result carries. */
export function judgeOutcome(
  tally: JudgeTally,
  subset: JudgeSubset | undefined,
  connection: JudgeConnection | null,
  params: ResolvedParams,
  extra: Record<string, unknown>,
): MetricOutcome {
  const n = tally.scored;
  const mean = n > 0 ? tally.sum.value / n : null;
  const variance = n > 0 && mean !== null ? Math.max(0, tally.sumOfSquares.value / n - mean * mean) : null;
  const sampled = subset !== undefined && subset.population > subset.ordinals.size;
  const inputPrice = Number(params.inputCostPerMillion ?? 0);
  const outputPrice = Number(params.outputCostPerMillion ?? 0);
  const details: Record<string, unknown> = {
    endpoint: params.endpoint,
    model: params.model,
    ...extra,
    judged: tally.judged,
    scored: tally.scored,
    unparseable: tally.unparseable,
    outOfRange: tally.outOfRange,
    refusals: tally.refusals,
    std: variance === null ? null : Math.sqrt(variance),
    min: n > 0 ? tally.min : null,
    max: n > 0 ? tally.max : null,
    histogram: tally.histogram,
    failures: tally.examples,
    usage: {
      promptTokens: tally.promptTokens,
      completionTokens: tally.completionTokens,
      freshPromptTokens: tally.freshPromptTokens,
      freshCompletionTokens: tally.freshCompletionTokens,
    },
    cost:
      inputPrice > 0 || outputPrice > 0
        ? (tally.freshPromptTokens * inputPrice + tally.freshCompletionTokens * outputPrice) / 1e6
        : null,
    cachedAnswers: tally.cachedAnswers,
    calls: connection?.stats() ?? { calls: 0, retries: 0, cacheHits: 0 },
    ...(subset ? { subsetSize: Number(params.subsetSize), population: subset.population } : {}),
  };
  return {
    value: mean,
    ...(mean === null
      ? {
          reason:
            tally.judged === 0
              ? 'no sample was judged'
              : `no answer had a score (${tally.unparseable} unparseable, ${tally.outOfRange} out of range, ${tally.refusals} refusals)`,
        }
      : {}),
    n,
    estimator: sampled ? 'SAMPLED' : 'EXACT',
    ...(sampled ? { sampleSize: subset.ordinals.size } : {}),
    details,
  };
}

function chatJudgeAccumulator(
  params: ResolvedParams,
  subset: JudgeSubset | undefined,
  environment: MetricEnvironment,
  kind: 'SCORE' | 'PAIRWISE' = 'SCORE',
): Accumulator<JudgeTally> {
  let connection: JudgeConnection | null = null;
  let parse: ReturnType<typeof scoreParser> | null = null;
  let template: JudgeTemplateSpec | null = null;
  const open = async (): Promise<JudgeConnection> => {
    if (connection) return connection;
    if (!environment.judge) throw new Error('this runner has no judge connector');
    connection = await environment.judge(params);
    template = connection.template;
    if (!template) throw new Error(`the connection for ${String(params.template)} has no template`);
    if (template.kind !== kind) throw new Error(`template ${template.name} is ${template.kind}, not ${kind}`);
    parse = scoreParser(template);
    return connection;
  };
  return {
    init: createTally,
    async update(tally, batch, emit: SampleValueSink) {
      const samples = judgedSamples(batch, subset);
      if (samples.length === 0) return;
      const judge = await open();
      const requests: Array<{ sample: MetricSample; contentHash: string; base?: string }> = [];
      for (const sample of samples) {
        if (kind === 'SCORE') {
          requests.push({ sample, contentHash: sample.contentHash });
          continue;
        }
        const base = judge.baseResponse(sample.prompt);
        if (base === undefined) tally.noBase += 1;
        // The answer depends on the base response too: it is part of the cache key.
        else requests.push({ sample, base, contentHash: sha256(`${sample.contentHash}\u0000${base}`) });
      }
      if (requests.length === 0) return;
      const answers = await judge.chat(
        requests.map(({ sample, contentHash, base }) => ({
          contentHash,
          messages: templateMessages(template!, {
            prompt: sample.prompt,
            response: sample.response,
            ...(base === undefined ? {} : { base_response: base }),
          }),
        })),
      );
      requests.forEach(({ sample }, i) => tallyAnswer(tally, sample.ordinal, answers[i]!, parse!, emit));
    },
    merge: mergeTallies,
    finalize(tally) {
      return judgeOutcome(tally, subset, connection, params, {
        template: template
          ? { name: template.name, version: template.version, hash: template.hash }
          : params.template,
        temperature: params.temperature,
        seed: params.seed,
        maxTokens: params.maxTokens,
        ...(kind === 'PAIRWISE' ? { base: params.base, noBase: tally.noBase } : {}),
      });
    },
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function tallyAnswer(
  tally: JudgeTally,
  ordinal: number,
  answer: JudgeAnswer,
  parse: ReturnType<typeof scoreParser>,
  emit: SampleValueSink,
): void {
  tallyUsage(tally, answer);
  const parsed = parse(answer.text, answer.finishReason);
  if (parsed.kind === 'score') {
    tallyScore(tally, parsed.value);
    emit({ ordinal, value: parsed.value, details: { judgement: truncate(answer.text) } });
    return;
  }
  if (parsed.kind === 'refusal') tally.refusals += 1;
  else if (parsed.kind === 'out_of_range') tally.outOfRange += 1;
  else tally.unparseable += 1;
  if (tally.examples.length < MAX_EXAMPLES)
    tally.examples.push({ ordinal, kind: parsed.kind, judgement: truncate(answer.text) });
}

function chatJudgeMetric(
  key: string,
  axis: MetricAxis,
  direction: MetricDirection,
  defaultTemplate: string,
  what: string,
): MetricDefinition {
  return {
    key,
    axis,
    version: 1,
    direction,
    description:
      `${what} The version's value is the mean score over the samples whose answer had one; answers without ` +
      'a score in the template range (unparseable, out of range, refusals) get no value and are counted in details. ' +
      'Requests are cached by (endpoint, model, template hash, sample content hash, temperature, seed, max_tokens).',
    citation:
      'LLM-as-a-judge: Zheng et al. 2023, arXiv 2306.05685; AlpaGasus (Chen et al. 2023, arXiv 2307.08701); ' +
      'Deita (Liu et al. 2024, arXiv 2312.15685)',
    params: chatJudgeParams(defaultTemplate),
    sampleValue: 'the score parsed from the judge answer (the answer, truncated, in details.judgement)',
    exactMerge: true,
    input: 'judge',
    prepass: subsetPrepass,
    create: (params, prepared, environment) =>
      chatJudgeAccumulator(params, prepared as JudgeSubset | undefined, environment),
  };
}

export const qualityLlmJudge = chatJudgeMetric(
  'quality.llm_judge',
  'QUALITY',
  'HIGHER_IS_BETTER',
  ALPAGASUS_TEMPLATE,
  'An LLM judge scores each response through a judge template (default: the AlpaGasus 0-5 accuracy rubric).',
);

export const complexityLlmJudge = chatJudgeMetric(
  'complexity.llm_judge',
  'COMPLEXITY',
  'NEUTRAL',
  DEITA_COMPLEXITY_TEMPLATE,
  'An LLM judge scores each instruction through a judge template (default: the Deita 1-6 complexity prompt).',
);

export const qualityLlmPreference: MetricDefinition = {
  key: 'quality.llm_preference',
  axis: 'QUALITY',
  version: 1,
  direction: 'HIGHER_IS_BETTER',
  description:
    "A pairwise LLM judge compares each sample's response (assistant A) with the response of the `base` version " +
    "to the same prompt (assistant B; its first sample with that prompt) through a PAIRWISE template (default MT-Bench's " +
    'pair-v2). The value is the mean preference: 1 = the sample wins, 0.5 = tie, 0 = the base wins (the win rate, ' +
    'ties counting half). Samples whose prompt the base lacks are not judged (details.noBase); answers without a ' +
    'verdict are counted as for quality.llm_judge.',
  citation:
    'Zheng et al. 2023, Judging LLM-as-a-Judge with MT-Bench and Chatbot Arena, arXiv 2306.05685 (pair-v2 prompt)',
  params: {
    ...chatJudgeParams(MT_BENCH_PAIRWISE_TEMPLATE),
    base: {
      type: 'version',
      description: 'The reference version whose responses the samples are compared with.',
    },
  },
  sampleValue: 'the verdict: 1 (the sample wins), 0.5 (tie), 0 (the base wins)',
  exactMerge: true,
  input: 'judge',
  prepass: subsetPrepass,
  create: (params, prepared, environment) =>
    chatJudgeAccumulator(params, prepared as JudgeSubset | undefined, environment, 'PAIRWISE'),
};
