/**
 * Generates a tiny GPT-2-shaped causal language model on disk, laid out like a Hugging Face repo
 * that transformers.js' AutoModelForCausalLM loads offline:
 *
 *   <root>/<modelId>/config.json (model_type gpt2), tokenizer.json, tokenizer_config.json,
 *                    onnx/model.onnx (fp32)
 *
 * The tokenizer is byte-level BPE without merges: every UTF-8 byte is one token (id = the byte's
 * value) and the post-processor puts <|endoftext|> (id 256) in front as a BOS token, the way
 * Llama's tokenizer prepends <s>. So the ids of a text are [256, ...utf8Bytes(text)], which a test
 * can compute without any tokenizer.
 *
 * The network, `layers` times a pre-norm-free causal self-attention block with one head:
 *   x = E[input_ids] + P[position_ids]
 *   x = x + softmax(q k^T / sqrt(d) + causal bias + padding bias) v Wo     (q = x Wq, ...)
 *   logits = x Wlm + blm                                                   ([batch, sequence, 257])
 * The biases are -10000 where a key lies after the query or is padding (attention_mask 0).
 * Weights are random but seeded and exported (tinyCausalLmWeights), so a test can run the same
 * forward pass in another language.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  attr,
  encodeOnnxModel,
  float32Tensor,
  int64Tensor,
  OnnxDataType,
  type OnnxAttribute,
  type OnnxNode,
  type OnnxTensor,
} from './onnxWriter.js';
import { prng } from './prng.js';

export const TINY_CAUSAL_LM_ID = 'qdc-test/tiny-gpt2';
/** 256 byte tokens plus <|endoftext|>. */
export const TINY_CAUSAL_LM_VOCAB = 257;
export const TINY_CAUSAL_LM_BOS = 256;
export const TINY_CAUSAL_LM_POSITIONS = 512;
const MASK_PENALTY = -10000;

export interface TinyCausalLmShape {
  hidden: number;
  layers: number;
  positions: number;
  seed: number;
}

export const DEFAULT_SHAPE: TinyCausalLmShape = {
  hidden: 16,
  layers: 1,
  positions: TINY_CAUSAL_LM_POSITIONS,
  seed: 0x5eed,
};

export interface TinyCausalLmLayer {
  /** Row-major [hidden, hidden] matrices, applied as x @ W. */
  wq: Float32Array;
  wk: Float32Array;
  wv: Float32Array;
  wo: Float32Array;
}

export interface TinyCausalLmWeights {
  shape: TinyCausalLmShape;
  /** [vocab, hidden] */
  tokenEmbeddings: Float32Array;
  /** [positions, hidden] */
  positionEmbeddings: Float32Array;
  layers: TinyCausalLmLayer[];
  /** [hidden, vocab] */
  lmHead: Float32Array;
  /** [vocab] */
  lmBias: Float32Array;
}

export function tinyCausalLmWeights(shape: TinyCausalLmShape = DEFAULT_SHAPE): TinyCausalLmWeights {
  const random = prng(shape.seed);
  const uniform = (count: number, halfWidth: number) =>
    Float32Array.from({ length: count }, () => (2 * random() - 1) * halfWidth);
  const d = shape.hidden;
  const glorot = Math.sqrt(6 / (2 * d));
  return {
    shape,
    tokenEmbeddings: uniform(TINY_CAUSAL_LM_VOCAB * d, 1),
    positionEmbeddings: uniform(shape.positions * d, 0.5),
    layers: Array.from({ length: shape.layers }, () => ({
      wq: uniform(d * d, glorot),
      wk: uniform(d * d, glorot),
      wv: uniform(d * d, glorot),
      wo: uniform(d * d, glorot),
    })),
    lmHead: uniform(d * TINY_CAUSAL_LM_VOCAB, Math.sqrt(6 / (d + TINY_CAUSAL_LM_VOCAB)) * 4),
    lmBias: uniform(TINY_CAUSAL_LM_VOCAB, 0.5),
  };
}

class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private count = 0;

  op(opType: string, inputs: readonly string[], attributes: readonly OnnxAttribute[] = []): string {
    const name = `${opType}_${this.count++}`;
    this.nodes.push({ opType, inputs, outputs: [`${name}_out`], name, attributes });
    return `${name}_out`;
  }

  floats(name: string, dims: readonly number[], values: ArrayLike<number>): string {
    this.initializers.push(float32Tensor(name, dims, values));
    return name;
  }

  int64s(name: string, dims: readonly number[], values: readonly number[]): string {
    this.initializers.push(int64Tensor(name, dims, values));
    return name;
  }
}

/** [1, sequence, sequence]: 0 on and below the diagonal, MASK_PENALTY above it. */
function causalBias(g: GraphBuilder): string {
  const shape = g.op('Shape', ['input_ids']);
  const sequence = g.op('Gather', [shape, g.int64s('sequence_axis', [1], [1])], [attr.int('axis', 0)]);
  const square = g.op('Concat', [sequence, sequence], [attr.int('axis', 0)]);
  const ones = g.op(
    'ConstantOfShape',
    [square],
    [{ name: 'value', kind: 'tensor', value: float32Tensor('one_value', [1], [1]) }],
  );
  const lower = g.op('Trilu', [ones], [attr.int('upper', 0)]);
  const above = g.op('Sub', [g.floats('one', [], [1]), lower]);
  const bias = g.op('Mul', [above, g.floats('causal_penalty', [], [MASK_PENALTY])]);
  return g.op('Unsqueeze', [bias, g.int64s('batch_axis', [1], [0])]);
}

/** [batch, 1, sequence]: 0 for real keys, MASK_PENALTY for padding. */
function paddingBias(g: GraphBuilder): string {
  const mask = g.op('Cast', ['attention_mask'], [attr.int('to', OnnxDataType.FLOAT)]);
  const masked = g.op('Sub', [g.floats('pad_one', [], [1]), mask]);
  const bias = g.op('Mul', [masked, g.floats('pad_penalty', [], [MASK_PENALTY])]);
  return g.op('Unsqueeze', [bias, g.int64s('query_axis', [1], [1])]);
}

function encodeGraph(w: TinyCausalLmWeights): Uint8Array {
  const g = new GraphBuilder();
  const d = w.shape.hidden;
  const V = TINY_CAUSAL_LM_VOCAB;
  const tokens = g.op('Gather', [g.floats('wte', [V, d], w.tokenEmbeddings), 'input_ids']);
  const positions = g.op('Gather', [
    g.floats('wpe', [w.shape.positions, d], w.positionEmbeddings),
    'position_ids',
  ]);
  let x = g.op('Add', [tokens, positions]);
  const bias = g.op('Add', [causalBias(g), paddingBias(g)]);
  w.layers.forEach((layer, index) => {
    const project = (name: string, values: Float32Array) =>
      g.op('MatMul', [x, g.floats(`h${index}_${name}`, [d, d], values)]);
    const q = project('wq', layer.wq);
    const k = project('wk', layer.wk);
    const v = project('wv', layer.wv);
    const scores = g.op('Mul', [
      g.op('MatMul', [q, g.op('Transpose', [k], [attr.ints('perm', [0, 2, 1])])]),
      g.floats(`h${index}_scale`, [], [1 / Math.sqrt(d)]),
    ]);
    const probabilities = g.op('Softmax', [g.op('Add', [scores, bias])], [attr.int('axis', -1)]);
    const context = g.op('MatMul', [probabilities, v]);
    x = g.op('Add', [x, g.op('MatMul', [context, g.floats(`h${index}_wo`, [d, d], layer.wo)])]);
  });
  const logits = g.op('Add', [
    g.op('MatMul', [x, g.floats('lm_head', [d, V], w.lmHead)]),
    g.floats('lm_bias', [V], w.lmBias),
  ]);
  g.nodes.push({ opType: 'Identity', inputs: [logits], outputs: ['logits'], name: 'output' });
  const tokenInput = (name: string) => ({
    name,
    elemType: OnnxDataType.INT64,
    shape: ['batch_size', 'sequence_length'],
  });
  return encodeOnnxModel({
    name: 'tiny_gpt2',
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [tokenInput('input_ids'), tokenInput('attention_mask'), tokenInput('position_ids')],
    outputs: [{ name: 'logits', elemType: OnnxDataType.FLOAT, shape: ['batch_size', 'sequence_length', V] }],
  });
}

/** GPT-2's byte -> printable character table (bytes_to_unicode in the original encoder.py). */
function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const table: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + extra++);
  }
  return table;
}

function tokenizerJson(): object {
  const vocab: Record<string, number> = {};
  bytesToUnicode().forEach((char, byte) => (vocab[char] = byte));
  vocab['<|endoftext|>'] = TINY_CAUSAL_LM_BOS;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      {
        id: TINY_CAUSAL_LM_BOS,
        content: '<|endoftext|>',
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      },
    ],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<|endoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '<|endoftext|>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: {
        '<|endoftext|>': { id: '<|endoftext|>', ids: [TINY_CAUSAL_LM_BOS], tokens: ['<|endoftext|>'] },
      },
    },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: [],
    },
  };
}

function configJson(shape: TinyCausalLmShape): object {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: TINY_CAUSAL_LM_VOCAB,
    n_embd: shape.hidden,
    n_head: 1,
    n_layer: shape.layers,
    n_positions: shape.positions,
    n_ctx: shape.positions,
    bos_token_id: TINY_CAUSAL_LM_BOS,
    eos_token_id: TINY_CAUSAL_LM_BOS,
    torch_dtype: 'float32',
  };
}

const TOKENIZER_CONFIG = {
  tokenizer_class: 'GPT2Tokenizer',
  bos_token: '<|endoftext|>',
  eos_token: '<|endoftext|>',
  unk_token: '<|endoftext|>',
  add_prefix_space: false,
  model_max_length: TINY_CAUSAL_LM_POSITIONS,
  clean_up_tokenization_spaces: false,
};

/** Writes the model under <root>/<modelId>/ and returns its weights (deterministic for a shape). */
export async function writeTinyCausalLm(
  root: string,
  modelId = TINY_CAUSAL_LM_ID,
  shape: TinyCausalLmShape = DEFAULT_SHAPE,
): Promise<TinyCausalLmWeights> {
  const dir = join(root, ...modelId.split('/'));
  await mkdir(join(dir, 'onnx'), { recursive: true });
  const weights = tinyCausalLmWeights(shape);
  const json = (value: object) => `${JSON.stringify(value, null, 2)}\n`;
  await writeFile(join(dir, 'config.json'), json(configJson(shape)));
  await writeFile(join(dir, 'tokenizer.json'), json(tokenizerJson()));
  await writeFile(join(dir, 'tokenizer_config.json'), json(TOKENIZER_CONFIG));
  await writeFile(join(dir, 'onnx', 'model.onnx'), encodeGraph(weights));
  return weights;
}

/** The ids the tokenizer gives a text, computed without it: BOS, then the UTF-8 bytes. */
export function tinyCausalLmIds(text: string): number[] {
  return [TINY_CAUSAL_LM_BOS, ...new TextEncoder().encode(text)];
}
