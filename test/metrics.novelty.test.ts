/**
 * Newer diversity metrics practitioners adopted: NoveltyBench's distinct_k, checked by hand and
 * against a python transcription of the reference partition; NovelSum, checked by hand and against
 * a naive transcription of the authors' numpy code; log-det diversity, checked by hand and against
 * a determinant by Gaussian elimination.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { distinctKMetric, partitionGenerations, rouge1F } from '../src/metrics/diversity/distinctK.js';
import { novelSumMetric, novelSumOf } from '../src/metrics/diversity/novelSum.js';
import { logDetMetric } from '../src/metrics/diversity/logDet.js';
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

/** A unit Float32 vector from raw coordinates. */
function unit(values: readonly number[]): Float32Array {
  const norm = Math.hypot(...values);
  return Float32Array.from(values, (v) => v / norm);
}

function embedded(vectors: readonly Float32Array[], offset = 0): MetricSample[] {
  return vectors.map((embedding, i) => ({
    ordinal: i,
    contentHash: (offset + i).toString(16).padStart(64, '0'),
    prompt: `p${i}`,
    response: `r${i}`,
    reference: null,
    embedding,
  }));
}

/**
 * The authors' novelsum.py transcribed naively: faiss IndexFlatL2 (squared L2 by coordinates) over
 * np.unique of the pool, k + 1 nearest with the first dropped, rho = 1/(mean + 1e-9)^dp; the
 * cosine distance matrix with the diagonal excluded, each row scaled by its own rho, sorted and
 * averaged with weights 1/r^p; the mean of the rows.
 */
function naiveNovelSum(
  samples: readonly Float32Array[],
  pool: readonly Float32Array[],
  neighbors: number,
  densityPower: number,
  distancePower: number,
): number {
  const unique = pool.filter((v, i) => pool.findIndex((w) => w.every((x, t) => x === v[t])) === i);
  const density = samples.map((x) => {
    const squared = unique
      .map((y) => y.reduce((sum, yt, t) => sum + (x[t]! - yt) ** 2, 0))
      .sort((a, b) => a - b)
      .slice(1, neighbors + 1);
    const mean = squared.reduce((a, b) => a + b, 0) / neighbors;
    return 1 / Math.pow(mean + 1e-9, densityPower);
  });
  const cosine = (a: Float32Array, b: Float32Array) => {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let t = 0; t < a.length; t++) {
      dot += a[t]! * b[t]!;
      na += a[t]! ** 2;
      nb += b[t]! ** 2;
    }
    return dot / Math.sqrt(na * nb);
  };
  const rows = samples.map((x, i) => {
    const row = samples
      .filter((_, j) => j !== i)
      .map((y) => density[i]! * (1 - cosine(x, y)))
      .sort((a, b) => a - b);
    const weights = row.map((_, r) => 1 / Math.pow(r + 1, distancePower));
    const total = weights.reduce((a, b) => a + b, 0);
    return row.reduce((sum, value, r) => sum + weights[r]! * value, 0) / total;
  });
  return rows.reduce((a, b) => a + b, 0) / rows.length;
}

describe('diversity.novelsum', () => {
  it('weights sorted distances by inverse rank and scales each row by its density (worked by hand)', () => {
    // Three unit vectors at 0, 90 and 180 degrees: distances 1, 2 from the first, 1, 1 from the
    // second, 1, 2 from the third. Weights 1 and 1/2 (sum 3/2). Densities 1, 2, 4.
    const vectors = [unit([1, 0]), unit([0, 1]), unit([-1, 0])];
    const { value, novelties } = novelSumOf(vectors, [1, 2, 4], 1);
    const rowA = (1 * 1 + 0.5 * 2) / 1.5;
    const rowB = (2 * 1 + 0.5 * 2 * 1) / 1.5;
    const rowC = (4 * 1 + 0.5 * 4 * 2) / 1.5;
    assert.ok(Math.abs(novelties[0]! - rowA) < 1e-12);
    assert.ok(Math.abs(novelties[1]! - rowB) < 1e-12);
    assert.ok(Math.abs(novelties[2]! - rowC) < 1e-12);
    assert.ok(Math.abs(value - (rowA + rowB + rowC) / 3) < 1e-12);
    // distancePower 0: the plain mean distance to the others, scaled.
    assert.ok(Math.abs(novelSumOf(vectors, [1, 1, 1], 0).value - (1.5 + 1 + 1.5) / 3) < 1e-12);
  });

  it('equals the naive transcription of the reference on random vectors, with a pool holding duplicates', async () => {
    const random = prng(11);
    const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const vector = () => unit(Array.from({ length: 12 }, gaussian));
    const measured = Array.from({ length: 40 }, vector);
    // The pool: the measured samples, others, and exact duplicates (np.unique drops them).
    const pool = [...measured, ...Array.from({ length: 60 }, vector), measured[3]!, measured[3]!];
    for (const [neighbors, densityPower, distancePower] of [
      [10, 0.5, 1],
      [5, 0.25, 2],
      [3, 0, 0],
    ] as const) {
      const params = resolveParams(novelSumMetric, {
        reference: 2,
        neighbors,
        densityPower,
        distancePower,
      });
      const { outcome } = await runInMemory(novelSumMetric, params, embedded(measured), {
        versions: new Map([[2, embedded(pool, 1000)]]),
        shards: 3,
        batchSize: 7,
      });
      const expected = naiveNovelSum(measured, pool, neighbors, densityPower, distancePower);
      assert.ok(
        Math.abs(outcome.value! - expected) <= 1e-6 * Math.abs(expected),
        `${neighbors}/${densityPower}/${distancePower}: ${outcome.value} vs ${expected}`,
      );
      assert.equal(outcome.estimator, 'EXACT');
      assert.equal(outcome.n, 40);
      assert.equal(outcome.details.referenceVectors, pool.length);
    }
  });

  it('samples a seeded subset beyond subsetSize, and says when the pool is too small', async () => {
    const random = prng(5);
    const vectors = Array.from({ length: 30 }, () => unit(Array.from({ length: 6 }, () => random() - 0.5)));
    const versions = new Map([[9, embedded(vectors)]]);
    const sampled = await runInMemory(
      novelSumMetric,
      resolveParams(novelSumMetric, { reference: 9, subsetSize: 10, neighbors: 3 }),
      embedded(vectors),
      { versions },
    );
    assert.equal(sampled.outcome.estimator, 'SAMPLED');
    assert.equal(sampled.outcome.n, 10);
    assert.equal(sampled.outcome.sampleSize, 10);
    const tooFew = await runInMemory(
      novelSumMetric,
      resolveParams(novelSumMetric, { reference: 9, neighbors: 30 }),
      embedded(vectors),
      { versions },
    );
    assert.equal(tooFew.outcome.value, null);
    assert.match(tooFew.outcome.reason!, /30 distinct vectors; neighbors = 30 needs at least 31/);
    assert.throws(() => resolveParams(novelSumMetric, {}), /needs the parameter "reference"/);
  });
});

/** ln |det| by Gaussian elimination with partial pivoting (numpy's slogdet uses LU too). */
function naiveLogAbsDet(matrix: number[][]): number {
  const a = matrix.map((row) => [...row]);
  const n = a.length;
  let logDet = 0;
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[pivot]![c]!)) pivot = r;
    [a[c], a[pivot]] = [a[pivot]!, a[c]!];
    logDet += Math.log(Math.abs(a[c]![c]!));
    for (let r = c + 1; r < n; r++) {
      const f = a[r]![c]! / a[c]![c]!;
      for (let k = c; k < n; k++) a[r]![k]! -= f * a[c]![k]!;
    }
  }
  return logDet;
}

describe('diversity.logdet', () => {
  const run = async (vectors: Float32Array[], given: Record<string, unknown> = {}) =>
    (await runInMemory(logDetMetric, resolveParams(logDetMetric, given), embedded(vectors))).outcome;

  it('is ln((1 + r)^2 - c^2) for two vectors at cosine c, and m ln(1 + r) for orthogonal ones', async () => {
    const c = Math.cos(1); // two unit vectors one radian apart
    const two = await run([unit([1, 0]), unit([Math.cos(1), Math.sin(1)])], { ridge: 0.01 });
    assert.ok(Math.abs(two.value! - Math.log(1.01 ** 2 - c * c)) < 1e-7, String(two.value));
    const orthogonal = await run([unit([1, 0, 0]), unit([0, 2, 0]), unit([0, 0, 3])], { ridge: 0.5 });
    assert.ok(Math.abs(orthogonal.value! - 3 * Math.log(1.5)) < 1e-12);
    // A repeated sample makes S singular: only the ridge keeps the value finite, and it drops.
    const repeated = await run([unit([1, 2]), unit([1, 2]), unit([2, -1])]);
    assert.ok(repeated.value! < Math.log(1e-10) + 1, String(repeated.value));
  });

  it('equals ln |det| by elimination on random vectors, in shards or not, and flags rank deficiency', async () => {
    const random = prng(23);
    const vectors = Array.from({ length: 30 }, () => unit(Array.from({ length: 40 }, () => random() - 0.5)));
    const matrix = vectors.map((a) =>
      vectors.map((b, j) => {
        let dot = 0;
        for (let t = 0; t < a.length; t++) dot += a[t]! * b[t]!;
        return dot + (a === vectors[j] ? 1e-10 : 0);
      }),
    );
    // Cosines of Float32 unit vectors: their norms are 1 up to float32 rounding, as numpy would see.
    const expected = naiveLogAbsDet(matrix);
    const whole = await run(vectors);
    assert.ok(Math.abs(whole.value! - expected) < 1e-6, `${whole.value} vs ${expected}`);
    assert.equal(whole.estimator, 'EXACT');
    assert.equal(whole.details.rankDeficient, false);
    const params = resolveParams(logDetMetric, {});
    const sharded = await runInMemory(logDetMetric, params, embedded(vectors), { shards: 3, batchSize: 4 });
    assert.equal(sharded.outcome.value, whole.value);
    const sampled = await run(vectors, { subsetSize: 10 });
    assert.equal(sampled.estimator, 'SAMPLED');
    assert.equal(sampled.n, 10);
    const wide = await run(Array.from({ length: 8 }, () => unit([random() - 0.5, random() - 0.5, random()])));
    assert.equal(wide.details.rankDeficient, true);
  });

  it('leaves zero vectors out and says when too few remain', async () => {
    const zero = new Float32Array(3);
    const outcome = await run([zero, unit([1, 0, 0]), zero]);
    assert.equal(outcome.value, null);
    assert.equal(outcome.details.zeroVectors, 2);
    assert.match(outcome.reason!, /at least 2 non-zero vectors, got 1/);
  });
});
