/**
 * Generates a tiny, BERT-shaped embedding model on disk, laid out like a Hugging Face repo that
 * transformers.js can load offline:
 *
 *   <root>/<modelId>/config.json, tokenizer.json, tokenizer_config.json, special_tokens_map.json,
 *                    vocab.txt, onnx/model.onnx (fp32), onnx/model_quantized.onnx (q8)
 *
 * The network is one BERT layer with a single attention head (hidden 32, intermediate 64):
 *   word + position + token-type embeddings -> LayerNorm
 *   -> self-attention (padding masked out via attention_mask) -> residual -> LayerNorm
 *   -> dense 32->64 + GELU -> dense 64->32 -> residual -> LayerNorm = last_hidden_state.
 * LayerNormalization only exists from opset 17, so with opset 14 it is spelled out with
 * ReduceMean/Sub/Mul/Sqrt/Div. Weights are random but seeded, so every run writes the same bytes.
 *
 * The q8 file stores the large matrices as int8 with a per-tensor scale (zero point 0) and
 * dequantizes them with DequantizeLinear in the graph: the file differs from model.onnx and its
 * outputs are close to, but not bitwise equal to, the fp32 ones.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  attr,
  encodeOnnxModel,
  float32Tensor,
  int64Tensor,
  int8Tensor,
  OnnxDataType,
  type OnnxAttribute,
  type OnnxGraph,
  type OnnxNode,
  type OnnxTensor,
} from './onnxWriter.js';
import { prng } from './prng.js';

export const TINY_BERT_ID = 'qdc-test/tiny-bert';
export const TINY_BERT_HIDDEN = 32;

const INTERMEDIATE_SIZE = 64;
const MAX_POSITIONS = 128;
const TYPE_VOCAB_SIZE = 2;
const LAYER_NORM_EPS = 1e-12;
const WEIGHT_SEED = 0x7b3e;

// ---------------------------------------------------------------------------------------------
// Vocabulary and tokenizer files
// ---------------------------------------------------------------------------------------------

const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
const PUNCTUATION = [...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'];
const DIGITS = [...'0123456789'];
const LETTERS = [...'abcdefghijklmnopqrstuvwxyz'];
const SUFFIXES = ['##ing', '##ed', '##er', '##ly', '##est'];
const COMMON_WORDS = `
the of and to in is it you that he was for on are with as his they be at one have this from
or had by not but what some we can out other were all there when up use your how said an each
she which do their time if will way about many then them write would like so these her long make
thing see him two has look more day could go come did number sound no most people my over know
water than call first who may down side been now find any new work part take get place made live
where after back little only round man year came show every good me give our under name very
through just form sentence great think say help low line turn cause much mean before move right
boy old too same tell does set three want air well also play small end put home read hand large
add even land here must big high such follow act why ask men change went light kind off need
house picture try us again animal point mother world near build self earth father head stand own
page should country found answer school grow study still learn plant cover food sun four between
state keep eye never last let thought city tree cross farm hard start might story saw far sea
draw left late run while press close night real life few north open seem together next white
children begin got walk example paper group always music those both mark often letter until
river car feet care second book carry took science eat room friend began idea fish mountain stop
once base hear horse cut sure watch color face wood main enough girl young ready above ever red
list though feel talk bird soon body dog family leave song door black short class wind question
happen complete ship area half rock order fire south problem piece told knew pass since top whole
king space heard best hour better true during hundred five remember step early hold west ground
quick brown fox jump lazy cat hello text data model test train language word`;

/** Token strings in id order: [PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3, [MASK]=4, then the rest. */
function tinyBertVocabulary(): string[] {
  const words = COMMON_WORDS.split(/\s+/).filter((word) => word.length > 1);
  const tokens = [
    ...SPECIAL_TOKENS,
    ...PUNCTUATION,
    ...DIGITS,
    ...LETTERS,
    ...LETTERS.map((letter) => `##${letter}`),
    ...DIGITS.map((digit) => `##${digit}`),
    ...SUFFIXES,
    ...words,
  ];
  return [...new Set(tokens)];
}

function tokenizerJson(vocabulary: readonly string[]): object {
  const idOf = (token: string) => vocabulary.indexOf(token);
  const special = (token: string, typeId: number) => ({ SpecialToken: { id: token, type_id: typeId } });
  const sequence = (id: 'A' | 'B', typeId: number) => ({ Sequence: { id, type_id: typeId } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content) => ({
      id: idOf(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('[CLS]', 0), sequence('A', 0), special('[SEP]', 0)],
      pair: [
        special('[CLS]', 0),
        sequence('A', 0),
        special('[SEP]', 0),
        sequence('B', 1),
        special('[SEP]', 1),
      ],
      special_tokens: Object.fromEntries(
        ['[CLS]', '[SEP]'].map((token) => [token, { id: token, ids: [idOf(token)], tokens: [token] }]),
      ),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocabulary.map((token, id) => [token, id])),
    },
  };
}

const SPECIAL_TOKENS_MAP = {
  cls_token: '[CLS]',
  mask_token: '[MASK]',
  pad_token: '[PAD]',
  sep_token: '[SEP]',
  unk_token: '[UNK]',
};

function tokenizerConfigJson(): object {
  return {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    do_basic_tokenize: true,
    tokenize_chinese_chars: true,
    strip_accents: null,
    model_max_length: MAX_POSITIONS,
    clean_up_tokenization_spaces: true,
    ...SPECIAL_TOKENS_MAP,
  };
}

function modelConfigJson(vocabSize: number): object {
  return {
    architectures: ['BertModel'],
    model_type: 'bert',
    vocab_size: vocabSize,
    hidden_size: TINY_BERT_HIDDEN,
    num_hidden_layers: 1,
    num_attention_heads: 1,
    intermediate_size: INTERMEDIATE_SIZE,
    hidden_act: 'gelu',
    max_position_embeddings: MAX_POSITIONS,
    type_vocab_size: TYPE_VOCAB_SIZE,
    layer_norm_eps: LAYER_NORM_EPS,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    torch_dtype: 'float32',
  };
}

// ---------------------------------------------------------------------------------------------
// Weights
// ---------------------------------------------------------------------------------------------

interface DenseWeights {
  /** Row-major [inFeatures, outFeatures], i.e. already transposed for `x @ W`. */
  weight: Float32Array;
  bias: Float32Array;
  inFeatures: number;
  outFeatures: number;
}

interface LayerNormWeights {
  gamma: Float32Array;
  beta: Float32Array;
}

interface TinyBertWeights {
  wordEmbeddings: Float32Array;
  positionEmbeddings: Float32Array;
  tokenTypeEmbeddings: Float32Array;
  embeddingsNorm: LayerNormWeights;
  query: DenseWeights;
  key: DenseWeights;
  value: DenseWeights;
  attentionOutput: DenseWeights;
  attentionNorm: LayerNormWeights;
  intermediate: DenseWeights;
  output: DenseWeights;
  outputNorm: LayerNormWeights;
}

type Uniform = (count: number, halfWidth: number, center?: number) => Float32Array;

function seededUniform(seed: number): Uniform {
  const random = prng(seed);
  return (count, halfWidth, center = 0) =>
    Float32Array.from({ length: count }, () => center + (2 * random() - 1) * halfWidth);
}

function denseWeights(uniform: Uniform, inFeatures: number, outFeatures: number): DenseWeights {
  const glorotLimit = Math.sqrt(6 / (inFeatures + outFeatures));
  return {
    weight: uniform(inFeatures * outFeatures, glorotLimit),
    bias: uniform(outFeatures, 0.1),
    inFeatures,
    outFeatures,
  };
}

function layerNormWeights(uniform: Uniform): LayerNormWeights {
  return { gamma: uniform(TINY_BERT_HIDDEN, 0.1, 1), beta: uniform(TINY_BERT_HIDDEN, 0.1) };
}

function initTinyBertWeights(vocabSize: number): TinyBertWeights {
  const uniform = seededUniform(WEIGHT_SEED);
  const hidden = TINY_BERT_HIDDEN;
  return {
    wordEmbeddings: uniform(vocabSize * hidden, 1),
    positionEmbeddings: uniform(MAX_POSITIONS * hidden, 0.5),
    tokenTypeEmbeddings: uniform(TYPE_VOCAB_SIZE * hidden, 0.5),
    embeddingsNorm: layerNormWeights(uniform),
    query: denseWeights(uniform, hidden, hidden),
    key: denseWeights(uniform, hidden, hidden),
    value: denseWeights(uniform, hidden, hidden),
    attentionOutput: denseWeights(uniform, hidden, hidden),
    attentionNorm: layerNormWeights(uniform),
    intermediate: denseWeights(uniform, hidden, INTERMEDIATE_SIZE),
    output: denseWeights(uniform, INTERMEDIATE_SIZE, hidden),
    outputNorm: layerNormWeights(uniform),
  };
}

/** Symmetric per-tensor int8 quantization: value ≈ q * scale, zero point 0. */
function quantizeSymmetricInt8(values: Float32Array): { quantized: Int8Array; scale: number } {
  const maxAbs = values.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
  const scale = maxAbs > 0 ? maxAbs / 127 : 1;
  const quantized = Int8Array.from(values, (value) =>
    Math.max(-127, Math.min(127, Math.round(value / scale))),
  );
  return { quantized, scale };
}

// ---------------------------------------------------------------------------------------------
// Graph construction
// ---------------------------------------------------------------------------------------------

/** Collects nodes and initializers; every `op` call gets a fresh, unique output name. */
class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private nodeCount = 0;

  constructor(private readonly quantizeMatrices: boolean) {}

  op(opType: string, inputs: readonly string[], attributes: readonly OnnxAttribute[] = []): string {
    const name = `${opType}_${this.nodeCount++}`;
    const output = `${name}_out`;
    this.nodes.push({ opType, inputs, outputs: [output], name, attributes });
    return output;
  }

  floats(name: string, dims: readonly number[], values: ArrayLike<number>): string {
    this.initializers.push(float32Tensor(name, dims, values));
    return name;
  }

  scalar(name: string, value: number): string {
    return this.floats(name, [], [value]);
  }

  int64s(name: string, dims: readonly number[], values: readonly number[]): string {
    this.initializers.push(int64Tensor(name, dims, values));
    return name;
  }

  /** A large weight matrix: float32 as is, or int8 + scale + zero point behind a DequantizeLinear. */
  matrix(name: string, dims: readonly number[], values: Float32Array): string {
    if (!this.quantizeMatrices) return this.floats(name, dims, values);
    const { quantized, scale } = quantizeSymmetricInt8(values);
    this.initializers.push(
      int8Tensor(`${name}_quantized`, dims, quantized),
      float32Tensor(`${name}_scale`, [], [scale]),
      int8Tensor(`${name}_zero_point`, [], [0]),
    );
    return this.op('DequantizeLinear', [`${name}_quantized`, `${name}_scale`, `${name}_zero_point`]);
  }
}

/** Positions 0..sequence-1, looked up in the position table: [sequence, hidden], broadcast over the batch. */
function positionEmbeddings(g: GraphBuilder, inputIds: string, table: string): string {
  const shape = g.op('Shape', [inputIds]);
  const sequenceLength = g.op('Gather', [shape, g.int64s('sequence_axis', [], [1])], [attr.int('axis', 0)]);
  const positions = g.op('Range', [
    g.int64s('range_start', [], [0]),
    sequenceLength,
    g.int64s('range_step', [], [1]),
  ]);
  return g.op('Gather', [table, positions], [attr.int('axis', 0)]);
}

function embeddings(g: GraphBuilder, w: TinyBertWeights, vocabSize: number): string {
  const hidden = TINY_BERT_HIDDEN;
  const words = g.op('Gather', [
    g.matrix('word_embeddings', [vocabSize, hidden], w.wordEmbeddings),
    'input_ids',
  ]);
  const types = g.op('Gather', [
    g.floats('token_type_embeddings', [TYPE_VOCAB_SIZE, hidden], w.tokenTypeEmbeddings),
    'token_type_ids',
  ]);
  const positionTable = g.matrix('position_embeddings', [MAX_POSITIONS, hidden], w.positionEmbeddings);
  const positions = positionEmbeddings(g, 'input_ids', positionTable);
  const sum = g.op('Add', [g.op('Add', [words, types]), positions]);
  return layerNorm(g, sum, w.embeddingsNorm, 'embeddings_norm');
}

/** LayerNormalization over the last axis, spelled out for opsets < 17. */
function layerNorm(g: GraphBuilder, x: string, w: LayerNormWeights, prefix: string): string {
  const lastAxis = [attr.ints('axes', [-1]), attr.int('keepdims', 1)];
  const centered = g.op('Sub', [x, g.op('ReduceMean', [x], lastAxis)]);
  const variance = g.op('ReduceMean', [g.op('Mul', [centered, centered])], lastAxis);
  const std = g.op('Sqrt', [g.op('Add', [variance, g.scalar(`${prefix}_eps`, LAYER_NORM_EPS)])]);
  const normalized = g.op('Div', [centered, std]);
  const scaled = g.op('Mul', [normalized, g.floats(`${prefix}_gamma`, [TINY_BERT_HIDDEN], w.gamma)]);
  return g.op('Add', [scaled, g.floats(`${prefix}_beta`, [TINY_BERT_HIDDEN], w.beta)]);
}

function dense(g: GraphBuilder, x: string, w: DenseWeights, prefix: string): string {
  const weight = g.matrix(`${prefix}_weight`, [w.inFeatures, w.outFeatures], w.weight);
  return g.op('Add', [g.op('MatMul', [x, weight]), g.floats(`${prefix}_bias`, [w.outFeatures], w.bias)]);
}

/** 0 where attention_mask is 1 and -10000 where it is 0, shaped [batch, 1, sequence] to broadcast over queries. */
function attentionMaskBias(g: GraphBuilder): string {
  const mask = g.op('Cast', ['attention_mask'], [attr.int('to', OnnxDataType.FLOAT)]);
  const masked = g.op('Sub', [g.scalar('one', 1), mask]);
  const bias = g.op('Mul', [masked, g.scalar('mask_penalty', -10000)]);
  return g.op('Unsqueeze', [bias, g.int64s('query_axis', [1], [1])]);
}

function selfAttention(g: GraphBuilder, hidden: string, w: TinyBertWeights): string {
  const query = dense(g, hidden, w.query, 'query');
  const key = dense(g, hidden, w.key, 'key');
  const value = dense(g, hidden, w.value, 'value');
  const keyT = g.op('Transpose', [key], [attr.ints('perm', [0, 2, 1])]);
  const scores = g.op('Mul', [
    g.op('MatMul', [query, keyT]),
    g.scalar('score_scale', 1 / Math.sqrt(TINY_BERT_HIDDEN)),
  ]);
  const probabilities = g.op(
    'Softmax',
    [g.op('Add', [scores, attentionMaskBias(g)])],
    [attr.int('axis', -1)],
  );
  const context = g.op('MatMul', [probabilities, value]);
  const projected = dense(g, context, w.attentionOutput, 'attention_output');
  return layerNorm(g, g.op('Add', [projected, hidden]), w.attentionNorm, 'attention_norm');
}

/** Exact GELU, as BERT exports it: 0.5 * x * (1 + erf(x / sqrt(2))). */
function gelu(g: GraphBuilder, x: string): string {
  const erf = g.op('Erf', [g.op('Div', [x, g.scalar('sqrt_two', Math.SQRT2)])]);
  const gate = g.op('Mul', [g.op('Add', [erf, g.scalar('gelu_one', 1)]), g.scalar('half', 0.5)]);
  return g.op('Mul', [x, gate]);
}

function feedForward(g: GraphBuilder, hidden: string, w: TinyBertWeights): string {
  const intermediate = gelu(g, dense(g, hidden, w.intermediate, 'intermediate'));
  const output = dense(g, intermediate, w.output, 'output');
  return layerNorm(g, g.op('Add', [output, hidden]), w.outputNorm, 'output_norm');
}

function tinyBertGraph(w: TinyBertWeights, vocabSize: number, quantized: boolean): OnnxGraph {
  const g = new GraphBuilder(quantized);
  const layerOutput = feedForward(g, selfAttention(g, embeddings(g, w, vocabSize), w), w);
  g.nodes.push({ opType: 'Identity', inputs: [layerOutput], outputs: ['last_hidden_state'], name: 'output' });
  const tokenInput = (name: string) => ({ name, elemType: OnnxDataType.INT64, shape: ['batch', 'sequence'] });
  const hiddenStates = { elemType: OnnxDataType.FLOAT, shape: ['batch', 'sequence', TINY_BERT_HIDDEN] };
  return {
    name: quantized ? 'tiny_bert_q8' : 'tiny_bert',
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [tokenInput('input_ids'), tokenInput('attention_mask'), tokenInput('token_type_ids')],
    outputs: [{ name: 'last_hidden_state', ...hiddenStates }],
  };
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

function jsonFile(value: object): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Writes <root>/<modelId>/{config.json, tokenizer.json, tokenizer_config.json, special_tokens_map.json, vocab.txt, onnx/model.onnx, onnx/model_quantized.onnx}; deterministic bytes (seeded weights). Returns the model's directory. */
export async function writeTinyBertModel(root: string, modelId = TINY_BERT_ID): Promise<string> {
  const modelDir = join(root, ...modelId.split('/'));
  await mkdir(join(modelDir, 'onnx'), { recursive: true });

  const vocabulary = tinyBertVocabulary();
  const weights = initTinyBertWeights(vocabulary.length);
  const files: Record<string, string | Uint8Array> = {
    'config.json': jsonFile(modelConfigJson(vocabulary.length)),
    'tokenizer.json': jsonFile(tokenizerJson(vocabulary)),
    'tokenizer_config.json': jsonFile(tokenizerConfigJson()),
    'special_tokens_map.json': jsonFile(SPECIAL_TOKENS_MAP),
    'vocab.txt': `${vocabulary.join('\n')}\n`,
    'onnx/model.onnx': encodeOnnxModel(tinyBertGraph(weights, vocabulary.length, false)),
    'onnx/model_quantized.onnx': encodeOnnxModel(tinyBertGraph(weights, vocabulary.length, true)),
  };
  for (const [relativePath, contents] of Object.entries(files)) {
    await writeFile(join(modelDir, relativePath), contents);
  }
  return modelDir;
}
