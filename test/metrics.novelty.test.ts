/**
 * Newer diversity metrics practitioners adopted: NoveltyBench's distinct_k, checked by hand and
 * against a python transcription of the reference partition.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { distinctKMetric, partitionGenerations, rouge1F } from '../src/metrics/diversity/distinctK.js';
import { resolveParams } from '../src/metrics/params.js';
import { runInMemory } from '../src/metrics/runInMemory.js';
import type { MetricSample } from '../src/metrics/types.js';
import { prng } from './helpers/prng.js';
import { referenceDistinctCounts } from './helpers/referenceNoveltyBench.js';

function samples(rows: ReadonlyArray<[prompt: string, response: string]>): MetricSample[] {
  return rows.map(([prompt, response], ordinal) => ({
    ordinal,
    contentHash: String(ordinal).padStart(64, '0'),
    prompt,
    response,
    reference: null,
  }));
}

const bag = (text: string, vocabulary = new Map<string, number>()) => {
  const out = new Map<number, number>();
  for (const token of text.split(' ')) {
    if (!vocabulary.has(token)) vocabulary.set(token, vocabulary.size);
    const id = vocabulary.get(token)!;
    out.set(id, (out.get(id) ?? 0) + 1);
  }
  return out;
};

describe('diversity.distinct_k (NoveltyBench)', () => {
  it('computes ROUGE-1 F with clipped counts', () => {
    const vocabulary = new Map<string, number>();
    // the:min(2,1) + cat + sat + on + mat = 5 of 6 tokens on either side: P = R = F = 5/6.
    const f = rouge1F(
      bag('the cat sat on the mat', vocabulary),
      6,
      bag('the cat sat on a mat', vocabulary),
      6,
    );
    assert.equal(f, 5 / 6);
    // 2 shared of 5 and 6 tokens: P = 2/6, R = 2/5, F = 2PR/(P+R) = 4/11.
    const g = rouge1F(bag('a b c d e', vocabulary), 5, bag('a b f g h i', vocabulary), 6);
    assert.ok(Math.abs(g - 4 / 11) < 1e-15);
  });

  it('joins a generation to the first representative it matches, not by transitive closure', () => {
    const vocabulary = new Map<string, number>();
    // B matches A (F = 2/3); C matches B (F = 2/3) but not A (F = 0): C opens a second class.
    const partition = partitionGenerations([
      bag('a b c d', vocabulary),
      bag('a b c d e f g h', vocabulary),
      bag('e f g h', vocabulary),
    ]);
    assert.deepEqual(partition, [0, 0, 1]);
  });

  it('averages the class counts of the prompts with several generations (worked by hand)', async () => {
    const rows: Array<[string, string]> = [
      ['P1', 'The cat sat on the mat.'],
      ['P2', 'a b c d'],
      ['P1', 'the cat sat on a mat'],
      ['P3', 'only one generation here'],
      ['P1', 'dogs run fast'],
      ['P2', 'a b e f'], // F = 0.5 > 0.458: one class for P2
      ['P1', 'Dogs run very fast!'], // F = 6/7 against "dogs run fast": P1 has 2 classes
      ['P4', 'a b c d e'],
      ['P4', 'a b f g h i'], // F = 4/11 < 0.458: 2 classes
    ];
    const params = resolveParams(distinctKMetric, {});
    const { outcome } = await runInMemory(distinctKMetric, params, samples(rows));
    assert.equal(outcome.value, (2 + 1 + 2) / 3);
    assert.equal(outcome.n, 8);
    assert.equal(outcome.estimator, 'EXACT');
    assert.equal(outcome.details.prompts, 3);
    assert.equal(outcome.details.promptsWithOneGeneration, 1);
    assert.ok(Math.abs((outcome.details.meanDistinctShare as number) - (2 / 4 + 1 / 2 + 2 / 2) / 3) < 1e-15);

    // k = 2: the first two generations of each prompt; P3 (one generation) is skipped.
    const two = await runInMemory(distinctKMetric, resolveParams(distinctKMetric, { k: 2 }), samples(rows));
    assert.equal(two.outcome.value, (1 + 1 + 2) / 3);
    assert.equal(two.outcome.details.promptsWithFewerThanK, 1);
    // k = 5: no prompt has five generations.
    const five = await runInMemory(distinctKMetric, resolveParams(distinctKMetric, { k: 5 }), samples(rows));
    assert.equal(five.outcome.value, null);
    assert.match(five.outcome.reason!, /at least 5 generations/);
  });

  it('equals the python transcription of the reference on random generations, in shards or not', async () => {
    const random = prng(7);
    const words = 'alpha beta gamma delta epsilon zeta eta theta iota kappa'.split(' ');
    const phrase = () =>
      Array.from(
        { length: 1 + Math.floor(random() * 8) },
        () => words[Math.floor(random() * (2 + Math.floor(random() * 8)))],
      ).join(random() < 0.3 ? ', ' : ' ');
    const groups: string[][] = Array.from({ length: 60 }, () =>
      Array.from({ length: 2 + Math.floor(random() * 9) }, phrase),
    );
    // Interleave the prompts' generations, as a version built from several sampling rounds would hold them.
    const rows: Array<[string, string]> = [];
    for (let round = 0; round < 10; round++) {
      groups.forEach((group, g) => {
        if (round < group.length) rows.push([`prompt ${g}`, group[round]!]);
      });
    }
    const expected = referenceDistinctCounts(groups);
    const mean = expected.reduce((a, b) => a + b, 0) / expected.length;
    const params = resolveParams(distinctKMetric, {});
    const whole = await runInMemory(distinctKMetric, params, samples(rows));
    assert.ok(Math.abs(whole.outcome.value! - mean) < 1e-12, `${whole.outcome.value} vs ${mean}`);
    const sharded = await runInMemory(distinctKMetric, params, samples(rows), { shards: 4, batchSize: 7 });
    assert.equal(sharded.outcome.value, whole.outcome.value);
    assert.ok(expected.some((count) => count > 1) && expected.some((count, g) => count < groups[g]!.length));
  });

  it('refuses parameters out of range before anything runs', () => {
    assert.throws(() => resolveParams(distinctKMetric, { k: -1 }), /k.*from 0 to 1000/);
    assert.throws(() => resolveParams(distinctKMetric, { field: 'prompt' }), /must be one of/);
  });
});
