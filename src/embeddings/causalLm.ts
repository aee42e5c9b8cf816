/**
 * Causal language models for complexity.perplexity and complexity.ifd: a transformers.js
 * AutoModelForCausalLM (ONNX Runtime on the CPU) and its tokenizer, found exactly where the
 * embedder's models are (QDC_MODEL_DIR first, then the download cache, then the Hub when allowed).
 *
 * `tokenLosses` sorts the sequences by length and cuts them into batches of similar length (at
 * most `batchSize` sequences and MAX_BATCH_LOGITS logits each), so right padding costs little;
 * with right padding and a causal model the padding never changes a real token's logits. Each
 * token's loss is the log-softmax cross-entropy of its logits row, computed in float64.
 */
import { AutoModelForCausalLM, AutoTokenizer, Tensor, type PreTrainedModel } from '@huggingface/transformers';
import { BadInputError } from '../errors.js';
import type { CausalLanguageModel } from '../metrics/types.js';
import { parseSpaceKey, spaceKey } from './spaceKey.js';
import {
  EmbeddingModelError,
  modelLoadFailureMessage,
  withModelSource,
  type ModelSource,
} from './transformersEmbedder.js';

export interface CausalLmSpec {
  model: string;
  revision: string;
  dtype: string;
}

/** A loaded model; `dispose` releases its ONNX session. */
export interface LoadedCausalLm extends CausalLanguageModel {
  vocabSize: number;
  dispose(): Promise<void>;
}

/** Most logits (batch x padded length x vocabulary) one model call may return: 128 MiB of float32. */
export const MAX_BATCH_LOGITS = 2 ** 25;

/** A causal LM's full name from `model@revision:dtype` (revision main and dtype fp32 when left out). */
export function parseCausalLmKey(key: string): CausalLmSpec {
  const spec = parseSpaceKey(key, { revision: 'main', dtype: 'fp32' });
  if (spec.provider !== 'TRANSFORMERS')
    throw new BadInputError(`"${key}" is the lexical embedder, not a causal language model`, { model: key });
  return { model: spec.model, revision: spec.revision, dtype: spec.dtype };
}

export function loadCausalLm(
  spec: CausalLmSpec,
  source: ModelSource,
  batchSize: number,
): Promise<LoadedCausalLm> {
  return withModelSource(source, () => loadNow(spec, source, batchSize));
}

interface Tokenizer {
  encode(text: string): number[];
}

async function loadNow(spec: CausalLmSpec, source: ModelSource, batchSize: number): Promise<LoadedCausalLm> {
  let tokenizer: Tokenizer;
  let model: PreTrainedModel;
  try {
    tokenizer = (await AutoTokenizer.from_pretrained(spec.model, { revision: spec.revision })) as Tokenizer;
    model = await AutoModelForCausalLM.from_pretrained(spec.model, {
      revision: spec.revision,
      dtype: spec.dtype as 'fp32',
      device: 'cpu',
      session_options: { intraOpNumThreads: source.threads, interOpNumThreads: 1 },
    });
  } catch (error) {
    throw new EmbeddingModelError(
      modelLoadFailureMessage(
        'causal language model',
        spec,
        spaceKey(spec),
        source,
        (error as Error).message,
      ),
      {
        model: spec.model,
        revision: spec.revision,
        dtype: spec.dtype,
        modelDir: source.modelDir ?? null,
      },
    );
  }
  const config = model.config as unknown as { vocab_size?: number };
  const key = spaceKey(spec);
  const run = async (batch: readonly (readonly number[])[]): Promise<Float64Array[]> =>
    batchLosses(model, key, batch);
  return {
    key,
    ...spec,
    vocabSize: config.vocab_size ?? 0,
    encode: (text) => tokenizer.encode(text),
    tokenLosses: (sequences) => bucketed(sequences, batchSize, config.vocab_size ?? 0, run),
    dispose: async () => {
      await model.dispose();
    },
  };
}

/**
 * Runs `run` over length-sorted batches and puts each answer back in the caller's order.
 * Sequences shorter than 2 never reach the model (nothing to predict).
 */
export async function bucketed(
  sequences: readonly (readonly number[])[],
  batchSize: number,
  vocabSize: number,
  run: (batch: readonly (readonly number[])[]) => Promise<Float64Array[]>,
): Promise<Float64Array[]> {
  const answers: Float64Array[] = sequences.map(() => new Float64Array(0));
  const order = sequences
    .map((ids, index) => ({ ids, index }))
    .filter(({ ids }) => ids.length >= 2)
    .sort((a, b) => b.ids.length - a.ids.length || a.index - b.index);
  let start = 0;
  while (start < order.length) {
    const longest = order[start]!.ids.length;
    const fit = Math.floor(MAX_BATCH_LOGITS / Math.max(1, longest * vocabSize));
    const end = Math.min(order.length, start + Math.max(1, Math.min(batchSize, fit)));
    const batch = order.slice(start, end);
    const losses = await run(batch.map((entry) => entry.ids));
    batch.forEach((entry, i) => (answers[entry.index] = losses[i]!));
    start = end;
  }
  return answers;
}

/** One model call over right-padded sequences (longest first), then the per-token losses. */
async function batchLosses(
  model: PreTrainedModel,
  key: string,
  batch: readonly (readonly number[])[],
): Promise<Float64Array[]> {
  const width = Math.max(...batch.map((ids) => ids.length));
  const ids = new BigInt64Array(batch.length * width);
  const mask = new BigInt64Array(batch.length * width);
  batch.forEach((sequence, row) => {
    for (let j = 0; j < sequence.length; j++) {
      ids[row * width + j] = BigInt(sequence[j]!);
      mask[row * width + j] = 1n;
    }
  });
  const outputs = (await model({
    input_ids: new Tensor('int64', ids, [batch.length, width]),
    attention_mask: new Tensor('int64', mask, [batch.length, width]),
  })) as Record<string, Tensor | undefined>;
  const logits = outputs.logits;
  if (!logits)
    throw new Error(`model ${key} returned no logits (outputs: ${Object.keys(outputs).join(', ')})`);
  const [, length, vocab] = logits.dims as [number, number, number];
  const data = logits.data as Float32Array;
  const losses = batch.map((sequence, row) => sequenceLosses(data, row * length * vocab, vocab, sequence));
  for (const tensor of Object.values(outputs)) tensor?.dispose?.();
  return losses;
}

/** -ln softmax(logits[j])[ids[j + 1]] for j = 0 .. n-2, from the row's logits starting at `offset`. */
export function sequenceLosses(
  logits: Float32Array,
  offset: number,
  vocab: number,
  ids: readonly number[],
): Float64Array {
  const losses = new Float64Array(ids.length - 1);
  for (let j = 0; j < ids.length - 1; j++) {
    const base = offset + j * vocab;
    let max = -Infinity;
    for (let v = 0; v < vocab; v++) if (logits[base + v]! > max) max = logits[base + v]!;
    let sum = 0;
    for (let v = 0; v < vocab; v++) sum += Math.exp(logits[base + v]! - max);
    losses[j] = Math.log(sum) + max - logits[base + ids[j + 1]!]!;
  }
  return losses;
}
