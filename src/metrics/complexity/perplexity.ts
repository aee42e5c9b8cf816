/**
 * complexity.perplexity: the perplexity of each sample's text under a local causal LM,
 *
 *   ppl = exp( (1 / (n - 1)) * sum_{j=1}^{n-1} -ln p(t_j | t_0 .. t_{j-1}) )
 *
 * over the text's n tokens (with the special tokens its tokenizer adds, e.g. a BOS, then cut to
 * max_length): what a Hugging Face causal LM's `exp(model(ids, labels=ids).loss)` gives, and what
 * Cherry_LLM's data_analysis.py computes for a whole text. `field` picks the response, or prompt and
 * response joined with a newline. Texts with fewer than 2 tokens have nothing to predict and are
 * skipped (details.skippedBy). Value: the mean of the per-sample perplexities; details also give
 * the token-weighted perplexity exp(sum of losses / tokens predicted) and the mean loss in nats.
 */
import { ExactSum } from '../exactSum.js';
import { FloatDistribution, summaryDetails } from '../distribution.js';
import {
  sampleText,
  type Accumulator,
  type CausalLanguageModel,
  type MetricDefinition,
  type MetricOutcome,
  type SampleValue,
} from '../types.js';
import {
  LANGUAGE_MODEL_PARAM,
  MAX_LENGTH_PARAM,
  languageModelOf,
  meanOf,
  modelDetails,
} from './languageModelParams.js';

export type PerplexityField = 'response' | 'prompt+response';
export type PerplexityParams = { model: string; max_length: number; field: PerplexityField };

interface PerplexityState {
  values: FloatDistribution;
  lossSum: ExactSum;
  predicted: number;
  truncated: number;
  skipped: { empty: number; single_token: number };
  model: CausalLanguageModel | null;
}

function createAccumulator(
  params: PerplexityParams,
  getModel: () => Promise<CausalLanguageModel>,
): Accumulator<PerplexityState> {
  return {
    init: () => ({
      values: new FloatDistribution(),
      lossSum: new ExactSum(),
      predicted: 0,
      truncated: 0,
      skipped: { empty: 0, single_token: 0 },
      model: null,
    }),
    async update(state, batch, emit) {
      if (batch.length === 0) return;
      const model = await getModel();
      state.model = model;
      const planned: Array<{ ordinal: number; ids: number[]; truncated: boolean }> = [];
      for (const sample of batch) {
        const text = sampleText(sample, params.field);
        if (text === '') {
          state.skipped.empty++;
          continue;
        }
        const all = model.encode(text);
        if (Math.min(all.length, params.max_length) < 2) {
          state.skipped.single_token++;
          continue;
        }
        planned.push({
          ordinal: sample.ordinal,
          ids: all.slice(0, params.max_length),
          truncated: all.length > params.max_length,
        });
      }
      const losses = await model.tokenLosses(planned.map((p) => p.ids));
      planned.forEach((plan, i) => {
        const tokenLosses = losses[i]!;
        const loss = meanOf(tokenLosses);
        const value = Math.exp(loss);
        state.values.add(value);
        for (const l of tokenLosses) state.lossSum.add(l);
        state.predicted += tokenLosses.length;
        if (plan.truncated) state.truncated++;
        emit({
          ordinal: plan.ordinal,
          value,
          details: { loss, tokens: plan.ids.length, ...(plan.truncated ? { truncated: true } : {}) },
        } satisfies SampleValue);
      });
    },
    merge(left, right) {
      left.values.merge(right.values);
      left.lossSum.addAll(right.lossSum);
      left.predicted += right.predicted;
      left.truncated += right.truncated;
      left.skipped.empty += right.skipped.empty;
      left.skipped.single_token += right.skipped.single_token;
      left.model ??= right.model;
      return left;
    },
    finalize(state): MetricOutcome {
      const summary = state.values.summary();
      const skipped = state.skipped.empty + state.skipped.single_token;
      const details = {
        ...modelDetails(state.model),
        field: params.field,
        maxLength: params.max_length,
        skipped,
        skippedBy: { ...state.skipped },
        truncated: state.truncated,
        tokens: { predicted: state.predicted, model: state.predicted + summary.count },
      };
      if (summary.count === 0) {
        return {
          value: null,
          reason: skipped === 0 ? 'no samples' : 'no sample has 2 or more tokens',
          n: 0,
          estimator: 'EXACT',
          details,
        };
      }
      const meanLoss = state.lossSum.value / state.predicted;
      return {
        value: summary.mean,
        n: summary.count,
        estimator: 'EXACT',
        details: {
          ...summaryDetails(summary),
          meanLoss,
          tokenWeightedPerplexity: Math.exp(meanLoss),
          ...details,
          quantileResolution: FloatDistribution.RESOLUTION,
        },
      };
    },
  };
}

export const perplexityMetric: MetricDefinition<PerplexityParams> = {
  key: 'complexity.perplexity',
  axis: 'COMPLEXITY',
  version: 1,
  direction: 'NEUTRAL',
  description:
    "Perplexity per sample under a local causal LM: exp of the mean token cross-entropy of the text (the tokenizer's special tokens included, cut to max_length). Value: mean per-sample perplexity; details: token-weighted perplexity, mean loss and token counts.",
  citation: 'Jelinek et al. 1977; as used for data selection in Li et al. 2023 (arXiv 2308.12032)',
  params: {
    model: LANGUAGE_MODEL_PARAM,
    max_length: MAX_LENGTH_PARAM,
    field: {
      type: 'enum',
      default: 'response',
      values: ['response', 'prompt+response'],
      description: 'Which text to score: the response, or prompt and response joined with a newline.',
    },
  },
  sampleValue: 'perplexity = exp(mean token loss) (details: loss in nats, tokens)',
  exactMerge: true,
  input: 'languageModel',
  create: (params, _prepared, environment) =>
    createAccumulator(params, languageModelOf(environment, 'complexity.perplexity', params.model)),
};
