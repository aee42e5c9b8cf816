/**
 * TInt noise: observed rates on 10k samples within statistical tolerance of the requested ones,
 * checked both from the samples' own metadata and independently by comparing each noised sample
 * with its clean twin (same seed, no noise); prompts and answers untouched where they must be;
 * clean test split; reproducibility from the seed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateSample, type TIntSample } from '../src/tint/generate.js';
import { validateTIntSpec, type TIntSpecInput } from '../src/tint/spec.js';

const N = 10_000;

function samples(input: Omit<TIntSpecInput, 'n'>, n = N, split: 'train' | 'test' = 'train'): TIntSample[] {
  const spec = validateTIntSpec({ ...input, n });
  return Array.from({ length: n }, (_, i) => generateSample(spec, split, i));
}

/** Within `sds` standard deviations of a binomial proportion. */
function assertRate(observed: number, expected: number, trials: number, label: string, sds = 4.5): void {
  const sd = Math.sqrt((expected * (1 - expected)) / trials);
  assert.ok(
    Math.abs(observed - expected) <= sds * sd + 1e-12,
    `${label}: observed ${observed.toFixed(4)}, expected ${expected} ± ${(sds * sd).toFixed(4)}`,
  );
}

describe('TInt static noise', () => {
  const base = { op: 'add', digits: [1, 6] as [number, number], seed: 3 };
  const clean = samples(base);

  it('noises doc of the samples, replaces char of their digits and deletes line of their trace lines', () => {
    const noised = samples({ ...base, static: { doc: 0.5, char: 0.3, line: 0.2 } });
    let docs = 0;
    let linesSeen = 0;
    let linesDeleted = 0;
    let digitsSeen = 0;
    let digitsReplaced = 0;
    noised.forEach((sample, i) => {
      const twin = clean[i]!;
      assert.equal(sample.prompt, twin.prompt, 'prompts are never noised');
      assert.equal(sample.reference, twin.reference);
      const report = sample.metadata.tint.static;
      if (!report) {
        assert.equal(sample.response, twin.response);
        return;
      }
      docs++;
      const lines = sample.response.split('\n');
      const cleanLines = twin.response.split('\n');
      assert.equal(lines.at(-1), cleanLines.at(-1), 'the answer line is never noised');
      assert.equal(report.linesSeen, cleanLines.length - 1);
      assert.equal(lines.length - 1, report.linesSeen - report.linesDeleted);
      linesSeen += report.linesSeen;
      linesDeleted += report.linesDeleted;
      digitsSeen += report.digitsSeen;
      digitsReplaced += report.digitsReplaced;
    });
    assertRate(docs / N, 0.5, N, 'doc fraction');
    assertRate(linesDeleted / linesSeen, 0.2, linesSeen, 'line deletion rate');
    assertRate(digitsReplaced / digitsSeen, 0.3, digitsSeen, 'digit replacement rate');
  });

  it('replaced digits counted independently: with no deletions, exactly the reported digits differ from the clean twin', () => {
    const noised = samples({ ...base, static: { doc: 1, char: 0.6 } }, 2000);
    let seen = 0;
    let changed = 0;
    noised.forEach((sample, i) => {
      const twin = clean[i]!.response;
      assert.equal(sample.response.length, twin.length);
      let differing = 0;
      for (let k = 0; k < twin.length; k++) {
        if (sample.response[k] === twin[k]) continue;
        assert.match(twin[k]!, /\d/, 'only digits change');
        assert.match(sample.response[k]!, /\d/);
        differing++;
      }
      const traceDigits = (twin.slice(0, twin.lastIndexOf('\n')).match(/\d/g) ?? []).length;
      assert.equal(differing, sample.metadata.tint.static!.digitsReplaced);
      seen += traceDigits;
      changed += differing;
    });
    assertRate(changed / seen, 0.6, seen, 'digit replacement rate (by diff)');
  });
});

describe('TInt dynamic noise', () => {
  const base = { op: 'mul', digits: [1, 4] as [number, number], seed: 8 };

  it('noises doc of the samples and corrupts p of the intermediate digits; errors reach the answer', () => {
    const clean = samples(base);
    const noised = samples({ ...base, dynamic: { doc: 0.3, p: 0.2 } });
    let docs = 0;
    let seen = 0;
    let corrupted = 0;
    let answersChanged = 0;
    let corruptedDocs = 0;
    noised.forEach((sample, i) => {
      const twin = clean[i]!;
      assert.equal(sample.prompt, twin.prompt, 'prompts are never noised');
      const report = sample.metadata.tint.dynamic;
      if (!report) {
        assert.equal(sample.response, twin.response);
        return;
      }
      docs++;
      assert.equal(
        sample.response.split('\n')[0],
        twin.response.split('\n')[0],
        'restated inputs are not intermediate values',
      );
      seen += report.digitsSeen;
      corrupted += report.digitsCorrupted;
      const answer = sample.response.split('\n').at(-1);
      assert.equal(report.answerChanged, answer !== sample.reference);
      if (report.digitsCorrupted > 0) {
        corruptedDocs++;
        if (report.answerChanged) answersChanged++;
      } else {
        assert.equal(
          sample.response,
          twin.response,
          'a noised sample with no corrupted digit equals its clean twin',
        );
      }
    });
    assertRate(docs / N, 0.3, N, 'doc fraction');
    assertRate(corrupted / seen, 0.2, seen, 'digit corruption rate');
    // Later steps compute from the corrupted values: in long multiplication nearly every corruption reaches the answer.
    assert.ok(
      answersChanged / corruptedDocs > 0.9,
      `answers changed in ${answersChanged} of ${corruptedDocs}`,
    );
  });
});

describe('TInt reproducibility and splits', () => {
  const input = {
    op: 'median',
    digits: [1, 3] as [number, number],
    length: [3, 6] as [number, number],
    static: { doc: 0.5, char: 0.3 },
    dynamic: { doc: 0.3, p: 0.2 },
  };

  it('the same seed and settings give the same samples; another seed gives other samples', () => {
    assert.deepEqual(samples({ ...input, seed: 4 }, 300), samples({ ...input, seed: 4 }, 300));
    const a = samples({ ...input, seed: 4 }, 300).map((s) => s.prompt);
    const b = samples({ ...input, seed: 5 }, 300).map((s) => s.prompt);
    assert.ok(a.filter((prompt, i) => prompt !== b[i]).length > 250);
  });

  it('the same seed with other noise keeps the same prompts (inputs have their own stream)', () => {
    const noisy = samples({ ...input, seed: 4 }, 300).map((s) => s.prompt);
    const clean = samples({ op: input.op, digits: input.digits, length: input.length, seed: 4 }, 300).map(
      (s) => s.prompt,
    );
    assert.deepEqual(noisy, clean);
  });

  it('the test split is clean and drawn from its own stream', () => {
    const train = samples({ ...input, seed: 4 }, 500);
    const test = samples({ ...input, seed: 4 }, 500, 'test');
    for (const sample of test) {
      assert.equal(sample.metadata.tint.noised, false);
      assert.equal(sample.metadata.tint.split, 'test');
      assert.equal(sample.response.split('\n').at(-1), sample.reference);
    }
    assert.ok(test.filter((s, i) => s.prompt !== train[i]!.prompt).length > 400);
  });
});
