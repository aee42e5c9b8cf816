/** What complexity.perplexity and complexity.ifd share: the model and length parameters, and getting the model. */
import type { CausalLanguageModel, MetricEnvironment, ParamSpec } from '../types.js';

export const LANGUAGE_MODEL_PARAM: ParamSpec = {
  type: 'languageModel',
  default: '',
  description:
    'The causal language model, model@revision:dtype (revision main and dtype fp32 when left out); empty: the server default (QDC_LM_MODEL). Stored as the full name.',
};

export const MAX_LENGTH_PARAM: ParamSpec = {
  type: 'int',
  default: 512,
  min: 2,
  max: 32768,
  description:
    "Most tokens per sequence (the reference scripts use 512); a longer text's ids (special tokens included) are cut at the end, which is what a Hugging Face tokenizer's truncation=True gives for tokenizers that add only a leading BOS (GPT-2, Llama); one that appends an EOS would keep it there.",
};

/** The model of the run, loaded once per accumulator. */
export function languageModelOf(
  environment: MetricEnvironment,
  metricKey: string,
  name: string,
): () => Promise<CausalLanguageModel> {
  let pending: Promise<CausalLanguageModel> | null = null;
  return () => {
    if (!environment.languageModel)
      throw new Error(`${metricKey} needs a causal language model and this runner provides none`);
    pending ??= environment.languageModel(name);
    return pending;
  };
}

/** The arithmetic mean of `values[from, to)`. */
export function meanOf(values: Float64Array, from = 0, to = values.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += values[i]!;
  return sum / (to - from);
}

/** Token counts and the model's name, recorded in every result's details. */
export function modelDetails(model: CausalLanguageModel | null) {
  return model
    ? { model: model.model, revision: model.revision, dtype: model.dtype, modelKey: model.key }
    : {};
}
