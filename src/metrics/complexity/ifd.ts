/**
 * complexity.ifd: Instruction-Following Difficulty (Li et al. 2023, "From Quantity to Quality",
 * arXiv 2308.12032), as the reference code computes it (tianyi-lab/Cherry_LLM,
 * cherry_seletion/data_analysis.py --mod cherry and data_by_IFD.py):
 *
 *   IFD(Q, A) = s(A | Q) / s(A),   s = mean cross-entropy of the answer's tokens
 *
 * With the `alpaca` template (the reference scripts' --prompt alpaca; prompt_no_input, since a
 * sample has no separate input field):
 *   P     = "Below is an instruction that describes a task. Write a response that appropriately
 *            completes the request.\n\n### Instruction:\n{prompt}\n\n### Response:"
 *   whole = P + response;  direct = "### Response:" + response
 * With `wiz`: P = prompt, whole = prompt + "\n\n### Response:" + response, direct as above.
 *
 * For a text T and its answer A, with ids = encode(T) cut to L tokens and
 * start = |encode(T[: T.lastIndexOf(A)])| (the prefix encoded on its own, uncut), the answer's
 * tokens are ids[start:] and their losses are the model's losses at positions start-1 .. |ids|-2.
 *   instructLen = |encode(P)| cut to max_length
 *   s(A | Q): T = whole,  L = max_length
 *   s(A):     T = direct, L = max_length - instructLen + 4
 * A sample is skipped, as the reference skips it, when max_length - instructLen <= 0, when either
 * answer has no token left (an empty response always), or when instructLen + |A alone| > max_length.
 * Unlike the reference's selection step, values above 1 are kept: the version value is the mean
 * IFD over scored samples and details.shareAboveOne the share of them above 1.
 */
import { FloatDistribution, summaryDetails } from '../distribution.js';
import type {
  Accumulator,
  CausalLanguageModel,
  MetricDefinition,
  MetricOutcome,
  MetricSample,
  SampleValue,
} from '../types.js';
import {
  LANGUAGE_MODEL_PARAM,
  MAX_LENGTH_PARAM,
  languageModelOf,
  meanOf,
  modelDetails,
} from './languageModelParams.js';

export type IfdTemplate = 'alpaca' | 'wiz';
export type IfdParams = { model: string; max_length: number; template: IfdTemplate };

/** PROMPT_DICT["prompt_no_input"] of the reference. */
export const ALPACA_PROMPT_NO_INPUT =
  'Below is an instruction that describes a task. ' +
  'Write a response that appropriately completes the request.\n\n' +
  '### Instruction:\n{instruction}\n\n### Response:';
const RESPONSE_MARKER = '### Response:';

export type IfdSkipReason =
  'prompt_too_long' | 'empty_response' | 'no_answer_tokens' | 'too_long' | 'zero_loss';

export interface IfdTexts {
  /** The instruction part (instruct_i of the reference). */
  instruction: string;
  /** Instruction and answer (whole_text). */
  whole: string;
  /** The answer after the response marker alone (direct_answer_text). */
  direct: string;
}

export function ifdTexts(prompt: string, response: string, template: IfdTemplate): IfdTexts {
  const direct = RESPONSE_MARKER + response;
  if (template === 'wiz')
    return { instruction: prompt, whole: `${prompt}\n\n${RESPONSE_MARKER}${response}`, direct };
  const instruction = ALPACA_PROMPT_NO_INPUT.replace('{instruction}', () => prompt);
  return { instruction, whole: instruction + response, direct };
}

/** The ids of `text` cut to `maxLength`, and where `answer` starts among them. */
interface AnswerSpan {
  ids: number[];
  start: number;
}

function answerSpan(
  encode: (text: string) => number[],
  text: string,
  answer: string,
  maxLength: number,
): AnswerSpan {
  const ids = encode(text).slice(0, Math.max(0, maxLength));
  const start = encode(text.slice(0, text.lastIndexOf(answer))).length;
  return { ids, start };
}

/**
 * The model's encode for one sample, remembering its texts: the reference encodes the instruction
 * and then the same string again as the prefix of whole_text, and "### Response:" every time.
 */
function rememberingEncode(model: CausalLanguageModel, marker: number[]): (text: string) => number[] {
  const seen = new Map<string, number[]>([[RESPONSE_MARKER, marker]]);
  return (text) => {
    let ids = seen.get(text);
    if (!ids) {
      ids = model.encode(text);
      seen.set(text, ids);
    }
    return ids;
  };
}

interface IfdState {
  values: FloatDistribution;
  aboveOne: number;
  skipped: Record<IfdSkipReason, number>;
  conditionedTokens: number;
  aloneTokens: number;
  modelTokens: number;
  model: CausalLanguageModel | null;
}

interface Planned {
  sample: MetricSample;
  conditioned: AnswerSpan;
  alone: AnswerSpan;
}

function emptySkips(): Record<IfdSkipReason, number> {
  return { prompt_too_long: 0, empty_response: 0, no_answer_tokens: 0, too_long: 0, zero_loss: 0 };
}

function createAccumulator(
  params: IfdParams,
  getModel: () => Promise<CausalLanguageModel>,
): Accumulator<IfdState> {
  const maxLength = params.max_length;
  return {
    init: () => ({
      values: new FloatDistribution(),
      aboveOne: 0,
      skipped: emptySkips(),
      conditionedTokens: 0,
      aloneTokens: 0,
      modelTokens: 0,
      model: null,
    }),
    async update(state, batch, emit) {
      if (batch.length === 0) return;
      const model = await getModel();
      state.model = model;
      const marker = model.encode(RESPONSE_MARKER);
      const planned: Planned[] = [];
      for (const sample of batch) {
        const encode = rememberingEncode(model, marker);
        if (sample.response === '') {
          state.skipped.empty_response++;
          continue;
        }
        const texts = ifdTexts(sample.prompt, sample.response, params.template);
        const instructLen = Math.min(encode(texts.instruction).length, maxLength);
        if (maxLength - instructLen <= 0) {
          state.skipped.prompt_too_long++;
          continue;
        }
        const alone = answerSpan(encode, texts.direct, sample.response, maxLength - instructLen + 4);
        const conditioned = answerSpan(encode, texts.whole, sample.response, maxLength);
        const aloneLength = alone.ids.length - alone.start;
        if (aloneLength <= 0 || conditioned.ids.length - conditioned.start <= 0) {
          state.skipped.no_answer_tokens++;
          continue;
        }
        if (instructLen + aloneLength > maxLength) {
          state.skipped.too_long++;
          continue;
        }
        planned.push({ sample, conditioned, alone });
      }
      const sequences = planned.flatMap((p) => [p.conditioned.ids, p.alone.ids]);
      const losses = await model.tokenLosses(sequences);
      planned.forEach((plan, i) => {
        const conditionedLosses = losses[2 * i]!;
        const aloneLosses = losses[2 * i + 1]!;
        // losses[j] scores ids[j + 1]: the answer's tokens ids[start..] are losses[start - 1 ..].
        const lossConditioned = meanOf(conditionedLosses, Math.max(0, plan.conditioned.start - 1));
        const lossAlone = meanOf(aloneLosses, Math.max(0, plan.alone.start - 1));
        state.modelTokens += plan.conditioned.ids.length + plan.alone.ids.length;
        if (!(lossAlone > 0)) {
          state.skipped.zero_loss++;
          return;
        }
        const value = lossConditioned / lossAlone;
        const responseTokens = plan.conditioned.ids.length - plan.conditioned.start;
        const aloneTokens = plan.alone.ids.length - plan.alone.start;
        state.values.add(value);
        if (value > 1) state.aboveOne++;
        state.conditionedTokens += responseTokens;
        state.aloneTokens += aloneTokens;
        emit({
          ordinal: plan.sample.ordinal,
          value,
          details: { lossConditioned, lossAlone, responseTokens, aloneTokens },
        } satisfies SampleValue);
      });
    },
    merge(left, right) {
      left.values.merge(right.values);
      left.aboveOne += right.aboveOne;
      for (const reason of Object.keys(left.skipped) as IfdSkipReason[])
        left.skipped[reason] += right.skipped[reason];
      left.conditionedTokens += right.conditionedTokens;
      left.aloneTokens += right.aloneTokens;
      left.modelTokens += right.modelTokens;
      left.model ??= right.model;
      return left;
    },
    finalize(state): MetricOutcome {
      const summary = state.values.summary();
      const skipped = Object.values(state.skipped).reduce((a, b) => a + b, 0);
      const details = {
        ...modelDetails(state.model),
        template: params.template,
        maxLength,
        skipped,
        skippedBy: { ...state.skipped },
        tokens: {
          responseConditioned: state.conditionedTokens,
          responseAlone: state.aloneTokens,
          model: state.modelTokens,
        },
      };
      if (summary.count === 0) {
        return {
          value: null,
          reason: skipped === 0 ? 'no samples' : 'no sample has answer tokens within max_length',
          n: 0,
          estimator: 'EXACT',
          details,
        };
      }
      return {
        value: summary.mean,
        n: summary.count,
        estimator: 'EXACT',
        details: {
          ...summaryDetails(summary),
          aboveOne: state.aboveOne,
          shareAboveOne: state.aboveOne / summary.count,
          ...details,
          quantileResolution: FloatDistribution.RESOLUTION,
        },
      };
    },
  };
}

export const ifdMetric: MetricDefinition<IfdParams> = {
  key: 'complexity.ifd',
  axis: 'COMPLEXITY',
  version: 1,
  direction: 'NEUTRAL',
  description:
    'Instruction-Following Difficulty per sample: the mean token cross-entropy of the response given the prompt (in the template) over that of the response alone, through a local causal LM, as tianyi-lab/Cherry_LLM computes it. Value: mean IFD over scored samples; details.shareAboveOne is the share above 1 (the paper drops those).',
  citation:
    'Li et al. 2023, From Quantity to Quality (arXiv 2308.12032); reference: github.com/tianyi-lab/Cherry_LLM',
  params: {
    model: LANGUAGE_MODEL_PARAM,
    max_length: MAX_LENGTH_PARAM,
    template: {
      type: 'enum',
      default: 'alpaca',
      values: ['alpaca', 'wiz'],
      description:
        'How the prompt is put before the response: alpaca (the Alpaca prompt_no_input template) or wiz (prompt + "\\n\\n### Response:"), as the reference --prompt option.',
    },
  },
  sampleValue:
    'IFD = lossConditioned / lossAlone (details: both mean losses in nats and the answer token counts)',
  exactMerge: true,
  input: 'languageModel',
  create: (params, _prepared, environment) =>
    createAccumulator(params, languageModelOf(environment, 'complexity.ifd', params.model)),
};
