import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  LEXICAL_DIMS,
  LEXICAL_MODEL_ID,
  LEXICAL_REVISION,
  lexicalEmbedding,
  lexicalEmbeddings,
} from '../src/embeddings/lexicalEmbedder.js';

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

function norm(vector: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  return Math.sqrt(sum);
}

/** The embeddings are unit vectors (or zero), so the dot product is the cosine similarity. */
function cosine(a: string, b: string): number {
  return dot(lexicalEmbedding(a), lexicalEmbedding(b));
}

function bytesOf(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

// An independent, deliberately plain re-implementation of the documented feature definition:
// feature strings counted in a Map, 32-bit arithmetic done with BigInt. The constants are copied
// from the definition on purpose: if the golden test fails after an intended change of the
// features, bump LEXICAL_REVISION.
const NAIVE_WEIGHTS = { word: 1.0, bigram: 0.7, trigram: 0.4 };
const NAIVE_WORD_SEED = 0x811c9dc5;
const NAIVE_TRIGRAM_SEED = 0xad07e1a8;

function naiveMul32(a: number, b: number): number {
  return Number((BigInt(a) * BigInt(b)) % 2n ** 32n);
}

function naiveXor32(a: number, b: number): number {
  return Number(BigInt(a) ^ BigInt(b));
}

function naiveFnv1a(seed: number, text: string): number {
  let hash = seed;
  for (let i = 0; i < text.length; i++) hash = naiveMul32(naiveXor32(hash, text.charCodeAt(i)), 0x01000193);
  return hash;
}

function naiveFmix32(value: number): number {
  let h = naiveXor32(value, Math.floor(value / 2 ** 16));
  h = naiveMul32(h, 0x85ebca6b);
  h = naiveXor32(h, Math.floor(h / 2 ** 13));
  h = naiveMul32(h, 0xc2b2ae35);
  return naiveXor32(h, Math.floor(h / 2 ** 16));
}

const naiveWordKey = (word: string) => naiveFmix32(naiveFnv1a(NAIVE_WORD_SEED, word));
const naiveBigramKey = (a: string, b: string) =>
  naiveFmix32(naiveXor32(naiveXor32(naiveMul32(naiveWordKey(a), 0x9e3779b1), naiveWordKey(b)), 0x297a2d39));
const naiveTrigramKey = (trigram: string) => naiveFmix32(naiveFnv1a(NAIVE_TRIGRAM_SEED, trigram));

function naiveFeatures(text: string): Map<string, number> {
  const words =
    text
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{M}\p{N}]+/gu) ?? [];
  const counts = new Map<string, number>();
  const count = (feature: string) => counts.set(feature, (counts.get(feature) ?? 0) + 1);
  words.forEach((word, i) => {
    count(`word ${word}`);
    if (i > 0) count(`bigram ${words[i - 1]} ${word}`);
    const characters = Array.from(`<${word}>`);
    for (let c = 0; c + 3 <= characters.length; c++) count(`trigram ${characters.slice(c, c + 3).join('')}`);
  });
  return counts;
}

function naiveKeyAndWeight(feature: string): [number, number] {
  const [family, first, second] = feature.split(' ') as [string, string, string?];
  if (family === 'word') return [naiveWordKey(first), NAIVE_WEIGHTS.word];
  if (family === 'bigram') return [naiveBigramKey(first, second!), NAIVE_WEIGHTS.bigram];
  return [naiveTrigramKey(first), NAIVE_WEIGHTS.trigram];
}

function naiveEmbedding(text: string, dims: number): number[] {
  const sums: number[] = new Array<number>(dims).fill(0);
  for (const [feature, tf] of naiveFeatures(text)) {
    const [key, weight] = naiveKeyAndWeight(feature);
    const sign = key >= 2 ** 31 ? -1 : 1;
    sums[(key % 2 ** 31) % dims]! += sign * weight * (1 + Math.log(tf));
  }
  const length = norm(sums);
  return length === 0 ? sums : sums.map((value) => value / length);
}

describe('lexicalEmbedding', () => {
  test('identity constants and default dimensions', () => {
    assert.equal(LEXICAL_DIMS, 384);
    assert.equal(LEXICAL_MODEL_ID, 'qdc/lexical-hash');
    assert.equal(LEXICAL_REVISION, 'v1');
    assert.equal(lexicalEmbedding('hello world').length, LEXICAL_DIMS);
  });

  test('unit norm for texts with words', () => {
    for (const text of [
      'a',
      'hello',
      'The cat sat on the mat.',
      '東京は日本の首都です',
      'x'.repeat(5000),
      'a '.repeat(3000),
    ]) {
      const length = norm(lexicalEmbedding(text));
      assert.ok(Math.abs(length - 1) < 1e-6, `norm ${length} for ${JSON.stringify(text.slice(0, 30))}`);
    }
  });

  test('zero vector for texts without words; its cosine with anything is 0', () => {
    for (const text of ['', '!!! ...', '   \n\t', '😀 🎉 -- ?!']) {
      const embedding = lexicalEmbedding(text);
      assert.equal(embedding.length, LEXICAL_DIMS);
      assert.ok(
        embedding.every((value) => value === 0),
        JSON.stringify(text),
      );
    }
    assert.equal(cosine('', 'hello world'), 0);
  });

  test('deterministic: the same bytes again, also after the scratch table grew on a long text', () => {
    const text = 'Deterministic hashing: the same text, the same vector. Ünïcödé 𠀀𠀁 too.';
    const first = bytesOf(lexicalEmbedding(text));
    const longText = Array.from({ length: 20_000 }, (_, i) => `w${i}`).join(' ');
    lexicalEmbedding(longText);
    assert.deepEqual(bytesOf(lexicalEmbedding(text)), first);
  });

  test('the naive re-implementation uses standard FNV-1a and murmur3 fmix32', () => {
    assert.equal(naiveFnv1a(0x811c9dc5, 'a'), 0xe40c292c);
    assert.equal(naiveFnv1a(0x811c9dc5, 'foobar'), 0xbf9cf968);
    assert.equal(naiveFmix32(0), 0);
    assert.equal(naiveFmix32(1), 0x514e28b7);
  });

  test('golden: equals an independent naive implementation of the feature definition', () => {
    const texts = [
      'a',
      'ab ab',
      'The cat sat on the mat, and the cat sat again!',
      'CAFÉ ｃａｆｅ ﬁle naïve',
      '東京は日本の首都です',
      'surrogates 𠀀𠀁 𝐀𝐁𝐂 and emoji 😀 between words',
      'हिन्दी भाषा',
    ];
    for (const dims of [LEXICAL_DIMS, 7, 1]) {
      for (const text of texts) {
        const expected = naiveEmbedding(text, dims);
        const actual = lexicalEmbedding(text, dims);
        assert.equal(actual.length, dims);
        for (let i = 0; i < dims; i++) {
          assert.ok(
            Math.abs(actual[i]! - expected[i]!) < 1e-6,
            `${JSON.stringify(text)} dims ${dims} [${i}]: ${actual[i]} vs ${expected[i]}`,
          );
        }
      }
    }
  });

  test('near texts are closer than unrelated ones', () => {
    const triples: Array<[anchor: string, near: string, far: string]> = [
      ['the cat sat on the mat', 'a cat sat on a mat', 'quarterly revenue grew by four percent'],
      ['embeddings are useful', 'embedings are usefull', 'the weather is cold today'],
      ['How do I reset my password?', 'how can I reset my password', 'Best pizza places in Naples'],
      [
        'The quick brown fox jumps over the lazy dog',
        'A quick brown fox jumped over a lazy dog',
        'Interest rates were raised by the central bank',
      ],
      [
        'Install the package with npm install',
        'install this package using npm',
        'She painted the fence bright yellow',
      ],
      [
        'machine learning models need training data',
        'training data for machine learning models',
        'the orchestra played a symphony',
      ],
      [
        'Paris is the capital of France',
        'the capital of France is Paris',
        'photosynthesis converts light into energy',
      ],
      ['running runners run', 'the runner was running', 'bananas are yellow fruit'],
      ['Der Hund schläft im Garten', 'der Hund schlief im Garten', 'La tour Eiffel est à Paris'],
      ['東京は日本の首都です', '日本の首都は東京です', 'The stock market fell sharply'],
      ['color colour colors', 'the colours and the colors', 'database indexing strategies'],
    ];
    for (const [anchor, near, far] of triples) {
      const nearCosine = cosine(anchor, near);
      const farCosine = cosine(anchor, far);
      assert.ok(nearCosine > farCosine + 0.15, `${anchor}: near ${nearCosine} vs far ${farCosine}`);
    }
  });

  test('character trigrams keep a misspelled paraphrase close', () => {
    assert.ok(cosine('embeddings are useful', 'embedings are usefull') > 0.3);
    assert.ok(Math.abs(cosine('embeddings are useful', 'quarterly revenue grew by four percent')) < 0.15);
    assert.ok(Math.abs(cosine('the cat sat on the mat', 'quarterly revenue grew by four percent')) < 0.15);
  });

  test('word order matters only through bigrams', () => {
    const reordered = cosine('machine learning models', 'models learning machine');
    assert.ok(reordered > 0.5 && reordered < 1 - 1e-6, String(reordered));
  });

  test('case and Unicode (NFKC) normalisation', () => {
    assert.deepEqual(bytesOf(lexicalEmbedding('CAFÉ')), bytesOf(lexicalEmbedding('café')));
    assert.deepEqual(bytesOf(lexicalEmbedding('cafe\u0301')), bytesOf(lexicalEmbedding('café')));
    assert.deepEqual(bytesOf(lexicalEmbedding('ｃａｆｅ')), bytesOf(lexicalEmbedding('cafe')));
    assert.deepEqual(bytesOf(lexicalEmbedding('ﬁle')), bytesOf(lexicalEmbedding('file')));
    assert.notDeepEqual(bytesOf(lexicalEmbedding('café')), bytesOf(lexicalEmbedding('cafe')));
  });

  test('only words count: punctuation and spacing are ignored', () => {
    assert.deepEqual(bytesOf(lexicalEmbedding('Hello,   world!')), bytesOf(lexicalEmbedding('hello world')));
  });

  test('dims parameter is respected and validated', () => {
    const small = lexicalEmbedding('the cat sat on the mat', 64);
    assert.equal(small.length, 64);
    assert.ok(Math.abs(norm(small) - 1) < 1e-6);
    for (const dims of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => lexicalEmbedding('text', dims), RangeError);
      assert.throws(() => lexicalEmbeddings(['text'], dims), RangeError);
    }
  });
});

describe('lexicalEmbeddings', () => {
  test('embeds each text in order, like lexicalEmbedding', () => {
    const texts = ['first text', '', 'third text, longer than the first'];
    const embeddings = lexicalEmbeddings(texts, 32);
    assert.equal(embeddings.length, texts.length);
    texts.forEach((text, i) =>
      assert.deepEqual(bytesOf(embeddings[i]!), bytesOf(lexicalEmbedding(text, 32))),
    );
    assert.deepEqual(lexicalEmbeddings([]), []);
  });
});
