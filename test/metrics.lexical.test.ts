import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { runInMemory } from '../src/metrics/runInMemory.js';
import type { MetricDefinition, MetricSample, ResolvedParams, TextField } from '../src/metrics/types.js';
import {
  FingerprintSet,
  NgramTable,
  PairBuffer,
  TokenHashBuffer,
  appendNgrams,
  forEachNgram,
  hashTokens,
} from '../src/metrics/ngramTable.js';
import { distinctN } from '../src/metrics/diversity/distinctN.js';
import { ngramDiversity } from '../src/metrics/diversity/ngramDiversity.js';
import { compressionRatio, DEFLATE_IMPLEMENTATION } from '../src/metrics/diversity/compressionRatio.js';
import { selfRepetition } from '../src/metrics/diversity/selfRepetition.js';
import { ExactSum } from '../src/metrics/exactSum.js';
import {
  naiveCompressionRatio,
  naiveDistinctN,
  naiveNgramDiversity,
  naiveSelfRepetition,
} from './helpers/naiveLexical.js';
import { prng } from './helpers/prng.js';
import { pythonGzipLength } from './helpers/referenceGzip.js';

function samplesOf(responses: string[], prompts: string[] = []): MetricSample[] {
  return responses.map((response, ordinal) => ({
    ordinal,
    contentHash: `hash-${ordinal}`,
    prompt: prompts[ordinal] ?? '',
    response,
    reference: null,
  }));
}

const RESPONSE = { field: 'response' as TextField };

const VOCAB = ['a', 'b', 'c', 'd', 'the', 'cat', 'é', '日本', '😀', 'x\u0001y'];
const SEPARATORS = [' ', ' ', ' ', ' ', '  ', '\n', '\t'];

/** Texts over a small vocabulary (repeats happen), with empty, whitespace-only and 1-3 token texts. */
function randomTexts(seed: number, count: number, vocab = VOCAB): string[] {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const texts: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = random();
    const length = r < 0.1 ? 0 : r < 0.3 ? 1 + Math.floor(random() * 3) : Math.floor(random() * 25);
    const parts: string[] = [];
    if (random() < 0.2) parts.push(pick(SEPARATORS));
    for (let j = 0; j < length; j++) {
      if (j > 0) parts.push(pick(SEPARATORS));
      parts.push(pick(vocab));
    }
    if (random() < 0.2) parts.push(pick(SEPARATORS));
    texts.push(parts.join(''));
  }
  return texts;
}

function assertClose(actual: number | null, expected: number | null, message?: string) {
  if (expected === null || actual === null) {
    assert.equal(actual, expected, message);
    return;
  }
  const scale = Math.max(Math.abs(expected), Number.MIN_VALUE);
  assert.ok(Math.abs(actual - expected) <= 1e-12 * scale, `${message ?? ''} ${actual} != ${expected}`);
}

describe('ngramTable', () => {
  test('add, get, size, total, growth and counts beyond 2^32', () => {
    const table = new NgramTable(16);
    for (let i = 0; i < 10_000; i++) assert.equal(table.add(i * 7919, i ^ 0x5555, 1), 1);
    for (let i = 0; i < 10_000; i += 2) assert.equal(table.add(i * 7919, i ^ 0x5555, 2), 3);
    assert.equal(table.size, 10_000);
    assert.equal(table.total, 10_000 + 5_000 * 2);
    assert.ok(table.capacity >= 20_000);
    assert.equal(table.get(4 * 7919, 4 ^ 0x5555), 3);
    assert.equal(table.get(5 * 7919, 5 ^ 0x5555), 1);
    assert.equal(table.get(1, 1), 0);
    const big = 2 ** 32 + 5;
    assert.equal(table.add(0xffffffff, 0xffffffff, big), big);
    assert.equal(table.add(0xffffffff, 0xffffffff, big), 2 * big);
    assert.equal(table.get(-1, -1), 2 * big);
    let visited = 0;
    let sum = 0;
    table.forEach((_hi, _lo, count) => {
      visited++;
      sum += count;
    });
    assert.equal(visited, table.size);
    assert.equal(sum, table.total);
  });

  test('mergeFrom adds counts', () => {
    const left = new NgramTable();
    const right = new NgramTable();
    left.add(1, 2);
    left.add(3, 4, 5);
    right.add(3, 4, 2);
    right.add(5, 6);
    left.mergeFrom(right);
    assert.equal(left.size, 3);
    assert.equal(left.total, 9);
    assert.equal(left.get(3, 4), 7);
    assert.equal(left.get(5, 6), 1);
  });

  test('fingerprints are canonical, order-sensitive and (on this vocabulary) collision-free', () => {
    const fp = (tokens: string[], n: number) => {
      const out: string[] = [];
      forEachNgram(hashTokens(tokens), n, (hi, lo) => out.push(`${hi}:${lo}`));
      return out;
    };
    // The same n-gram at different positions of different buffers.
    assert.equal(fp(['x', 'the', 'cat'], 2)[1], fp(['the', 'cat'], 2)[0]);
    assert.notEqual(fp(['the', 'cat'], 2)[0], fp(['cat', 'the'], 2)[0]);
    assert.notEqual(fp(['ab', 'c'], 2)[0], fp(['a', 'bc'], 2)[0]);
    // Every 2-gram over 400 words: 160,000 distinct fingerprints.
    const words = Array.from({ length: 400 }, (_, i) => `w${i}`);
    const buffer = hashTokens(words);
    const table = new NgramTable();
    const pair = new TokenHashBuffer(2);
    for (let i = 0; i < words.length; i++) {
      for (let j = 0; j < words.length; j++) {
        pair.reset();
        pair.push(buffer.hi[i]!, buffer.lo[i]!);
        pair.push(buffer.hi[j]!, buffer.lo[j]!);
        forEachNgram(pair, 2, (hi, lo) => table.add(hi, lo));
      }
    }
    assert.equal(table.size, 160_000);
    // The [firstEnd, lastEnd] window.
    const ends: number[] = [];
    forEachNgram(hashTokens(['a', 'b', 'c', 'd', 'e']), 2, (_hi, _lo, start) => ends.push(start + 2), 3, 4);
    assert.deepEqual(ends, [3, 4]);
  });

  test('bulk operations (appendNgrams, addAll, getAll, mergeFrom) agree with the one-at-a-time ones', () => {
    const random = prng(3);
    const tokens = Array.from({ length: 60_000 }, () => `t${Math.floor(random() * 3000)}`);
    const hashes = hashTokens(tokens);
    for (const n of [1, 2, 3, 4]) {
      const visited = new PairBuffer();
      forEachNgram(hashes, n, (hi, lo) => visited.push(hi, lo), 10, 5000);
      const appended = new PairBuffer();
      assert.equal(appendNgrams(hashes, n, appended, 10, 5000), visited.length);
      assert.deepEqual(appended.hi.subarray(0, appended.length), visited.hi.subarray(0, visited.length));
      assert.deepEqual(appended.lo.subarray(0, appended.length), visited.lo.subarray(0, visited.length));
    }
    const fingerprints = new PairBuffer();
    appendNgrams(hashes, 2, fingerprints);
    const one = new NgramTable(16);
    for (let i = 0; i < fingerprints.length; i++) one.add(fingerprints.hi[i]!, fingerprints.lo[i]!);
    const bulk = new NgramTable(16);
    bulk.addAll(fingerprints);
    assert.equal(bulk.size, one.size);
    assert.equal(bulk.total, fingerprints.length);
    const counts = new Float64Array(fingerprints.length);
    bulk.getAll(fingerprints, counts);
    for (let i = 0; i < fingerprints.length; i++)
      assert.equal(counts[i], one.get(fingerprints.hi[i]!, fingerprints.lo[i]!));
    // Merge two halves (overlapping n-grams) into a small table: the same as the whole.
    const left = new NgramTable(16);
    const right = new NgramTable(16);
    for (let i = 0; i < fingerprints.length; i++)
      (i < 20_000 ? left : right).add(fingerprints.hi[i]!, fingerprints.lo[i]!);
    left.mergeFrom(right);
    assert.equal(left.size, one.size);
    assert.equal(left.total, one.total);
    one.forEach((hi, lo, count) => assert.equal(left.get(hi, lo), count));
  });

  test('FingerprintSet clears in O(1) and grows', () => {
    const set = new FingerprintSet(16);
    for (let i = 0; i < 1000; i++) assert.equal(set.add(i, i * 31), true);
    assert.equal(set.add(5, 155), false);
    assert.equal(set.size, 1000);
    set.clear();
    assert.equal(set.size, 0);
    assert.equal(set.add(5, 155), true);
    assert.equal(set.add(5, 155), false);
  });

  test('ExactSum is order-independent', () => {
    const values = Array.from({ length: 1000 }, (_, i) => Math.log1p(i) * (i % 3 === 0 ? 1e10 : 1e-6));
    const forward = new ExactSum();
    for (const v of values) forward.add(v);
    const a = new ExactSum();
    const b = new ExactSum();
    values.forEach((v, i) => (i % 2 === 0 ? a : b).add(v));
    b.addAll(a);
    assert.equal(b.value, forward.value);
    const reversed = new ExactSum();
    for (const v of [...values].reverse()) reversed.add(v);
    assert.equal(reversed.value, forward.value);
    const tiny = new ExactSum();
    for (const v of [1e100, 1, -1e100, 1e-30]) tiny.add(v);
    assert.equal(tiny.value, 1 + 1e-30);
  });
});

describe('diversity.distinct_n', () => {
  // Texts: "the cat sat" | "the cat ran" | "" | "dog"
  //   n=1: tokens the cat sat the cat ran dog -> total 7, distinct {the,cat,sat,ran,dog} = 5 -> 5/7
  //   n=2: (the cat)(cat sat) (the cat)(cat ran) -> total 4, distinct 3 -> 3/4 ("dog" has none)
  //   n=3: (the cat sat)(the cat ran) -> 2/2 = 1
  //   n=4: no text has 4 tokens -> null
  const texts = ['the cat sat', 'the cat ran', '', 'dog'];

  test('hand-computed values', async () => {
    const run = async (n: number) =>
      (await runInMemory(distinctN, { ...RESPONSE, n }, samplesOf(texts))).outcome;
    assert.deepEqual(await run(1), {
      value: 5 / 7,
      n: 4,
      estimator: 'EXACT',
      details: { distinct: 5, total: 7 },
    });
    assert.deepEqual(await run(2), {
      value: 3 / 4,
      n: 4,
      estimator: 'EXACT',
      details: { distinct: 3, total: 4 },
    });
    assert.deepEqual(await run(3), {
      value: 1,
      n: 4,
      estimator: 'EXACT',
      details: { distinct: 2, total: 2 },
    });
    const four = await run(4);
    assert.equal(four.value, null);
    assert.match(four.reason!, /no n-grams: every text has fewer than 4 tokens/);
    assert.deepEqual(four.details, { distinct: 0, total: 0 });
  });

  test('null with a reason on no samples', async () => {
    const { outcome } = await runInMemory(distinctN, { ...RESPONSE, n: 2 }, []);
    assert.equal(outcome.value, null);
    assert.equal(outcome.n, 0);
    assert.ok(outcome.reason);
  });

  test('matches the naive implementation on seeded random inputs', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const texts = randomTexts(seed, 5 + seed * 13);
      for (let n = 1; n <= 4; n++) {
        const naive = naiveDistinctN(texts, n);
        const { outcome } = await runInMemory(distinctN, { ...RESPONSE, n }, samplesOf(texts), {
          batchSize: 5,
        });
        assert.equal(outcome.value, naive.value, `seed ${seed} n ${n}`);
        assert.deepEqual(outcome.details, { distinct: naive.distinct, total: naive.total });
        assert.equal(outcome.n, texts.length);
      }
    }
  });
});

describe('diversity.ngram_diversity', () => {
  test('hand-computed value (n-grams cross sample boundaries)', async () => {
    // "the cat sat" | "the cat ran" | "" | "dog" joined with one space: "the cat sat the cat ran  dog"
    // tokens: the cat sat the cat ran dog (7)
    //   n=1: unique {the,cat,sat,ran,dog} 5 / 7
    //   n=2: the-cat cat-sat sat-the the-cat cat-ran ran-dog: unique 5 / 6
    //   n=3: the-cat-sat cat-sat-the sat-the-cat the-cat-ran cat-ran-dog: 5 / 5
    //   n=4: the-cat-sat-the cat-sat-the-cat sat-the-cat-ran the-cat-ran-dog: 4 / 4
    // value = 5/7 + 5/6 + 1 + 1 = 149/42
    const { outcome } = await runInMemory(
      ngramDiversity,
      RESPONSE,
      samplesOf(['the cat sat', 'the cat ran', '', 'dog']),
    );
    assert.equal(outcome.value, 5 / 7 + 5 / 6 + 1 + 1);
    assert.ok(Math.abs(outcome.value! - 149 / 42) < 1e-15);
    assert.equal(outcome.estimator, 'EXACT');
    assert.equal(outcome.n, 4);
    assert.deepEqual(outcome.details, {
      tokens: 7,
      orders: [
        { n: 1, unique: 5, total: 7 },
        { n: 2, unique: 5, total: 6 },
        { n: 3, unique: 5, total: 5 },
        { n: 4, unique: 4, total: 4 },
      ],
    });
  });

  test('orders with no n-grams add 0; null when there are no tokens', async () => {
    // "a" | "a": tokens a a -> n=1: 1/2, n=2: (a a) 1/1, n=3 and n=4: none -> 1.5
    const { outcome } = await runInMemory(ngramDiversity, RESPONSE, samplesOf(['a', 'a']));
    assert.equal(outcome.value, 1.5);
    for (const texts of [[], ['', '  \n ']]) {
      const empty = (await runInMemory(ngramDiversity, RESPONSE, samplesOf(texts))).outcome;
      assert.equal(empty.value, null);
      assert.ok(empty.reason);
      assert.equal(empty.n, texts.length);
    }
  });

  test('matches the naive implementation on seeded random inputs', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const texts = randomTexts(seed * 101, 3 + seed * 11);
      const naive = naiveNgramDiversity(texts);
      const { outcome } = await runInMemory(ngramDiversity, RESPONSE, samplesOf(texts), { batchSize: 4 });
      assert.equal(outcome.value, naive.value, `seed ${seed}`);
      assert.deepEqual((outcome.details as { orders: unknown }).orders, naive.orders);
    }
  });
});

describe('diversity.compression_ratio', () => {
  test("hand-computed input bytes; compressed length equals CPython's gzip.compress(raw, 9)", async () => {
    // "héllo" (6 bytes) + " " + "" + " " + "日本" (6 bytes) = 14 bytes
    const texts = ['héllo', '', '日本'];
    const { outcome } = await runInMemory(compressionRatio, RESPONSE, samplesOf(texts));
    const compressed = pythonGzipLength('héllo  日本');
    assert.deepEqual(outcome, {
      value: 14 / compressed,
      n: 3,
      estimator: 'EXACT',
      details: { inputBytes: 14, compressedBytes: compressed, deflate: DEFLATE_IMPLEMENTATION },
    });
  });

  test('equals reference zlib (CPython gzip.compress) on a 40 kB corpus of repeated phrases', async () => {
    const random = prng(2403);
    const phrases = ['the quick brown fox', 'jumps over', 'a lazy dog', 'naïve café', '42', 'über alles'];
    const texts = Array.from({ length: 900 }, () =>
      Array.from({ length: 4 }, () => phrases[Math.floor(random() * phrases.length)]!).join(' '),
    );
    const whole = texts.join(' ');
    assert.ok(Buffer.byteLength(whole) >= 10_000);
    const { outcome } = await runInMemory(compressionRatio, RESPONSE, samplesOf(texts), { batchSize: 64 });
    // GNU gzip is no reference: its own deflate differs from zlib's by ~0.1% on megabytes of text.
    const python = pythonGzipLength(whole);
    assert.deepEqual(outcome.details, {
      inputBytes: Buffer.byteLength(whole),
      compressedBytes: python,
      deflate: DEFLATE_IMPLEMENTATION,
    });
    assert.equal(outcome.value, Buffer.byteLength(whole) / python);
  });

  test('streamed length equals reference zlib on the whole join for various batch sizes', async () => {
    const random = prng(7);
    // Enough text (~1.5 MB) for several deflate blocks and stream back-pressure.
    const texts = Array.from({ length: 3000 }, (_, i) =>
      i % 97 === 0
        ? ''
        : Array.from(
            { length: 60 },
            () => VOCAB[Math.floor(random() * VOCAB.length)]! + Math.floor(random() * 50),
          ).join(' '),
    );
    const whole = pythonGzipLength(texts.join(' '));
    const bytes = Buffer.byteLength(texts.join(' '));
    for (const batchSize of [1, 7, 100, 1000, 5000]) {
      const { outcome } = await runInMemory(compressionRatio, RESPONSE, samplesOf(texts), { batchSize });
      assert.equal(outcome.estimator, 'EXACT');
      assert.deepEqual(
        outcome.details,
        { inputBytes: bytes, compressedBytes: whole, deflate: DEFLATE_IMPLEMENTATION },
        `batch ${batchSize}`,
      );
      assert.equal(outcome.value, bytes / whole);
    }
  });

  test('matches the naive implementation on seeded random inputs', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const texts = randomTexts(seed * 7, seed * 9);
      const naive = naiveCompressionRatio(texts);
      const { outcome } = await runInMemory(compressionRatio, RESPONSE, samplesOf(texts), { batchSize: 3 });
      assert.equal(outcome.value, naive.value, `seed ${seed}`);
      if (naive.value !== null) {
        assert.deepEqual(outcome.details, {
          inputBytes: naive.inputBytes,
          compressedBytes: naive.compressedBytes,
          deflate: DEFLATE_IMPLEMENTATION,
        });
      }
    }
  });

  test('null on no samples and on a single empty text; two empty texts are one space', async () => {
    for (const texts of [[], ['']]) {
      const { outcome } = await runInMemory(compressionRatio, RESPONSE, samplesOf(texts));
      assert.equal(outcome.value, null);
      assert.ok(outcome.reason);
      assert.equal(outcome.estimator, 'EXACT');
    }
    const { outcome } = await runInMemory(compressionRatio, RESPONSE, samplesOf(['', '']));
    assert.equal(outcome.value, 1 / pythonGzipLength(' '));
  });

  test('4 shards: APPROXIMATE with exact input bytes; 1 shard: EXACT and equal to reference zlib', async () => {
    const texts = randomTexts(99, 200);
    const one = (await runInMemory(compressionRatio, RESPONSE, samplesOf(texts))).outcome;
    const naive = naiveCompressionRatio(texts);
    assert.equal(one.estimator, 'EXACT');
    assert.equal(one.value, naive.value);
    assert.equal(
      (one.details as { compressedBytes: number }).compressedBytes,
      pythonGzipLength(texts.join(' ')),
    );
    const four = (
      await runInMemory(compressionRatio, RESPONSE, samplesOf(texts), { shards: 4, batchSize: 7 })
    ).outcome;
    assert.equal(four.estimator, 'APPROXIMATE');
    assert.equal(four.n, texts.length);
    const details = four.details as { inputBytes: number; compressedBytes: number; mergedShards: number };
    assert.equal(details.inputBytes, naive.inputBytes);
    assert.equal(details.mergedShards, 4);
    assert.ok(details.compressedBytes > 0);
    assert.equal(four.value, details.inputBytes / details.compressedBytes);
    // Shards that hold no samples keep the run exact.
    const sparse = (await runInMemory(compressionRatio, RESPONSE, samplesOf(['a b a b', 'c']), { shards: 4 }))
      .outcome;
    assert.equal(sparse.estimator, 'APPROXIMATE');
    const single = (await runInMemory(compressionRatio, RESPONSE, samplesOf(['a b a b']), { shards: 4 }))
      .outcome;
    assert.equal(single.estimator, 'EXACT');
    assert.equal(single.value, naiveCompressionRatio(['a b a b']).value);
  });
});

describe('diversity.self_repetition', () => {
  // A "a b c d e"        4-grams abcd, bcde
  // B "a b c d"          abcd
  // C "x b c d e"        xbcd, bcde
  // D "a b"              none
  // E "b c d e b c d e"  bcde, cdeb, debc, ebcd, bcde -> unique bcde, cdeb, debc, ebcd
  // df: abcd 2 (A,B), bcde 3 (A,C,E), the others 1
  // s: A = (2-1)+(3-1) = 3, B = 1, C = 0+2 = 2, D = 0, E = 2+0+0+0 = 2
  // mean of ln(1+s) = (ln 4 + ln 2 + ln 3 + 0 + ln 3) / 5 = ln(72) / 5
  const texts = ['a b c d e', 'a b c d', 'x b c d e', 'a b', 'b c d e b c d e'];

  test('hand-computed value and per-sample values', async () => {
    const { outcome, sampleValues } = await runInMemory(selfRepetition, RESPONSE, samplesOf(texts));
    assertClose(outcome.value, Math.log(72) / 5);
    assert.equal(outcome.n, 5);
    assert.equal(outcome.estimator, 'EXACT');
    assert.deepEqual(outcome.details, { ngramOrder: 4, samplesWithNgrams: 4 });
    assert.deepEqual(
      sampleValues.map((v) => v.ordinal),
      [0, 1, 2, 3, 4],
    );
    const expected = [Math.log(4), Math.log(2), Math.log(3), 0, Math.log(3)];
    sampleValues.forEach((v, i) => assertClose(v.value, expected[i]!, `sample ${i}`));
  });

  test('null with a reason on no samples; short texts score 0', async () => {
    const { outcome } = await runInMemory(selfRepetition, RESPONSE, []);
    assert.equal(outcome.value, null);
    assert.ok(outcome.reason);
    const short = await runInMemory(selfRepetition, RESPONSE, samplesOf(['a', '', 'a b c']));
    assert.equal(short.outcome.value, 0);
    assert.equal(short.outcome.n, 3);
    assert.deepEqual(
      short.sampleValues.map((v) => v.value),
      [0, 0, 0],
    );
  });

  test('matches the naive O(n^2) implementation on seeded random inputs', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      // A 4-word vocabulary so that 4-grams repeat across samples.
      const texts = randomTexts(seed * 31, 4 + seed * 9, ['a', 'b', 'c', 'é']);
      const naive = naiveSelfRepetition(texts);
      const { outcome, sampleValues } = await runInMemory(selfRepetition, RESPONSE, samplesOf(texts), {
        batchSize: 6,
      });
      assertClose(outcome.value, naive.value, `seed ${seed}`);
      assert.equal(sampleValues.length, texts.length);
      sampleValues.forEach((v, i) => {
        assert.equal(v.ordinal, i);
        assertClose(v.value, naive.perSample[i]!, `seed ${seed} sample ${i}`);
      });
    }
  });
});

describe('shard merge', () => {
  // Sizes chosen so that some of the 4 shards are empty or hold fewer than 3 tokens.
  const inputs: string[][] = [
    [],
    ['a'],
    ['a', 'b'],
    ['a b', '', 'a'],
    ['a', '', 'b', 'a', 'b', 'a', 'b'],
    ['a b c d', 'a', '', 'b c', 'd a b c d', 'a b'],
    ...[1, 2, 3, 4, 5, 6].map((seed) => randomTexts(seed * 1000, seed * 17)),
    randomTexts(77, 300, ['a', 'b', 'c']),
  ];

  test('4 shards, batch 7 equal 1 shard exactly for distinct_n, ngram_diversity and self_repetition', async () => {
    for (const texts of inputs) {
      const samples = samplesOf(texts);
      const cases: { metric: MetricDefinition; params: ResolvedParams }[] = [
        ...[1, 2, 3, 4].map((n) => ({ metric: distinctN, params: { ...RESPONSE, n } })),
        { metric: ngramDiversity, params: RESPONSE },
        { metric: selfRepetition, params: RESPONSE },
      ];
      for (const { metric, params } of cases) {
        const one = await runInMemory(metric, params, samples);
        for (const shards of [2, 4, 9]) {
          const many = await runInMemory(metric, params, samples, { shards, batchSize: 7 });
          assert.deepEqual(
            many.outcome,
            one.outcome,
            `${metric.key} ${JSON.stringify(params)} shards ${shards} on ${texts.length} texts`,
          );
          assert.deepEqual(many.sampleValues, one.sampleValues);
        }
      }
    }
  });
});

describe('field param', () => {
  // s0: prompt "a b", response "b c"; s1: prompt "", response "c d"
  //   prompt:          a b              -> distinct-1 = 2/2 = 1
  //   response:        b c | c d        -> {b,c,d} 3/4
  //   prompt+response: "a b\nb c" | "c d" (empty prompt: response only) -> a b b c | c d -> {a,b,c,d} 4/6
  // compression input bytes: prompt "a b" + " " + "" = 4; response "b c c d" = 7;
  //   prompt+response "a b\nb c" + " " + "c d" = 11
  const samples = samplesOf(['b c', 'c d'], ['a b', '']);

  test('prompt, response and prompt+response give the expected values', async () => {
    const expected: Record<TextField, { distinct1: number; bytes: number; ngramDiversity: number }> = {
      // tokens a b -> 2/2 + 1/1
      prompt: { distinct1: 1, bytes: 4, ngramDiversity: 1 + 1 },
      // tokens b c c d -> 3/4 + 3/3 + 2/2 + 1/1
      response: { distinct1: 3 / 4, bytes: 7, ngramDiversity: 3 / 4 + 1 + 1 + 1 },
      // tokens a b b c c d -> 4/6 + 5/5 + 4/4 + 3/3
      'prompt+response': { distinct1: 4 / 6, bytes: 11, ngramDiversity: 4 / 6 + 1 + 1 + 1 },
    };
    for (const field of ['prompt', 'response', 'prompt+response'] as const) {
      const distinct = (await runInMemory(distinctN, { field, n: 1 }, samples)).outcome;
      assert.equal(distinct.value, expected[field].distinct1, field);
      const diversity = (await runInMemory(ngramDiversity, { field }, samples)).outcome;
      assert.equal(diversity.value, expected[field].ngramDiversity, field);
      const compression = (await runInMemory(compressionRatio, { field }, samples)).outcome;
      assert.equal((compression.details as { inputBytes: number }).inputBytes, expected[field].bytes, field);
    }
  });
});
