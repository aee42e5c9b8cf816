import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  homogenizationRougeLMetric,
  lcsLength,
  meanPairwiseRougeL,
  rougeL,
  rougeTokens,
} from '../src/metrics/diversity/homogenizationRougeL.js';
import { meanSelfBleu, selfBleuMetric, selfBleuScores } from '../src/metrics/diversity/selfBleu.js';
import { fsum } from '../src/metrics/exactSum.js';
import { runInMemory } from '../src/metrics/runInMemory.js';
import {
  compareSubsetEntries,
  selectSeededSubset,
  subsetPriority,
  type SubsetMetricParams,
} from '../src/metrics/seededSubset.js';
import type { MetricDefinition, MetricSample } from '../src/metrics/types.js';
import { whitespaceTokens } from '../src/metrics/types.js';
import {
  naiveLcs,
  naiveMeanPairwiseRougeL,
  naiveRougeL,
  naiveSelfBleuScores,
  naiveSentenceBleu,
} from './helpers/naivePairwise.js';
import { prng as rng } from './helpers/prng.js';

const split = (text: string) => whitespaceTokens(text);

/** Sentence BLEU of `hypothesis` against `references` through the fast all-pairs code. */
function fastBleu(references: string[][], hypothesis: string[]): number {
  return selfBleuScores([hypothesis, ...references])[0]!;
}

function close(actual: number, expected: number, tolerance = 1e-12, message?: string) {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    message ?? `${actual} != ${expected} (tolerance ${tolerance})`,
  );
}

function randomTokens(random: () => number, length: number, vocabulary: number): string[] {
  return Array.from({ length }, () => `w${Math.floor(random() * vocabulary)}`);
}

function randomLists(
  seed: number,
  count: number,
  vocabulary: number,
  extraLengths: number[] = [],
): string[][] {
  const random = rng(seed);
  const lists = Array.from({ length: count }, () =>
    randomTokens(random, Math.floor(random() * 61), vocabulary),
  );
  for (const length of extraLengths) lists.push(randomTokens(random, length, vocabulary));
  return lists;
}

function sample(ordinal: number, response: string, prompt = ''): MetricSample {
  return {
    ordinal,
    contentHash: createHash('sha256').update(`${prompt}\u0000${response}`).digest('hex'),
    prompt,
    response,
    reference: null,
  };
}

function randomSamples(seed: number, count: number): MetricSample[] {
  const random = rng(seed);
  return Array.from({ length: count }, (_, i) =>
    sample(i, randomTokens(random, 3 + Math.floor(random() * 20), 8).join(' '), `prompt ${i}`),
  );
}

const PARAMS: SubsetMetricParams = { field: 'response', seed: 0, subsetSize: 1000 };

// NLTK's examples (bleu_score.py docstrings and the BLEU paper).
const REF1 = split('It is a guide to action that ensures that the military will forever heed Party commands');
const REF2 = split(
  'It is the guiding principle which guarantees the military forces always being under the command of the Party',
);
const REF3 = split('It is the practical guide for the army always to heed the directions of the party');
const HYP1 = split(
  'It is a guide to action which ensures that the military always obeys the commands of the party',
);
const HYP2 = split('It is to insure the troops forever hearing the activity guidebook that party direct');
const a = (n: number) => new Array<string>(n).fill('a');

describe('sentence BLEU (NLTK method1)', () => {
  const both = (references: string[][], hypothesis: string[]) => [
    fastBleu(references, hypothesis),
    naiveSentenceBleu(references, hypothesis),
  ];

  it('is 1 for a hypothesis equal to a reference of 4+ tokens', () => {
    for (const value of both([split('the cat sat on the mat')], split('the cat sat on the mat')))
      assert.equal(value, 1);
  });

  it('smooths zero n-gram matches with 0.1 / (number of hypothesis n-grams)', () => {
    // hyp "a b c d", ref "a b x d":
    //   p1 = 3/4 (a, b, d); p2 = 1/3 (ab of ab bc cd); p3 = 0/2 -> 0.1/2 = 0.05; p4 = 0/1 -> 0.1.
    //   c = r = 4 -> BP = exp(1 - 4/4) = 1.
    //   BLEU = (0.75 * 1/3 * 0.05 * 0.1)^(1/4) = 0.00125^0.25 = 0.18803015...
    const expected = 0.00125 ** 0.25;
    for (const value of both([split('a b x d')], split('a b c d'))) close(value, expected, 1e-15);
  });

  it('applies the brevity penalty, and smooths the missing 4-grams of a 3-token hypothesis', () => {
    // hyp "a b c" (c = 3), ref "a b c d e" (r = 5):
    //   p1 = 3/3, p2 = 2/2, p3 = 1/1, p4: no hypothesis 4-gram -> 0 / max(1, 0) -> 0.1 / 1.
    //   BP = exp(1 - 5/3) = exp(-2/3) = 0.51341711...; BLEU = BP * 0.1^0.25 = 0.28871566...
    const expected = Math.exp(-2 / 3) * 0.1 ** 0.25;
    for (const value of both([split('a b c d e')], split('a b c'))) close(value, expected, 1e-15);
  });

  it('picks the closest reference length, ties going to the shorter one', () => {
    // hyp of 12 tokens, refs of 13 and 11: both at distance 1 -> r = 11 < c -> BP = 1 (NLTK doctest).
    for (const value of both([a(13), a(11)], a(12))) assert.equal(value, 1);
    for (const value of both([a(11), a(13)], a(12))) assert.equal(value, 1);
    // refs of 13 and 2: r = 13 -> BP = exp(1 - 13/12) = 0.9200... (NLTK doctest).
    for (const value of both([a(13), a(2)], a(12))) close(value, Math.exp(1 - 13 / 12), 1e-15);
  });

  it('is 0 for an empty hypothesis and when no unigram matches', () => {
    for (const value of both([split('the candidate has no alignment')], [])) assert.equal(value, 0);
    for (const value of both(
      [split('The candidate has no alignment to any of the references')],
      split('John loves Mary'),
    ))
      assert.equal(value, 0);
    for (const value of both([[]], split('John loves Mary'))) assert.equal(value, 0);
  });

  it("reproduces NLTK's documented values", () => {
    // sentence_bleu docstring: 0.5045... (no zero counts, so method1 changes nothing).
    // Full-precision values from a Python re-statement of NLTK's code (Fraction-free, math.fsum).
    const cases: [string[][], string[], number, string][] = [
      [[REF1, REF2, REF3], HYP1, 0.5045666840058485, '0.5045'],
      // "... smoothing_function=chencherry.method1) 0.0370..."
      [[REF1, REF2, REF3], HYP2, 0.03703131191121491, '0.0370'],
      // SmoothingFunction docstring, method1: 0.4118...
      [[REF1], HYP1, 0.41180376356915777, '0.4118'],
      // brevity_penalty docstrings: all precisions 1, so BLEU = BP.
      [[a(28), a(28)], a(12), 0.2635971381157267, '0.2635'],
      [[a(11), a(8)], a(7), 0.8668778997501817, '0.8668'],
    ];
    for (const [references, hypothesis, expected, prefix] of cases) {
      for (const value of both(references, hypothesis)) {
        close(value, expected, 1e-15);
        assert.ok(value.toFixed(6).startsWith(prefix), `${value} should start with ${prefix}`);
      }
    }
    assert.equal(fastBleu([a(28), a(28)], a(12)), 0.2635971381157267);
  });

  it("gives NLTK's modified precisions through the all-pairs statistics", () => {
    // The BLEU paper's "the the the ..." example: p1 = 2/7; and "of the": p1 = p2 = 1, p3 = p4 = 0.1 / 1,
    // c = 2, closest r = 16 -> BP = exp(1 - 16/2) = exp(-7).
    const references = [split('the cat is on the mat'), split('there is a cat on the mat')];
    // "the" x7: p1 = 2/7, p2 = 0/6 -> 0.1/6, p3 = 0.1/5, p4 = 0.1/4; c = 7 > r = 7? no (r = 7) -> BP = 1.
    const expected = Math.exp(
      0.25 * (Math.log(2 / 7) + Math.log(0.1 / 6) + Math.log(0.1 / 5) + Math.log(0.1 / 4)),
    );
    close(
      fastBleu(
        references,
        a(7).map(() => 'the'),
      ),
      expected,
      1e-15,
    );
    close(fastBleu([REF1, REF2, REF3], split('of the')), Math.exp(-7) * Math.exp(0.5 * Math.log(0.1)), 1e-15);
  });

  it('fsum rounds like math.fsum', () => {
    assert.equal(fsum([0.1, 0.2, 0.3]), 0.6);
    assert.equal(fsum([1e100, 1, -1e100]), 1);
    assert.equal(fsum([1, 1e-16, 1e-16]), 1.0000000000000002);
    assert.equal(fsum([]), 0);
  });
});

describe('self-BLEU fast vs naive', () => {
  it('agrees per hypothesis on seeded random texts (small vocabulary, lengths 0..60 and longer)', () => {
    for (const [seed, vocabulary] of [
      [1, 3],
      [2, 6],
      [3, 12],
      [4, 40],
    ] as const) {
      const lists = randomLists(seed, 40, vocabulary, [0, 0, 1, 2, 3, 33, 64, 65, 130]);
      const fast = selfBleuScores(lists);
      const naive = naiveSelfBleuScores(lists);
      for (let i = 0; i < lists.length; i++)
        close(fast[i]!, naive[i]!, 1e-12, `seed ${seed} text ${i}: ${fast[i]} vs ${naive[i]}`);
    }
  });

  it('handles duplicates (the largest count held by two texts) and all-equal lengths', () => {
    const lists = [split('a a b a'), split('a a b a'), split('a b b b'), split('b a a a'), split('c c c c')];
    const fast = selfBleuScores(lists);
    const naive = naiveSelfBleuScores(lists);
    for (let i = 0; i < lists.length; i++) close(fast[i]!, naive[i]!, 1e-15);
    assert.equal(fast[0], 1);
    assert.equal(fast[4], 0);
  });

  it('needs at least 2 texts', () => {
    assert.throws(() => selfBleuScores([['a']]), RangeError);
  });
});

describe('ROUGE-L', () => {
  it('tokenises Unicode-aware: lowercase, non-letters/digits to spaces', () => {
    assert.deepEqual(rougeTokens("Hello, World! It's 2024..."), ['hello', 'world', 'it', 's', '2024']);
    assert.deepEqual(rougeTokens('Ça va?\tTrès bien—merci'), ['ça', 'va', 'très', 'bien', 'merci']);
    // Combining marks (Devanagari vowel signs and virama) stay inside their words.
    assert.deepEqual(rougeTokens('नमस्ते, दुनिया!'), ['नमस्ते', 'दुनिया']);
    assert.deepEqual(rougeTokens('日本語 テキスト'), ['日本語', 'テキスト']);
    assert.deepEqual(rougeTokens('  --  '), []);
    assert.deepEqual(rougeTokens(''), []);
  });

  it('computes hand-worked F-measures', () => {
    // "testing one two" vs "testing two": LCS 2, P = 2/2, R = 2/3, F = 2 * (2/3) / (5/3) = 0.8.
    close(rougeL(split('testing one two'), split('testing two')), 0.8, 1e-15);
    // "a b c d" vs "b d a": LCS 2 ("b d"), F = 2L / (m + n) = 4/7.
    close(rougeL(split('a b c d'), split('b d a')), 4 / 7, 1e-15);
    // Identical -> 1; disjoint -> 0; empty -> 0.
    assert.equal(rougeL(split('x y z'), split('x y z')), 1);
    assert.equal(rougeL(split('x y z'), split('u v')), 0);
    assert.equal(rougeL([], split('u v')), 0);
    // Symmetric, bit for bit.
    assert.equal(
      rougeL(split('a b c d e f'), split('f a c e')),
      rougeL(split('f a c e'), split('a b c d e f')),
    );
    // Mean over the 3 pairs of ["a b", "a c", "b c"]: each pair has LCS 1, F = 2/4 -> mean 0.5.
    close(meanPairwiseRougeL([split('a b'), split('a c'), split('b c')]), 0.5, 1e-15);
  });

  it('bit-parallel LCS equals the DP on seeded random pairs, across 32-bit word boundaries', () => {
    const random = rng(7);
    const lengths = [0, 1, 5, 31, 32, 33, 60, 63, 64, 65, 96, 97, 128, 129, 200];
    for (const vocabulary of [2, 4, 10, 50]) {
      for (const m of lengths) {
        for (const n of lengths) {
          const x = randomTokens(random, m, vocabulary);
          const y = randomTokens(random, n, vocabulary);
          const expected = naiveLcs(x, y);
          assert.equal(lcsLength(x, y), expected, `m=${m} n=${n} vocabulary=${vocabulary}`);
          assert.equal(lcsLength(y, x), expected);
        }
      }
    }
    // Long runs of one token make carries ripple through many words.
    assert.equal(lcsLength(new Array(200).fill('a'), new Array(150).fill('a')), 150);
    assert.equal(lcsLength([...new Array(100).fill('a'), 'b'], ['b', ...new Array(100).fill('a')]), 100);
  });

  it('mean pairwise ROUGE-L equals the naive mean on seeded random texts', () => {
    for (const [seed, vocabulary] of [
      [11, 3],
      [12, 6],
      [13, 20],
    ] as const) {
      const lists = randomLists(seed, 35, vocabulary, [0, 33, 64, 65, 100, 130]);
      close(meanPairwiseRougeL(lists), naiveMeanPairwiseRougeL(lists), 1e-12);
      for (let i = 0; i < 6; i++) {
        const x = lists[i]!;
        const y = lists[lists.length - 1 - i]!;
        close(rougeL(x, y), naiveRougeL(x, y), 1e-15);
      }
    }
  });
});

describe('seeded subset', () => {
  it('derives a 53-bit priority from seed and content hash', () => {
    const p = subsetPriority(0, 'abc');
    assert.ok(Number.isSafeInteger(p) && p >= 0 && p < 2 ** 53);
    assert.equal(subsetPriority(0, 'abc'), p);
    assert.notEqual(subsetPriority(1, 'abc'), p);
    const digest = createHash('sha256').update('0:abc').digest();
    assert.equal(p, digest.readUInt32BE(0) * 2 ** 21 + (digest.readUInt32BE(4) >>> 11));
  });

  it('selects the k smallest priorities in canonical order, the same for any input order', () => {
    const samples = randomSamples(21, 200);
    const chosen = selectSeededSubset(samples, 'response', 5, 20);
    assert.equal(chosen.length, 20);
    for (let i = 1; i < chosen.length; i++) assert.ok(compareSubsetEntries(chosen[i - 1]!, chosen[i]!) < 0);
    const all = samples
      .map((s) => ({ ordinal: s.ordinal, priority: subsetPriority(5, s.contentHash) }))
      .sort(compareSubsetEntries)
      .slice(0, 20);
    assert.deepEqual(
      chosen.map((e) => e.ordinal),
      all.map((e) => e.ordinal),
    );
    const shuffled = [...samples].reverse();
    assert.deepEqual(selectSeededSubset(shuffled, 'response', 5, 20), chosen);
    const other = selectSeededSubset(samples, 'response', 6, 20).map((e) => e.ordinal);
    assert.notDeepEqual(
      other,
      chosen.map((e) => e.ordinal),
    );
  });

  it('samples coordinately: a kept parent-subset sample stays in a filtered child version subset', () => {
    const parent = randomSamples(22, 300);
    const parentChosen = new Set(
      selectSeededSubset(parent, 'response', 3, 30).map((e) => parent[e.ordinal]!.contentHash),
    );
    // Child: every other sample, renumbered.
    const child = parent.filter((_, i) => i % 2 === 0).map((s, i) => ({ ...s, ordinal: i }));
    const childChosen = new Set(
      selectSeededSubset(child, 'response', 3, 30).map((e) => child[e.ordinal]!.contentHash),
    );
    let kept = 0;
    for (const s of child) {
      if (parentChosen.has(s.contentHash)) {
        kept++;
        assert.ok(childChosen.has(s.contentHash));
      }
    }
    assert.ok(kept > 0);
  });
});

const METRICS: [string, MetricDefinition<SubsetMetricParams>, (texts: string[]) => number][] = [
  ['self_bleu', selfBleuMetric, (texts) => meanSelfBleu(texts.map(whitespaceTokens))],
  [
    'homogenization_rougeL',
    homogenizationRougeLMetric,
    (texts) => meanPairwiseRougeL(texts.map(rougeTokens)),
  ],
];

for (const [name, metric, direct] of METRICS) {
  describe(`${name} metric`, () => {
    it('declares its contract', () => {
      assert.equal(metric.axis, 'DIVERSITY');
      assert.equal(metric.version, 1);
      assert.equal(metric.direction, 'LOWER_IS_BETTER');
      assert.equal(metric.exactMerge, true);
      assert.deepEqual(Object.keys(metric.params).sort(), ['field', 'seed', 'subsetSize']);
      assert.deepEqual(
        { ...metric.params.seed!, description: '' },
        { type: 'int', default: 0, min: 0, max: 2147483647, description: '' },
      );
      assert.deepEqual(
        { ...metric.params.subsetSize!, description: '' },
        { type: 'int', default: 1000, min: 2, max: 20000, description: '' },
      );
      assert.equal((metric.params.field as { default: string }).default, 'response');
    });

    it('is EXACT over all samples when n <= subsetSize, and shard/batch independent', async () => {
      const samples = randomSamples(31, 37);
      const one = await runInMemory(metric, PARAMS, samples);
      assert.equal(one.outcome.estimator, 'EXACT');
      assert.equal(one.outcome.n, 37);
      assert.equal(one.outcome.sampleSize, undefined);
      assert.deepEqual(one.outcome.details, {
        ...one.outcome.details,
        seed: 0,
        subsetSize: 1000,
        population: 37,
      });
      assert.deepEqual(one.sampleValues, []);
      const expected = direct(selectSeededSubset(samples, 'response', 0, 1000).map((e) => e.item));
      assert.equal(one.outcome.value, expected);
      // Mean over all texts in input order: same up to summation order.
      close(one.outcome.value!, direct(samples.map((s) => s.response)), 1e-12);
      const sharded = await runInMemory(metric, PARAMS, samples, { shards: 4, batchSize: 5 });
      assert.equal(sharded.outcome.value, one.outcome.value);
      assert.deepEqual(sharded.outcome, one.outcome);
      const reversed = await runInMemory(metric, PARAMS, [...samples].reverse(), { shards: 3, batchSize: 2 });
      assert.equal(reversed.outcome.value, one.outcome.value);
    });

    it('is SAMPLED with sampleSize = subsetSize when n > subsetSize, deterministic per seed', async () => {
      const samples = randomSamples(32, 60);
      const params = { ...PARAMS, seed: 7, subsetSize: 10 };
      const one = await runInMemory(metric, params, samples);
      assert.equal(one.outcome.estimator, 'SAMPLED');
      assert.equal(one.outcome.sampleSize, 10);
      assert.equal(one.outcome.n, 10);
      assert.equal(one.outcome.details.seed, 7);
      assert.equal(one.outcome.details.subsetSize, 10);
      assert.equal(one.outcome.details.population, 60);
      assert.equal(
        one.outcome.value,
        direct(selectSeededSubset(samples, 'response', 7, 10).map((e) => e.item)),
      );
      const again = await runInMemory(metric, params, samples);
      assert.equal(again.outcome.value, one.outcome.value);
      const sharded = await runInMemory(metric, params, samples, { shards: 4, batchSize: 5 });
      assert.deepEqual(sharded.outcome, one.outcome);
      const shuffled = [...samples].sort((x, y) => x.contentHash.localeCompare(y.contentHash));
      const reordered = await runInMemory(metric, params, shuffled, { shards: 2, batchSize: 3 });
      assert.equal(reordered.outcome.value, one.outcome.value);
      const otherSeed = await runInMemory(metric, { ...params, seed: 8 }, samples);
      assert.notEqual(otherSeed.outcome.value, one.outcome.value);
    });

    it('reads the requested field', async () => {
      const samples = [
        sample(0, 'all the same words', 'alpha beta gamma delta'),
        sample(1, 'all the same words', 'zeta eta theta iota'),
      ];
      const response = await runInMemory(metric, PARAMS, samples);
      const prompt = await runInMemory(metric, { ...PARAMS, field: 'prompt' }, samples);
      assert.equal(response.outcome.value, 1);
      assert.equal(prompt.outcome.value, 0);
    });

    it('is null with a reason for fewer than 2 samples', async () => {
      for (const samples of [[], [sample(0, 'only one')]]) {
        const { outcome } = await runInMemory(metric, PARAMS, samples, { shards: 2 });
        assert.equal(outcome.value, null);
        assert.match(outcome.reason!, /at least 2/);
        assert.equal(outcome.n, samples.length);
        assert.equal(outcome.estimator, 'EXACT');
      }
    });

    it('counts empty texts in the subset (they score 0)', async () => {
      const samples = [sample(0, 'a b c d'), sample(1, 'a b c d'), sample(2, '')];
      const { outcome } = await runInMemory(metric, PARAMS, samples);
      assert.equal(outcome.n, 3);
      // self-BLEU: 1, 1, 0 -> 2/3; ROUGE-L pairs: 1, 0, 0 -> 1/3.
      close(outcome.value!, name === 'self_bleu' ? 2 / 3 : 1 / 3, 1e-15);
    });
  });
}

describe('pairwise metrics keys', () => {
  it('are exact', () => {
    assert.equal(selfBleuMetric.key, 'diversity.self_bleu');
    assert.equal(homogenizationRougeLMetric.key, 'diversity.homogenization_rougeL');
  });
});
