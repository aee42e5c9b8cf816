/**
 * What a TInt generation is asked for, validated before anything is generated. Every rejection
 * is a BadInputError naming the parameter, so the CLI, GraphQL and the job report the same text.
 */
import { BadInputError } from '../errors.js';
import { findOperation, OPERATION_NAMES, type OperationName } from './operations.js';
import { CALL_MODES, type CallMode } from './tracer.js';

/** Longest operand, in digits (and the largest magnitude: 10^MAX_DIGITS - 1). */
export const MAX_DIGITS = 30;
export const MAX_LIST_LENGTH = 50;
export const DEFAULT_LINE_CAP = 300;
export const MIN_LINE_CAP = 2;
export const MAX_LINE_CAP = 100_000;
/** Default cap on n (and test n); QDC_TINT_MAX_SAMPLES overrides it. */
export const DEFAULT_MAX_SAMPLES = 10_000_000;

export interface StaticNoiseSpec {
  /** Fraction of samples noised. */
  doc: number;
  /** Probability that a digit of a noised sample's trace is replaced. */
  char: number;
  /** Probability that a non-answer line of a noised sample is deleted. */
  line: number;
}

export interface DynamicNoiseSpec {
  /** Fraction of samples noised. */
  doc: number;
  /** Probability that a digit of an intermediate value is corrupted. */
  p: number;
}

export interface TIntSpec {
  op: OperationName;
  /** Operand digit counts, inclusive (each operand or list element draws its length uniformly), or null when `range` is used. */
  digits: [number, number] | null;
  /** Operand magnitudes, inclusive, as decimal strings; null when `digits` is used. */
  range: [string, string] | null;
  /** List lengths, inclusive (list operations only). */
  length: [number, number] | null;
  n: number;
  /** Clean test samples generated separately (0: none). */
  testN: number;
  static: StaticNoiseSpec | null;
  dynamic: DynamicNoiseSpec | null;
  calls: CallMode;
  /** Most lines per sample, the answer line included. */
  lineCap: number;
  seed: number;
}

/** The loose shape callers hand in (CLI flags, GraphQL input); `validateTIntSpec` checks every field. */
export interface TIntSpecInput {
  op: string;
  digits?: [number, number] | null;
  range?: [string | number, string | number] | null;
  length?: [number, number] | null;
  n: number;
  testN?: number | null;
  static?: Partial<StaticNoiseSpec> | null;
  dynamic?: Partial<DynamicNoiseSpec> | null;
  calls?: string | null;
  lineCap?: number | null;
  seed?: number | null;
}

const fail = (field: string, message: string): never => {
  throw new BadInputError(`${field}: ${message}`, { field });
};

function integerIn(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value))
    fail(field, `must be an integer (got ${JSON.stringify(value)})`);
  if ((value as number) < min || (value as number) > max)
    fail(field, `must be between ${min} and ${max} (got ${value})`);
  return value as number;
}

function probability(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    fail(field, `must be a number in [0, 1] (got ${JSON.stringify(value)})`);
  if ((value as number) < 0 || (value as number) > 1) fail(field, `must be in [0, 1] (got ${value})`);
  return value as number;
}

function intRange(field: string, value: [number, number], min: number, max: number): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) fail(field, 'must be a pair low-high');
  const low = integerIn(field, value[0], min, max);
  const high = integerIn(field, value[1], min, max);
  if (low > high) fail(field, `the range is reversed (${low} > ${high}); write it low-high`);
  return [low, high];
}

const DECIMAL = /^\d+$/;

function magnitudeRange(value: [string | number, string | number]): [string, string] {
  if (!Array.isArray(value) || value.length !== 2) fail('range', 'must be a pair low-high');
  const [low, high] = value.map((v) => {
    const text = String(v).trim();
    if (!DECIMAL.test(text)) fail('range', `bounds must be non-negative integers (got ${JSON.stringify(v)})`);
    const normal = text.replace(/^0+(?=\d)/, '');
    if (normal.length > MAX_DIGITS) fail('range', `bounds must be below 10^${MAX_DIGITS} (got ${text})`);
    return normal;
  }) as [string, string];
  if (BigInt(low) > BigInt(high))
    fail('range', `the range is reversed (${low} > ${high}); write it low-high`);
  return [low, high];
}

function unknownKeys(field: string, value: object, allowed: readonly string[]): void {
  const extra = Object.keys(value).filter((key) => !allowed.includes(key));
  if (extra.length > 0) fail(field, `unknown setting ${extra.join(', ')}; use ${allowed.join(', ')}`);
}

export function validateTIntSpec(input: TIntSpecInput, maxSamples = DEFAULT_MAX_SAMPLES): TIntSpec {
  const operation = findOperation(input.op);
  if (!operation)
    fail('op', `unknown operation "${input.op}"; valid operations are ${OPERATION_NAMES.join(', ')}`);
  const op = operation!;
  const n = integerIn('n', input.n, 1, maxSamples);
  const testN = integerIn('testN', input.testN ?? 0, 0, maxSamples);

  if (input.digits && input.range) fail('digits', 'give either digits or range, not both');
  const range = input.range ? magnitudeRange(input.range) : null;
  const digits = range ? null : intRange('digits', input.digits ?? [1, 3], 1, MAX_DIGITS);
  if (op.nonZeroDivisor && range && range[1] === '0')
    fail('range', `${op.name} needs a non-zero divisor; the range holds only 0`);

  let length: [number, number] | null = null;
  if (op.arity === 'list')
    length = intRange('length', input.length ?? [5, 5], op.minLength ?? 1, MAX_LIST_LENGTH);
  else if (input.length)
    fail(
      'length',
      `only list operations (sort, gcd, median) take a list length; ${op.name} takes two numbers`,
    );

  let staticNoise: StaticNoiseSpec | null = null;
  if (input.static) {
    unknownKeys('static', input.static, ['doc', 'char', 'line']);
    staticNoise = {
      doc: probability('static.doc', input.static.doc ?? 0),
      char: probability('static.char', input.static.char ?? 0),
      line: probability('static.line', input.static.line ?? 0),
    };
  }
  let dynamicNoise: DynamicNoiseSpec | null = null;
  if (input.dynamic) {
    unknownKeys('dynamic', input.dynamic, ['doc', 'p']);
    dynamicNoise = {
      doc: probability('dynamic.doc', input.dynamic.doc ?? 0),
      p: probability('dynamic.p', input.dynamic.p ?? 0),
    };
  }

  const calls = (input.calls ?? 'shown') as CallMode;
  if (!CALL_MODES.includes(calls))
    fail('calls', `must be one of ${CALL_MODES.join(', ')} (got "${input.calls}")`);
  const lineCap = integerIn('lineCap', input.lineCap ?? DEFAULT_LINE_CAP, MIN_LINE_CAP, MAX_LINE_CAP);
  const seed = integerIn('seed', input.seed ?? 0, 0, 2 ** 32 - 1);

  return {
    op: op.name,
    digits,
    range,
    length,
    n,
    testN,
    static: staticNoise,
    dynamic: dynamicNoise,
    calls,
    lineCap,
    seed,
  };
}

/** "1-5" or "3" -> [1, 5] / [3, 3]; null when it does not look like a range. */
export function parseRangeText(text: string): [string, string] | null {
  const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text);
  return match ? [match[1]!, match[2] ?? match[1]!] : null;
}

/** "doc=0.5,char=0.3" -> { doc: 0.5, char: 0.3 }; throws on anything else. */
export function parseNoiseText(field: string, text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(',')) {
    const match = /^\s*([a-z]+)\s*=\s*([^\s,]+)\s*$/.exec(part);
    if (!match || !Number.isFinite(Number(match[2])))
      fail(field, `"${part.trim()}" must look like name=number (e.g. doc=0.5,char=0.3)`);
    out[match![1]!] = Number(match![2]);
  }
  return out;
}
