import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FloatDistribution, IntDistribution } from '../src/metrics/distribution.js';
import { textLength } from '../src/metrics/complexity/length.js';
import { countSteps, reasoningSteps } from '../src/metrics/complexity/steps.js';
import {
  countSyllables,
  fleschKincaidGrade,
  readability,
  readabilityCounts,
} from '../src/metrics/complexity/readability.js';
import { resolveParams } from '../src/metrics/params.js';
import { runInMemory } from '../src/metrics/runInMemory.js';
import type { MetricDefinition, MetricSample, ResolvedParams } from '../src/metrics/types.js';
import { prng } from './helpers/prng.js';

function samplesOf(responses: readonly string[], prompts: readonly string[] = []): MetricSample[] {
  return responses.map((response, ordinal) => ({
    ordinal,
    contentHash: `hash-${ordinal}`,
    prompt: prompts[ordinal] ?? '',
    response,
    reference: null,
  }));
}

function params<P extends ResolvedParams>(
  metric: MetricDefinition<P>,
  given: Record<string, unknown> = {},
): P {
  return resolveParams(metric, given) as P;
}

/** Naive type-7 quantile: sort a copy of every value, interpolate between neighbours. */
function naiveQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

function close(actual: number | null, expected: number, tolerance: number, message?: string): void {
  assert.ok(actual !== null, message ?? 'expected a number, got null');
  assert.ok(Math.abs(actual - expected) <= tolerance, `${message ?? ''} expected ${expected}, got ${actual}`);
}

const WORDS = [
  'the',
  'cat',
  'sat',
  'on',
  'a',
  'mat',
  'beautiful',
  'readability',
  'table',
  'make',
  'rhythm',
  'queue',
  '42',
  '=',
  'e.g.',
];
const ENDS = ['', '', '', '', ',', '.', '!', '?', '...', '."', '?!'];

function randomText(next: () => number, maxTokens: number): string {
  const tokens: string[] = [];
  const count = Math.floor(next() * (maxTokens + 1));
  for (let i = 0; i < count; i++) {
    tokens.push(WORDS[Math.floor(next() * WORDS.length)]! + ENDS[Math.floor(next() * ENDS.length)]!);
    if (next() < 0.15) tokens.push(next() < 0.5 ? '\n' : '\r\n\n');
  }
  return (next() < 0.2 ? '  ' : '') + tokens.join(' ');
}

function randomSamples(seed: number, count: number, maxTokens = 30): MetricSample[] {
  const next = prng(seed);
  return samplesOf(
    Array.from({ length: count }, () => randomText(next, maxTokens)),
    Array.from({ length: count }, () => randomText(next, 8)),
  );
}

describe('IntDistribution', () => {
  it('type-7 quantiles on small lists, worked by hand', () => {
    // [1, 2, 3, 4, 10]: n = 5. median: h = 4 * 0.5 = 2 -> x[2] = 3.
    // p90: h = 4 * 0.9 = 3.6 -> x[3] + 0.6 * (x[4] - x[3]) = 4 + 0.6 * 6 = 7.6 (numpy: 7.6000000000000005).
    // q = 0.25: h = 1 -> x[1] = 2. mean = 20 / 5 = 4.
    const odd = new IntDistribution();
    for (const v of [10, 1, 3, 2, 4]) odd.add(v);
    assert.equal(odd.median, 3);
    assert.equal(odd.p90, 7.6000000000000005);
    assert.equal(odd.quantile(0.25), 2);
    assert.equal(odd.quantile(0), 1);
    assert.equal(odd.quantile(1), 10);
    assert.deepEqual(odd.summary(), {
      count: 5,
      sum: 20,
      mean: 4,
      median: 3,
      p90: 7.6000000000000005,
      min: 1,
      max: 10,
    });

    // [3, 1, 4, 1, 5, 9, 2, 6] sorted = [1, 1, 2, 3, 4, 5, 6, 9], n = 8.
    // median: h = 3.5 -> 3 + 0.5 * (4 - 3) = 3.5. p90: h = 6.3 -> 6 + 0.3 * (9 - 6) = 6.9 (numpy: 6.8999999999999995).
    // q = 0.37: h = 2.59 -> 2 + 0.59 * (3 - 2) = 2.59.
    const even = new IntDistribution();
    for (const v of [3, 1, 4, 1, 5, 9, 2, 6]) even.add(v);
    assert.equal(even.median, 3.5);
    assert.equal(even.p90, 6.8999999999999995);
    close(even.quantile(0.37), 2.59, 1e-12);
    assert.equal(even.distinct, 7);
    assert.deepEqual(even.entries(), [
      [1, 2],
      [2, 1],
      [3, 1],
      [4, 1],
      [5, 1],
      [6, 1],
      [9, 1],
    ]);
  });

  it('is empty-safe and refuses non-integers and bad quantiles', () => {
    const empty = new IntDistribution();
    assert.deepEqual(empty.summary(), {
      count: 0,
      sum: 0,
      mean: null,
      median: null,
      p90: null,
      min: null,
      max: null,
    });
    assert.throws(() => empty.add(1.5), RangeError);
    assert.throws(() => empty.add(Number.NaN), RangeError);
    assert.throws(() => empty.quantile(1.5), RangeError);
    assert.throws(() => empty.quantile(Number.NaN), RangeError);
    const one = new IntDistribution().add(7);
    assert.equal(one.median, 7);
    assert.equal(one.p90, 7);
  });

  it('matches a naive sort-everything implementation on seeded random data, merged in any split', () => {
    const next = prng(7);
    for (let round = 0; round < 40; round++) {
      const n = 1 + Math.floor(next() * 200);
      const spread = 1 + Math.floor(next() * (round % 2 === 0 ? 10 : 5000));
      const values = Array.from(
        { length: n },
        () => Math.floor(next() * spread) - (round % 3 === 0 ? spread >> 1 : 0),
      );
      const whole = new IntDistribution();
      for (const v of values) whole.add(v);
      for (const q of [0, 0.1, 0.25, 0.5, 0.9, 0.99, 1, next()]) {
        const expected = naiveQuantile(values, q);
        close(whole.quantile(q), expected, 1e-9 * Math.max(1, Math.abs(expected)), `q=${q}`);
      }
      assert.equal(
        whole.sum,
        values.reduce((a, b) => a + b, 0),
      );
      assert.equal(whole.min, Math.min(...values));
      assert.equal(whole.max, Math.max(...values));

      // Split into 3 random contiguous parts, merge: identical summary.
      const cut1 = Math.floor(next() * (n + 1));
      const cut2 = cut1 + Math.floor(next() * (n - cut1 + 1));
      const parts = [values.slice(0, cut1), values.slice(cut1, cut2), values.slice(cut2)].map((part) => {
        const d = new IntDistribution();
        for (const v of part) d.add(v);
        return d;
      });
      const merged = parts[0]!.merge(parts[1]!).merge(parts[2]!);
      assert.deepEqual(merged.summary(), whole.summary());
    }
  });
});

describe('FloatDistribution', () => {
  it('keeps an exact, order-independent sum', () => {
    // Naively 0.1 + 0.2 + 0.3 = 0.6000000000000001; the exact sum of the three doubles rounds to 0.6.
    const d = new FloatDistribution().add(0.1).add(0.2).add(0.3);
    assert.equal(d.sum, 0.6);
    assert.equal(d.mean, 0.6 / 3);
    // 1e16 + 1 - 1e16: naive left-to-right gives 0, the exact sum is 1.
    assert.equal(new FloatDistribution().add(1e16).add(1).add(-1e16).sum, 1);
    assert.throws(() => d.add(Number.POSITIVE_INFINITY), RangeError);
  });

  it('quantiles are type-7 quantiles of values rounded to 0.001, within 0.0005 of the exact ones', () => {
    // [0.1234, 2.5, -1.0006]: rounded [0.123, 2.5, -1.001] (Math.round(-1000.6) = -1001).
    // sorted [-1.001, 0.123, 2.5]; median = 0.123; p90: h = 1.8 -> 0.123 + 0.8 * (2.5 - 0.123) = 2.0246.
    const d = new FloatDistribution().add(0.1234).add(2.5).add(-1.0006);
    assert.equal(d.median, 0.123);
    close(d.p90, 2.0246, 1e-12);
    assert.equal(d.min, -1.0006);
    assert.equal(d.max, 2.5);

    const next = prng(11);
    for (let round = 0; round < 30; round++) {
      const values = Array.from({ length: 1 + Math.floor(next() * 300) }, () => (next() - 0.3) * 40);
      const whole = new FloatDistribution();
      for (const v of values) whole.add(v);
      for (const q of [0, 0.5, 0.9, 1, next()])
        close(whole.quantile(q), naiveQuantile(values, q), 0.0005 + 1e-12, `q=${q}`);
      close(whole.mean, values.reduce((a, b) => a + b, 0) / values.length, 1e-12);

      // Any split merges to the identical summary (bit for bit, the sum included).
      const cut = Math.floor(next() * (values.length + 1));
      const left = new FloatDistribution();
      const right = new FloatDistribution();
      values.forEach((v, i) => (i < cut ? left : right).add(v));
      assert.deepEqual(right.merge(left).summary(), whole.summary());
    }
  });
});

describe('complexity.length', () => {
  it('counts whitespace tokens per sample; mean, median, p90 by hand', async () => {
    // tokens: "a b c" = 3, "" = 0, "  one   two  " = 2, "x\ny z w" = 4.
    // mean = 9 / 4 = 2.25; sorted [0, 2, 3, 4]: median h = 1.5 -> 2.5; p90 h = 2.7 -> 3 + 0.7 * 1 = 3.7.
    const { outcome, sampleValues } = await runInMemory(
      textLength,
      params(textLength),
      samplesOf(['a b c', '', '  one   two  ', 'x\ny z w']),
    );
    assert.deepEqual(
      sampleValues.map((s) => s.value),
      [3, 0, 2, 4],
    );
    assert.equal(outcome.value, 2.25);
    assert.equal(outcome.n, 4);
    assert.equal(outcome.estimator, 'EXACT');
    assert.equal(outcome.details.median, 2.5);
    close(outcome.details.p90 as number, 3.7, 1e-12);
    assert.equal(outcome.details.min, 0);
    assert.equal(outcome.details.max, 4);
    assert.equal(outcome.details.totalTokens, 9);
  });

  it('field selects prompt, response or both joined with a newline', async () => {
    const samples = samplesOf(['a b c', 'only response'], ['p q', '']);
    const run = async (field: string) =>
      (await runInMemory(textLength, params(textLength, { field }), samples)).sampleValues.map(
        (s) => s.value,
      );
    assert.deepEqual(await run('response'), [3, 2]);
    assert.deepEqual(await run('prompt'), [2, 0]);
    assert.deepEqual(await run('prompt+response'), [5, 2]);
    assert.equal((textLength.params.field as { default: string }).default, 'response');
  });

  it('null with a reason on no samples', async () => {
    const { outcome, sampleValues } = await runInMemory(textLength, params(textLength), []);
    assert.equal(outcome.value, null);
    assert.equal(outcome.reason, 'no samples');
    assert.equal(outcome.n, 0);
    assert.deepEqual(sampleValues, []);
  });
});

describe('complexity.steps', () => {
  it('counts non-empty trimmed lines', async () => {
    assert.equal(countSteps('Step 1\r\n\r\n  Step 2  \n   \t \nStep 3\n'), 3);
    assert.equal(countSteps(''), 0);
    assert.equal(countSteps('\n\n'), 0);
    assert.equal(countSteps('one line, many words'), 1);
    // steps 3, 0, 1, 2 -> mean 1.5; sorted [0, 1, 2, 3]: median 1.5, p90 h = 2.7 -> 2 + 0.7 = 2.7.
    const { outcome, sampleValues } = await runInMemory(
      reasoningSteps,
      params(reasoningSteps),
      samplesOf(['a\nb\nc', '  ', 'x', 'first\n\nsecond']),
    );
    assert.deepEqual(
      sampleValues.map((s) => s.value),
      [3, 0, 1, 2],
    );
    assert.equal(outcome.value, 1.5);
    assert.equal(outcome.details.median, 1.5);
    close(outcome.details.p90 as number, 2.7, 1e-12);
    assert.equal(outcome.details.totalSteps, 6);
  });

  it('field param and empty input', async () => {
    const samples = samplesOf(['r1\nr2'], ['p1\np2\np3']);
    assert.equal(
      (await runInMemory(reasoningSteps, params(reasoningSteps, { field: 'prompt' }), samples)).outcome.value,
      3,
    );
    assert.equal(
      (await runInMemory(reasoningSteps, params(reasoningSteps, { field: 'prompt+response' }), samples))
        .outcome.value,
      5,
    );
    const empty = await runInMemory(reasoningSteps, params(reasoningSteps), []);
    assert.equal(empty.outcome.value, null);
    assert.equal(empty.outcome.reason, 'no samples');
  });
});

describe('complexity.readability', () => {
  it('syllable heuristic', () => {
    assert.equal(countSyllables('the'), 1); // 'e': 1 group; silent-e only when the count is above 1
    assert.equal(countSyllables('make'), 1); // a, e = 2, final silent e -> 1
    assert.equal(countSyllables('table'), 2); // a, e = 2, ends in 'le' -> kept
    assert.equal(countSyllables('Readability.'), 5); // ea, a, i, i, y
    assert.equal(countSyllables('beautiful'), 3); // eau, i, u
    assert.equal(countSyllables('rhythm'), 1); // y
    assert.equal(countSyllables('queue'), 1); // ueue is one run; count 1 so no subtraction
    assert.equal(countSyllables('"Sense,"'), 1); // e, e = 2, silent e -> 1 (edge punctuation stripped)
    assert.equal(countSyllables('Ärger'), 1); // non a-z letters dropped: 'rger' -> e = 1
  });

  it('Flesch-Kincaid grade of small texts, worked by hand', () => {
    // "The cat sat on the mat. It was happy!": words 9, sentences 2 ("mat.", "happy!"),
    // syllables 1+1+1+1+1+1+1+1+2 (hap-py: a, y) = 10.
    // grade = 0.39 * 9/2 + 11.8 * 10/9 - 15.59 = 1.755 + 13.1111... - 15.59 = -0.72388...
    const a = readabilityCounts('The cat sat on the mat. It was happy!');
    assert.deepEqual(a, { words: 9, sentences: 2, syllables: 10 });
    close(fleschKincaidGrade(a), 0.39 * 4.5 + (11.8 * 10) / 9 - 15.59, 1e-12);
    close(fleschKincaidGrade(a), -0.7238888888888889, 1e-12);

    // "Readability makes little sense" (no terminator -> 1 sentence): syllables 5 + 2 (a, e; ends in 's') + 2 (i, e; 'le')
    // + 1 (e, e minus silent e) = 10; grade = 0.39 * 4 + 11.8 * 10/4 - 15.59 = 1.56 + 29.5 - 15.59 = 15.47.
    const b = readabilityCounts('Readability makes little sense');
    assert.deepEqual(b, { words: 4, sentences: 1, syllables: 10 });
    close(fleschKincaidGrade(b), 15.47, 1e-12);

    // Tokens without letters are not words but can end sentences; closing quotes after the terminator count.
    // "He said "Stop." 42 ..." -> words He, said, "Stop." = 3; sentence ends: "Stop." and "..." = 2.
    assert.deepEqual(readabilityCounts('He said "Stop." 42 ...'), { words: 3, sentences: 2, syllables: 3 });
    assert.deepEqual(readabilityCounts('2 + 2 = 4.'), { words: 0, sentences: 1, syllables: 0 });
    assert.equal(fleschKincaidGrade(readabilityCounts('2 + 2 = 4.')), null);
  });

  it('metric: mean over graded samples, skipped samples counted', async () => {
    // graded: -0.72388..., 15.47; skipped: "2 + 2 = 4." and "".
    const { outcome, sampleValues } = await runInMemory(
      readability,
      params(readability),
      samplesOf([
        'The cat sat on the mat. It was happy!',
        '2 + 2 = 4.',
        'Readability makes little sense',
        '',
      ]),
    );
    assert.deepEqual(
      sampleValues.map((s) => s.ordinal),
      [0, 2],
    );
    assert.deepEqual(sampleValues[1]!.details, { words: 4, sentences: 1, syllables: 10 });
    assert.equal(outcome.n, 2);
    close(outcome.value, (-0.7238888888888889 + 15.47) / 2, 1e-12);
    assert.equal(outcome.details.skipped, 2);
    assert.equal(outcome.details.quantileResolution, 0.001);
    // median of the rounded grades [-0.724, 15.47] = 7.373.
    close(outcome.details.median as number, 7.373, 1e-12);
    assert.equal(outcome.details.min, -0.7238888888888866);
    close(outcome.details.max as number, 15.47, 1e-12);
  });

  it('null with a reason when nothing can be graded', async () => {
    const none = await runInMemory(readability, params(readability), []);
    assert.equal(none.outcome.value, null);
    assert.equal(none.outcome.reason, 'no samples');
    const noWords = await runInMemory(readability, params(readability), samplesOf(['1 + 1', '']));
    assert.equal(noWords.outcome.value, null);
    assert.equal(noWords.outcome.reason, 'no sample has a word');
    assert.equal(noWords.outcome.details.skipped, 2);
  });

  it('field param', async () => {
    const samples = samplesOf(['The cat sat on the mat. It was happy!'], ['Readability makes little sense']);
    close(
      (await runInMemory(readability, params(readability, { field: 'prompt' }), samples)).outcome.value,
      15.47,
      1e-12,
    );
  });

  /** Naive reimplementation: character loops instead of regular expressions. */
  function naiveGrade(text: string): number | null {
    const isLetter = (c: string) => c.toLowerCase() !== c.toUpperCase() || /\p{L}/u.test(c);
    const tokens = text.split(/[ \t\n\r\f\v\u00a0\u2028\u2029\ufeff]+/).filter((t) => t !== '');
    let words = 0;
    let sentences = 0;
    let syllables = 0;
    for (const token of tokens) {
      let end = token.length;
      while (end > 0 && `"'\u201d\u2019)]`.includes(token[end - 1]!)) end--;
      if (end > 0 && '.!?'.includes(token[end - 1]!)) sentences++;
      if (![...token].some(isLetter)) continue;
      words++;
      let letters = '';
      for (const c of token.toLowerCase()) if (c >= 'a' && c <= 'z') letters += c;
      let groups = 0;
      let inVowel = false;
      for (const c of letters) {
        const vowel = 'aeiouy'.includes(c);
        if (vowel && !inVowel) groups++;
        inVowel = vowel;
      }
      if (groups > 1 && letters.endsWith('e') && !letters.endsWith('le')) groups--;
      syllables += Math.max(1, groups);
    }
    if (words === 0) return null;
    return 0.39 * (words / Math.max(1, sentences)) + 11.8 * (syllables / words) - 15.59;
  }

  it('matches a naive implementation on seeded random texts', async () => {
    const samples = randomSamples(3, 200);
    const { outcome, sampleValues } = await runInMemory(readability, params(readability), samples);
    const expected = samples.map((s) => naiveGrade(s.response));
    const graded = expected.filter((g): g is number => g !== null);
    assert.ok(
      graded.length > 100 && graded.length < samples.length,
      'the random texts include graded and skipped samples',
    );
    assert.deepEqual(
      sampleValues.map((s) => s.ordinal),
      samples.filter((_, i) => expected[i] !== null).map((s) => s.ordinal),
    );
    sampleValues.forEach((s) => close(s.value, expected[s.ordinal]!, 1e-12));
    assert.equal(outcome.n, graded.length);
    assert.equal(outcome.details.skipped, samples.length - graded.length);
    close(outcome.value, graded.reduce((a, b) => a + b, 0) / graded.length, 1e-12);
    close(outcome.details.median as number, naiveQuantile(graded, 0.5), 0.0005 + 1e-12);
    close(outcome.details.p90 as number, naiveQuantile(graded, 0.9), 0.0005 + 1e-12);
  });
});

describe('length and steps match naive implementations on seeded random texts', () => {
  it('length', async () => {
    const samples = randomSamples(5, 150);
    const counts = samples.map((s) => s.response.split(/\s/).filter((t) => t !== '').length);
    const { outcome, sampleValues } = await runInMemory(textLength, params(textLength), samples);
    assert.deepEqual(
      sampleValues.map((s) => s.value),
      counts,
    );
    assert.equal(outcome.value, counts.reduce((a, b) => a + b, 0) / counts.length);
    close(outcome.details.median as number, naiveQuantile(counts, 0.5), 1e-12);
    close(outcome.details.p90 as number, naiveQuantile(counts, 0.9), 1e-12);
    assert.equal(outcome.details.min, Math.min(...counts));
    assert.equal(outcome.details.max, Math.max(...counts));
  });

  it('steps', async () => {
    const samples = randomSamples(6, 150);
    const counts = samples.map((s) => {
      let lines = 0;
      let current = '';
      for (const c of `${s.response}\n`) {
        if (c === '\n') {
          if (current.trim() !== '') lines++;
          current = '';
        } else current += c;
      }
      return lines;
    });
    const { outcome, sampleValues } = await runInMemory(reasoningSteps, params(reasoningSteps), samples);
    assert.deepEqual(
      sampleValues.map((s) => s.value),
      counts,
    );
    close(outcome.details.p90 as number, naiveQuantile(counts, 0.9), 1e-12);
  });
});

describe('shard merge: 4 shards of batches of 3 equal one shard', () => {
  for (const metric of [textLength, reasoningSteps, readability] as MetricDefinition[]) {
    for (const field of ['response', 'prompt', 'prompt+response']) {
      it(`${metric.key} (${field})`, async () => {
        const samples = randomSamples(metric.key.length * 31 + field.length, 57);
        const p = params(metric, { field });
        const whole = await runInMemory(metric, p, samples);
        const sharded = await runInMemory(metric, p, samples, { shards: 4, batchSize: 3 });
        // Every figure is exact (integer histograms; readability's sum is an exact Shewchuk sum), so the outcomes are identical.
        assert.deepEqual(sharded.outcome, whole.outcome);
        assert.deepEqual(sharded.sampleValues, whole.sampleValues);
        assert.equal(metric.exactMerge, true);
      });
    }
  }

  it('more shards than samples (empty shards merge as identities)', async () => {
    const samples = randomSamples(99, 2);
    for (const metric of [textLength, reasoningSteps, readability] as MetricDefinition[]) {
      const whole = await runInMemory(metric, params(metric), samples);
      const sharded = await runInMemory(metric, params(metric), samples, { shards: 5, batchSize: 1 });
      assert.deepEqual(sharded.outcome, whole.outcome);
    }
  });
});
