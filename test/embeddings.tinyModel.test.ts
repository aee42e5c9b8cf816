/**
 * End-to-end check of the offline embedding path on a generated tiny BERT (test/helpers/tinyBert.ts):
 * the real transformers.js pipeline (tokenizer -> onnxruntime-node -> mean pooling -> L2 norm) must agree
 * with the same computation done by hand over a bare onnxruntime session, for the q8 and fp32 files.
 * Nothing is downloaded: the model is written to a temp dir and transformers.js is pointed at it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  AutoTokenizer,
  env,
  pipeline,
  type PreTrainedTokenizer,
  type Tensor,
} from '@huggingface/transformers';
import { TINY_BERT_HIDDEN, TINY_BERT_ID, writeTinyBertModel } from './helpers/tinyBert.js';

const TEXTS = [
  'hello world',
  'The quick brown fox jumps over the lazy dog.',
  'Walking home',
  'hello world',
  'A qwerty λόγος, 42 times!',
];
const POOLING = { pooling: 'mean', normalize: true } as const;

type FeatureExtractor = Awaited<ReturnType<typeof pipeline<'feature-extraction'>>>;

let root: string;
let modelDir: string;
let tokenizer: PreTrainedTokenizer;

type SessionOptions = ort.InferenceSession.SessionOptions;

/** How the project loads the model offline: the env settings in `before` plus these pipeline options. */
function loadExtractor(
  dtype: 'q8' | 'fp32',
  session_options: SessionOptions = {},
): Promise<FeatureExtractor> {
  return pipeline('feature-extraction', TINY_BERT_ID, { dtype, local_files_only: true, session_options });
}

async function embed(extractor: FeatureExtractor, texts: string[]): Promise<number[][]> {
  const output: Tensor = await extractor(texts, POOLING);
  assert.deepEqual(output.dims, [texts.length, TINY_BERT_HIDDEN]);
  return output.tolist() as number[][];
}

function toOrtInt64(tensor: Tensor): ort.Tensor {
  return new ort.Tensor('int64', tensor.data as BigInt64Array, tensor.dims);
}

/** Runs the bare session on the tokenizer's ids and does mask-weighted mean pooling + L2 normalisation by hand. */
async function embedByHand(onnxFile: string, texts: string[]): Promise<number[][]> {
  const session = await ort.InferenceSession.create(join(modelDir, 'onnx', onnxFile));
  try {
    const encoded = tokenizer(texts, { padding: true, truncation: true });
    const { last_hidden_state: hidden } = await session.run({
      input_ids: toOrtInt64(encoded.input_ids),
      attention_mask: toOrtInt64(encoded.attention_mask),
      token_type_ids: toOrtInt64(encoded.token_type_ids!),
    });
    const [batch, sequence] = encoded.input_ids.dims as [number, number];
    const mask = encoded.attention_mask.data as BigInt64Array;
    const values = hidden!.data as Float32Array;
    return Array.from({ length: batch }, (_, row) => l2Normalize(maskedMean(values, mask, row, sequence)));
  } finally {
    await session.release();
  }
}

function maskedMean(hidden: Float32Array, mask: BigInt64Array, row: number, sequence: number): number[] {
  const sum = new Array<number>(TINY_BERT_HIDDEN).fill(0);
  let tokens = 0;
  for (let position = 0; position < sequence; position++) {
    const weight = Number(mask[row * sequence + position]);
    tokens += weight;
    const offset = (row * sequence + position) * TINY_BERT_HIDDEN;
    for (let d = 0; d < TINY_BERT_HIDDEN; d++) sum[d]! += weight * hidden[offset + d]!;
  }
  return sum.map((value) => value / tokens);
}

function l2Normalize(vector: number[]): number[] {
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

function dot(a: number[], b: number[]): number {
  return a.reduce((sum, value, i) => sum + value * b[i]!, 0);
}

function assertClose(actual: number[], expected: number[], tolerance: number, label: string): void {
  assert.equal(actual.length, expected.length, label);
  actual.forEach((value, i) => {
    assert.ok(Math.abs(value - expected[i]!) <= tolerance, `${label}[${i}]: ${value} vs ${expected[i]}`);
  });
}

describe('tiny BERT model through transformers.js (offline)', () => {
  let q8: FeatureExtractor;
  let fp32: FeatureExtractor;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'qdc-tiny-bert-'));
    modelDir = await writeTinyBertModel(root);
    env.localModelPath = root;
    env.allowLocalModels = true;
    env.allowRemoteModels = false;
    // A stale file cache entry for the same model id would otherwise win over the files on disk.
    env.useFSCache = false;
    tokenizer = await AutoTokenizer.from_pretrained(TINY_BERT_ID, { local_files_only: true });
    [q8, fp32] = await Promise.all([loadExtractor('q8'), loadExtractor('fp32')]);
  });

  after(async () => {
    await Promise.all([q8?.dispose(), fp32?.dispose()]);
    rmSync(root, { recursive: true, force: true });
  });

  it('writes the same bytes every time', async () => {
    const again = await writeTinyBertModel(join(root, 'again'));
    for (const file of ['onnx/model.onnx', 'onnx/model_quantized.onnx', 'tokenizer.json', 'config.json']) {
      assert.deepEqual(readFileSync(join(again, file)), readFileSync(join(modelDir, file)), file);
    }
  });

  it('(a) loads in a bare onnxruntime session with BERT inputs and a [batch, sequence, 32] output', async () => {
    const session = await ort.InferenceSession.create(join(modelDir, 'onnx', 'model.onnx'));
    try {
      assert.deepEqual(session.inputNames, ['input_ids', 'attention_mask', 'token_type_ids']);
      assert.deepEqual(session.outputNames, ['last_hidden_state']);
      const [inputIds] = session.inputMetadata;
      assert.ok(inputIds?.isTensor);
      assert.deepEqual(inputIds.shape, ['batch', 'sequence']);

      const ids = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [2, 3]);
      const { last_hidden_state: output } = await session.run({
        input_ids: ids([2, 10, 3, 2, 11, 3]),
        attention_mask: ids([1, 1, 1, 1, 1, 1]),
        token_type_ids: ids([0, 0, 0, 0, 0, 0]),
      });
      assert.equal(output!.type, 'float32');
      assert.deepEqual(output!.dims, [2, 3, TINY_BERT_HIDDEN]);
    } finally {
      await session.release();
    }
  });

  it('(b) q8 pipeline mean pooling equals hand pooling over the bare session', async () => {
    const actual = await embed(q8, TEXTS);
    const expected = await embedByHand('model_quantized.onnx', TEXTS);
    actual.forEach((row, i) => {
      assert.ok(Math.abs(Math.hypot(...row) - 1) < 1e-5, `row ${i} is unit-norm`);
      assertClose(row, expected[i]!, 1e-5, `row ${i}`);
    });
  });

  it('(b) identical texts give identical vectors, different texts different ones, padding does not leak', async () => {
    const batch = await embed(q8, TEXTS);
    assert.deepEqual(batch[3], batch[0]);
    for (let i = 0; i < TEXTS.length; i++) {
      for (let j = i + 1; j < TEXTS.length; j++) {
        if (TEXTS[i] !== TEXTS[j])
          assert.ok(dot(batch[i]!, batch[j]!) < 0.9999, `texts ${i} and ${j} differ`);
      }
    }
    const [alone] = await embed(q8, [TEXTS[0]!]);
    assertClose(alone!, batch[0]!, 1e-5, 'unpadded vs padded');
  });

  it('(c) fp32 and q8 files give close but not identical embeddings', async () => {
    const quantizedFile = join(modelDir, 'onnx', 'model_quantized.onnx');
    assert.ok(statSync(quantizedFile).size < statSync(join(modelDir, 'onnx', 'model.onnx')).size / 2);
    assert.ok(readFileSync(quantizedFile).includes('DequantizeLinear'));

    const [fromQ8, fromFp32] = await Promise.all([embed(q8, TEXTS), embed(fp32, TEXTS)]);
    assert.notDeepEqual(fromQ8, fromFp32);
    fromQ8.forEach((row, i) => {
      const cosine = dot(row, fromFp32[i]!);
      assert.ok(cosine > 0.99 && cosine < 1 - 1e-7, `row ${i}: cosine ${cosine}`);
    });
    assertClose(fromFp32[1]!, (await embedByHand('model.onnx', [TEXTS[1]!]))[0]!, 1e-5, 'fp32 by hand');
  });

  it('(d) WordPiece lowercases, strips accents, splits into wordpieces and maps unknown words to [UNK]', () => {
    assert.deepEqual(tokenizer.tokenize('Walking naïve λόγος!'), [
      'walk',
      '##ing', // "walk" and the "##ing" suffix are in the vocabulary, "walking" is not
      'n',
      '##a',
      '##i',
      '##v',
      '##e', // "naïve" -> "naive", spelt out letter by letter
      '[UNK]', // no Greek letters in the vocabulary, so the whole word is unknown
      '!',
    ]);
    assert.deepEqual(tokenizer.tokenize('HELLO qwerty'), ['hello', 'q', '##w', '##er', '##t', '##y']);

    const vocabulary = readFileSync(join(modelDir, 'vocab.txt'), 'utf8').trimEnd().split('\n');
    const encoded = tokenizer('Walking naïve λόγος!');
    const ids = (encoded.input_ids.tolist() as bigint[][])[0]!.map(Number);
    assert.deepEqual(
      ids.map((id) => vocabulary[id]),
      ['[CLS]', 'walk', '##ing', 'n', '##a', '##i', '##v', '##e', '[UNK]', '!', '[SEP]'],
    );
    assert.deepEqual([ids[0], ids.at(-1), ids[8]], [2, 3, 1], '[CLS]=2, [SEP]=3, [UNK]=1');
    assert.deepEqual(
      (encoded.token_type_ids!.tolist() as bigint[][])[0],
      ids.map(() => 0n),
    );
  });

  it('passes pipeline session_options (thread counts) through to onnxruntime', async () => {
    const create = ort.InferenceSession.create;
    const seen: unknown[] = [];
    const spy = (...args: unknown[]) => {
      seen.push(args[1]);
      return (create as (...a: unknown[]) => Promise<ort.InferenceSession>).apply(ort.InferenceSession, args);
    };
    Object.assign(ort.InferenceSession, { create: spy });
    try {
      const extractor = await loadExtractor('q8', { intraOpNumThreads: 1, interOpNumThreads: 1 });
      await extractor.dispose();
    } finally {
      Object.assign(ort.InferenceSession, { create });
    }
    assert.equal(seen.length, 1);
    const { intraOpNumThreads, interOpNumThreads } = seen[0] as SessionOptions;
    assert.deepEqual(
      { intraOpNumThreads, interOpNumThreads },
      { intraOpNumThreads: 1, interOpNumThreads: 1 },
    );
  });
});
