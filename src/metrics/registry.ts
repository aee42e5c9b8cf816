/** Every built-in metric, by key. The database's `metric_definitions` is synced from this list. */
import { BadInputError } from '../errors.js';
import { readability } from './complexity/readability.js';
import { reasoningSteps } from './complexity/steps.js';
import { textLength } from './complexity/length.js';
import { ifdMetric } from './complexity/ifd.js';
import { perplexityMetric } from './complexity/perplexity.js';
import { chamferMetric } from './diversity/chamfer.js';
import { clusterEntropyMetric } from './diversity/clusterEntropy.js';
import { compressionRatio } from './diversity/compressionRatio.js';
import { diversityGainMetric } from './diversity/diversityGain.js';
import { meanPairwiseCosineDistanceMetric } from './diversity/meanPairwiseCosineDistance.js';
import { vendiMetric, vendiQMetric } from './diversity/vendiScore.js';
import { distinctN } from './diversity/distinctN.js';
import { distinctKMetric } from './diversity/distinctK.js';
import { novelSumMetric } from './diversity/novelSum.js';
import { logDetMetric } from './diversity/logDet.js';
import { homogenizationRougeLMetric } from './diversity/homogenizationRougeL.js';
import { ngramDiversity } from './diversity/ngramDiversity.js';
import { selfBleuMetric } from './diversity/selfBleu.js';
import { selfRepetition } from './diversity/selfRepetition.js';
import { answerMatch } from './quality/answerMatch.js';
import { heuristicQuality } from './quality/heuristicQuality.js';
import { tintTraceValidity } from './quality/tintTraceValidity.js';
import { complexityLlmJudge, qualityLlmJudge, qualityLlmPreference } from './judge/llmJudge.js';
import { qualityReward } from './judge/reward.js';
import type { MetricAxis, MetricDefinition } from './types.js';

export const METRICS: readonly MetricDefinition[] = [
  distinctN,
  ngramDiversity,
  compressionRatio,
  selfRepetition,
  selfBleuMetric,
  homogenizationRougeLMetric,
  distinctKMetric,
  meanPairwiseCosineDistanceMetric,
  vendiMetric,
  vendiQMetric,
  chamferMetric,
  clusterEntropyMetric,
  diversityGainMetric,
  novelSumMetric,
  logDetMetric,
  textLength,
  reasoningSteps,
  readability,
  perplexityMetric,
  ifdMetric,
  answerMatch,
  heuristicQuality,
  tintTraceValidity,
  qualityLlmJudge,
  complexityLlmJudge,
  qualityLlmPreference,
  qualityReward,
];

const BY_KEY = new Map(METRICS.map((metric) => [metric.key, metric]));

/**
 * Adds a metric beside the built-in ones, for this process (or thread) only: tests register
 * metrics of their own with it. A metric job runs text metrics in worker threads, which must
 * register the same metric (`MetricThreadOptions.modules`).
 */
export function registerMetric(metric: MetricDefinition): void {
  const existing = BY_KEY.get(metric.key);
  if (existing && existing !== metric) throw new Error(`a metric with key "${metric.key}" is registered`);
  BY_KEY.set(metric.key, metric);
}

export function metricKeys(): string[] {
  return [...BY_KEY.keys()].sort();
}

export function findMetric(key: string): MetricDefinition | undefined {
  return BY_KEY.get(key);
}

/** The metric with this key, or BAD_USER_INPUT listing the valid keys. */
export function requireMetric(key: string): MetricDefinition {
  const metric = BY_KEY.get(key);
  if (!metric) {
    throw new BadInputError(`unknown metric "${key}"; valid keys are ${metricKeys().join(', ')}`, {
      metric: key,
      validKeys: metricKeys(),
    });
  }
  return metric;
}

/** Whether a metric reads vectors of an embedding space rather than texts. */
export function readsEmbeddings(metric: MetricDefinition): boolean {
  return metric.input === 'embedding';
}

/** Whether a metric reads texts through a causal language model (its `model` parameter). */
export function readsLanguageModel(metric: MetricDefinition): boolean {
  return metric.input === 'languageModel';
}

export function metricsOfAxis(axis?: MetricAxis | null): MetricDefinition[] {
  return METRICS.filter((metric) => !axis || metric.axis === axis).sort((a, b) => a.key.localeCompare(b.key));
}
