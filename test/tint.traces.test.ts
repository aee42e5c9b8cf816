/**
 * TInt traces: golden traces worked out by hand for fixed prompts, every operation's answer against
 * JavaScript BigInt arithmetic on many random inputs, and the trace format (every line parses).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateSample, runTraced } from '../src/tint/generate.js';
import { OPERATIONS, type OperationName } from '../src/tint/operations.js';
import { validateTIntSpec } from '../src/tint/spec.js';
import { Tracer, type CallMode } from '../src/tint/tracer.js';
import { callTarget, parseAssignments, parseInvocation, type Num, type Value } from '../src/tint/values.js';

function trace(op: OperationName, args: Value[], calls: CallMode = 'shown', maxLines = Infinity): string[] {
  const run = runTraced(OPERATIONS[op], args, new Tracer({ callMode: calls, maxLines }));
  return run.result === null ? run.lines : [...run.lines, formatAnswer(run.result)];
}

const formatAnswer = (value: Value) =>
  typeof value === 'string'
    ? value.split('').join(' ')
    : `[ ${value.map((v) => v.split('').join(' ')).join(' , ')} ]`;

describe('TInt golden traces', () => {
  it('addition with carries: 57 + 68', () => {
    assert.deepEqual(trace('add', ['57', '68']), [
      'x = 5 7 , y = 6 8',
      'z = 5 , c = 1',
      'z = 2 5 , c = 1',
      'z = 1 2 5',
      '1 2 5',
    ]);
  });

  it('subtraction with borrows, and a negative result', () => {
    assert.deepEqual(trace('sub', ['100', '1']), [
      'x = 1 0 0 , y = 1',
      'z = 9 , b = 1',
      'z = 9 9 , b = 1',
      'z = 0 9 9 , b = 0',
      'z = 9 9',
      '9 9',
    ]);
    assert.deepEqual(trace('sub', ['52', '87']), [
      'x = 5 2 , y = 8 7',
      'x = 8 7 , y = 5 2',
      'z = 5 , b = 0',
      'z = 3 5 , b = 0',
      '- 3 5',
    ]);
  });

  it('long multiplication 12 * 34 with sub-calls shown, hidden and collapsed', () => {
    assert.deepEqual(trace('mul', ['12', '34'], 'shown'), [
      'x = 1 2 , y = 3 4',
      't = call( mul_digit( 1 2 , 4 ) )',
      'x = 1 2 , d = 4',
      'z = 8 , c = 0',
      'z = 4 8 , c = 0',
      't = 4 8',
      'p = 4 8',
      't = call( mul_digit( 1 2 0 , 3 ) )',
      'x = 1 2 0 , d = 3',
      'z = 0 , c = 0',
      'z = 6 0 , c = 0',
      'z = 3 6 0 , c = 0',
      't = 3 6 0',
      'p = call( add( 4 8 , 3 6 0 ) )',
      'x = 4 8 , y = 3 6 0',
      'z = 8 , c = 0',
      'z = 0 8 , c = 1',
      'z = 4 0 8 , c = 0',
      'p = 4 0 8',
      '4 0 8',
    ]);
    assert.deepEqual(trace('mul', ['12', '34'], 'hidden'), [
      'x = 1 2 , y = 3 4',
      't = 4 8',
      'p = 4 8',
      't = 3 6 0',
      'p = 4 0 8',
      '4 0 8',
    ]);
    assert.deepEqual(trace('mul', ['12', '34'], 'collapsed'), [
      'x = 1 2 , y = 3 4',
      't = call( mul_digit( 1 2 , 4 ) )',
      'p = 4 8',
      't = call( mul_digit( 1 2 0 , 3 ) )',
      'p = call( add( 4 8 , 3 6 0 ) )',
      '4 0 8',
    ]);
  });

  it('long division 1234 // 5 and 1234 mod 5', () => {
    const lines = [
      'x = 1 2 3 4 , y = 5',
      'r = 1',
      'q = 0 , r = 1',
      'r = 1 2',
      'q = 0 2 , r = 2',
      'r = 2 3',
      'q = 0 2 4 , r = 3',
      'r = 3 4',
      'q = 0 2 4 6 , r = 4',
      'q = 2 4 6',
    ];
    assert.deepEqual(trace('div', ['1234', '5']), [...lines, '2 4 6']);
    assert.deepEqual(trace('mod', ['1234', '5']), [...lines, '4']);
  });

  it('median of 5: [3, 1, 4, 1, 5] sorted by selection sort in a shown sub-call', () => {
    assert.deepEqual(trace('median', [['3', '1', '4', '1', '5']]), [
      'l = [ 3 , 1 , 4 , 1 , 5 ]',
      's = call( sort( [ 3 , 1 , 4 , 1 , 5 ] ) )',
      'l = [ 3 , 1 , 4 , 1 , 5 ]',
      'm = 3',
      'm = 1',
      'l = [ 1 , 3 , 4 , 1 , 5 ]',
      'm = 3',
      'm = 1',
      'l = [ 1 , 1 , 4 , 3 , 5 ]',
      'm = 4',
      'm = 3',
      'l = [ 1 , 1 , 3 , 4 , 5 ]',
      'm = 4',
      's = [ 1 , 1 , 3 , 4 , 5 ]',
      'm = 3',
      '3',
    ]);
    assert.deepEqual(trace('median', [['7', '2']], 'hidden'), [
      'l = [ 7 , 2 ]',
      's = [ 2 , 7 ]',
      'a = 2 , b = 7',
      't = 9',
      'm = 4 . 5',
      '4 . 5',
    ]);
  });

  it('gcd of [12, 18] by Euclid with the mod sub-call hidden', () => {
    assert.deepEqual(trace('gcd', [['12', '18']], 'hidden'), ['l = [ 1 2 , 1 8 ]', 'g = 6', '6']);
    const shown = trace('gcd', [['12', '18']], 'shown');
    assert.deepEqual(
      shown.filter((line) => line.startsWith('a = ')),
      ['a = 1 2 , b = 1 8', 'a = 1 8 , b = 1 2', 'a = 1 2 , b = 6', 'a = 6 , b = 0'],
    );
    assert.deepEqual(shown.slice(-2), ['g = 6', '6']);
  });

  it('a trace that reaches its line cap stops there, without an answer, and the sample says so', () => {
    assert.deepEqual(trace('add', ['57', '68'], 'shown', 2), ['x = 5 7 , y = 6 8', 'z = 5 , c = 1']);
    const spec = validateTIntSpec({ op: 'mul', digits: [12, 12], n: 1, lineCap: 40 });
    const sample = generateSample(spec, 'train', 0);
    assert.equal(sample.metadata.tint.truncated, true);
    assert.equal(sample.response.split('\n').length, 39);
    assert.notEqual(sample.response.split('\n').at(-1), sample.reference);
  });
});

// ---- an independent reference: BigInt arithmetic ------------------------------------------

function expectedAnswer(op: OperationName, args: Value[]): string {
  if (typeof args[0] === 'string') {
    const x = BigInt(args[0]);
    const y = BigInt(args[1] as Num);
    const value =
      op === 'add' ? x + y : op === 'sub' ? x - y : op === 'mul' ? x * y : op === 'div' ? x / y : x % y;
    return value.toString();
  }
  const list = (args[0] as Num[]).map(BigInt);
  const sorted = [...list].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (op === 'sort') return `[${sorted.join(',')}]`;
  if (op === 'gcd') {
    const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));
    return list.reduce(gcd).toString();
  }
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[mid]!.toString();
  const sum = sorted[mid - 1]! + sorted[mid]!;
  return sum % 2n === 0n ? (sum / 2n).toString() : `${sum / 2n}.5`;
}

const compact = (spacedAnswer: string) => spacedAnswer.replace(/ /g, '');

describe('TInt operations against BigInt', () => {
  for (const op of Object.keys(OPERATIONS) as OperationName[]) {
    it(`${op}: 400 random inputs give the BigInt answer, in the trace's last line and the reference`, () => {
      const list = OPERATIONS[op].arity === 'list';
      const spec = validateTIntSpec({
        op,
        n: 400,
        digits: list ? [1, 12] : [1, 30],
        length: list ? [OPERATIONS[op].minLength ?? 1, 12] : null,
        calls: 'hidden',
        lineCap: 100_000,
        seed: 11,
      });
      for (let i = 0; i < 400; i++) {
        const sample = generateSample(spec, 'train', i);
        const invocation = parseInvocation(sample.prompt)!;
        assert.equal(invocation.fn, op);
        const expected = expectedAnswer(op, invocation.args);
        assert.equal(compact(sample.reference), expected, sample.prompt);
        assert.equal(sample.response.split('\n').at(-1), sample.reference, sample.prompt);
        assert.equal(sample.metadata.tint.truncated, false);
      }
    });
  }

  it('every line of every clean trace is an assignment or a call line', () => {
    for (const op of Object.keys(OPERATIONS) as OperationName[]) {
      for (const calls of ['shown', 'collapsed'] as const) {
        const spec = validateTIntSpec({ op, n: 30, digits: [1, 4], calls, seed: 5 });
        for (let i = 0; i < 30; i++) {
          const lines = generateSample(spec, 'train', i).response.split('\n').slice(0, -1);
          for (const line of lines)
            assert.ok(parseAssignments(line) !== null || callTarget(line) !== null, `${op}: ${line}`);
        }
      }
    }
  });
});
