/**
 * The TInt verifier and the quality.tint_trace_validity metric: hand-made traces with known errors,
 * classification accuracy on noised samples, validity falling as doc_noise rises, and the metric's
 * value against verdicts computed one by one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tintTraceValidity } from '../src/metrics/quality/tintTraceValidity.js';
import { resolveParams } from '../src/metrics/params.js';
import { runInMemory } from '../src/metrics/runInMemory.js';
import type { MetricSample } from '../src/metrics/types.js';
import { generateSample } from '../src/tint/generate.js';
import type { OperationName } from '../src/tint/operations.js';
import { validateTIntSpec, type TIntSpecInput } from '../src/tint/spec.js';
import { verifyTrace } from '../src/tint/verify.js';

const ADD_57_68 = ['x = 5 7 , y = 6 8', 'z = 5 , c = 1', 'z = 2 5 , c = 1', 'z = 1 2 5', '1 2 5'];

describe('TInt verifier on hand-made traces', () => {
  it('a clean trace is CLEAN with every line valid', () => {
    const verdict = verifyTrace('add( 5 7 , 6 8 )', ADD_57_68.join('\n'))!;
    assert.equal(verdict.class, 'CLEAN');
    assert.equal(verdict.validFraction, 1);
    assert.equal(verdict.answerCorrect, true);
  });

  it('a wrong digit that later lines ignore is LOCAL: one wrong line of five', () => {
    const lines = [...ADD_57_68];
    lines[1] = 'z = 5 , c = 7'; // the carry is written wrong, but the next line still adds 1
    const verdict = verifyTrace('add( 5 7 , 6 8 )', lines.join('\n'))!;
    assert.equal(verdict.class, 'LOCAL');
    assert.equal(verdict.wrongLines, 1);
    assert.equal(verdict.validLines, 4);
    assert.equal(verdict.validFraction, 4 / 6); // 5 lines + the clean line it replaced
    assert.equal(verdict.answerCorrect, true);
  });

  it('a wrong carry that later lines use is PROPAGATING, and the answer is wrong', () => {
    // carry 2 instead of 1: 5 + 6 + 2 = 13 -> z = 3 5, c = 1 -> 1 3 5
    const lines = ['x = 5 7 , y = 6 8', 'z = 5 , c = 2', 'z = 3 5 , c = 1', 'z = 1 3 5', '1 3 5'];
    const verdict = verifyTrace('add( 5 7 , 6 8 )', lines.join('\n'))!;
    assert.equal(verdict.class, 'PROPAGATING');
    assert.equal(verdict.answerCorrect, false);
    assert.equal(verdict.propagatedLines, 2); // 'z = 3 5 , c = 1' and 'z = 1 3 5' follow from c = 2
  });

  it('deleted lines lower validity without making the trace wrong', () => {
    const lines = [ADD_57_68[0], ADD_57_68[2], ADD_57_68[3], ADD_57_68[4]];
    const verdict = verifyTrace('add( 5 7 , 6 8 )', lines.join('\n'))!;
    assert.equal(verdict.class, 'LOCAL');
    assert.equal(verdict.wrongLines, 0);
    assert.equal(verdict.missingLines, 1);
    assert.equal(verdict.validFraction, 4 / 5);
  });

  it('is not applicable to prompts that are not TInt invocations', () => {
    assert.equal(verifyTrace('What is 2 + 2?', '4'), null);
    assert.equal(verifyTrace('pow( 2 , 3 )', '8'), null);
    assert.equal(verifyTrace('gcd( [ 5 ] )', '5'), null, 'gcd needs two numbers');
  });
});

function noisedSamples(input: Omit<TIntSpecInput, 'n'>, n: number) {
  const spec = validateTIntSpec({ ...input, n });
  return Array.from({ length: n }, (_, i) => generateSample(spec, 'train', i));
}

const OPS: OperationName[] = ['add', 'sub', 'mul', 'div', 'mod', 'sort', 'gcd', 'median'];

describe('TInt verifier on noised samples', () => {
  it('classifies static-noised samples LOCAL and dynamic-noised ones PROPAGATING with at least 95% accuracy', () => {
    const perOp: string[] = [];
    let staticRight = 0;
    let staticTotal = 0;
    let dynamicRight = 0;
    let dynamicTotal = 0;
    for (const op of OPS) {
      const common = {
        op,
        digits: [1, 4] as [number, number],
        length: op === 'gcd' ? ([2, 3] as [number, number]) : null,
        seed: 21,
      };
      let opStatic = 0;
      let opStaticRight = 0;
      for (const sample of noisedSamples({ ...common, static: { doc: 1, char: 0.3, line: 0.3 } }, 300)) {
        const report = sample.metadata.tint.static!;
        if (report.digitsReplaced + report.linesDeleted === 0) continue; // noise that changed nothing
        opStatic++;
        if (verifyTrace(sample.prompt, sample.response)!.class === 'LOCAL') opStaticRight++;
      }
      let opDynamic = 0;
      let opDynamicRight = 0;
      for (const sample of noisedSamples({ ...common, dynamic: { doc: 1, p: 0.2 } }, 300)) {
        if (sample.metadata.tint.dynamic!.digitsCorrupted === 0) continue;
        opDynamic++;
        if (verifyTrace(sample.prompt, sample.response)!.class === 'PROPAGATING') opDynamicRight++;
      }
      perOp.push(`${op}: static ${opStaticRight}/${opStatic}, dynamic ${opDynamicRight}/${opDynamic}`);
      staticRight += opStaticRight;
      staticTotal += opStatic;
      dynamicRight += opDynamicRight;
      dynamicTotal += opDynamic;
      assert.ok(opStaticRight / opStatic >= 0.95, perOp.join('; '));
      // div and mod: a corrupted last remainder / quotient digit is read by nothing, so it is rightly LOCAL.
      assert.ok(opDynamicRight / opDynamic >= (op === 'div' || op === 'mod' ? 0.85 : 0.95), perOp.join('; '));
    }
    assert.ok(staticRight / staticTotal >= 0.95, perOp.join('; '));
    assert.ok(dynamicRight / dynamicTotal >= 0.95, perOp.join('; '));
  });

  it('clean samples are all CLEAN with validity 1, also when cut at the line cap', () => {
    for (const op of OPS) {
      for (const sample of noisedSamples({ op, digits: [1, 5], seed: 2 }, 100)) {
        const verdict = verifyTrace(sample.prompt, sample.response)!;
        assert.equal(verdict.class, 'CLEAN', `${sample.prompt}\n${sample.response}`);
        assert.equal(verdict.validFraction, 1);
      }
    }
    const cut = noisedSamples({ op: 'mul', digits: [8, 8], lineCap: 30, seed: 2 }, 20);
    for (const sample of cut) {
      assert.equal(sample.metadata.tint.truncated, true);
      const verdict = verifyTrace(sample.prompt, sample.response)!;
      assert.equal(verdict.class, 'CLEAN');
      assert.equal(verdict.answerPresent, false);
      assert.equal(verdict.validFraction, 1);
    }
  });

  it('reads traces written with hidden and collapsed sub-calls', () => {
    for (const calls of ['hidden', 'collapsed'] as const) {
      for (const sample of noisedSamples({ op: 'mul', digits: [1, 4], calls, seed: 9 }, 50)) {
        const verdict = verifyTrace(sample.prompt, sample.response)!;
        assert.equal(verdict.class, 'CLEAN');
        assert.equal(verdict.calls, calls);
      }
    }
  });

  it('validity falls as doc_noise rises, for static and dynamic noise', () => {
    for (const noise of [{ static: { char: 0.3 } }, { static: { line: 0.3 } }, { dynamic: { p: 0.2 } }]) {
      const means = [0, 0.2, 0.5, 0.8].map((doc) => {
        const kind =
          'static' in noise ? { static: { ...noise.static, doc } } : { dynamic: { ...noise.dynamic, doc } };
        const verdicts = noisedSamples({ op: 'mul', digits: [1, 3], seed: 13, ...kind }, 400).map((s) =>
          verifyTrace(s.prompt, s.response)!,
        );
        return verdicts.reduce((sum, v) => sum + v.validFraction, 0) / verdicts.length;
      });
      assert.equal(means[0], 1);
      for (let i = 1; i < means.length; i++)
        assert.ok(means[i]! < means[i - 1]!, `${JSON.stringify(noise)}: ${means.join(', ')}`);
    }
  });
});

describe('quality.tint_trace_validity', () => {
  const params = resolveParams(tintTraceValidity, {});

  function metricSamples(): MetricSample[] {
    const generated = noisedSamples(
      { op: 'sort', digits: [1, 3], static: { doc: 0.4, char: 0.5 }, dynamic: { doc: 0.3, p: 0.3 }, seed: 6 },
      400,
    );
    const out: MetricSample[] = generated.map((s, ordinal) => ({
      ordinal,
      contentHash: String(ordinal),
      prompt: s.prompt,
      response: s.response,
      reference: s.reference,
    }));
    out.push({ ordinal: 400, contentHash: 'x', prompt: 'Tell me a joke.', response: 'No.', reference: null });
    return out;
  }

  it('is the mean valid-line fraction, with class rates, over TInt samples only', async () => {
    const samples = metricSamples();
    const verdicts = samples.slice(0, 400).map((s) => verifyTrace(s.prompt, s.response)!);
    const { outcome, sampleValues } = await runInMemory(tintTraceValidity, params, samples);
    assert.equal(outcome.n, 400);
    assert.equal(outcome.details.skippedNotTInt, 1);
    assert.ok(Math.abs(outcome.value! - verdicts.reduce((sum, v) => sum + v.validFraction, 0) / 400) < 1e-12);
    for (const klass of ['CLEAN', 'LOCAL', 'PROPAGATING'] as const) {
      const expected = verdicts.filter((v) => v.class === klass).length / 400;
      assert.equal(outcome.details[`${klass.toLowerCase()}Rate`], expected);
      assert.ok(expected > 0, `${klass} occurs in this mix`);
    }
    assert.equal(sampleValues.length, 400);
    assert.deepEqual(
      sampleValues.map((v) => v.value),
      verdicts.map((v) => v.validFraction),
    );
    assert.equal(sampleValues[0]!.details!.class, verdicts[0]!.class);
  });

  it('has no value, with a reason, on a version without TInt prompts', async () => {
    const { outcome } = await runInMemory(tintTraceValidity, params, [
      { ordinal: 0, contentHash: 'a', prompt: 'hi', response: 'hello', reference: null },
    ]);
    assert.equal(outcome.value, null);
    assert.match(outcome.reason!, /TInt prompt/);
  });
});

describe('TInt verifier limits', () => {
  it('does not verify prompts whose clean trace would exceed 100k lines', () => {
    const huge = '9'.repeat(400);
    assert.equal(verifyTrace(`mul( ${huge.split('').join(' ')} , ${huge.split('').join(' ')} )`, '1'), null);
  });
});
