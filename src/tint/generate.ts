/**
 * One TInt sample from (spec, split, index): inputs, the traced computation (with dynamic noise
 * when this sample draws it), static noise on the finished trace, and metadata saying what was
 * done. Pure and deterministic: the same coordinates always give the same sample.
 */
import { applyStaticNoise, DynamicNoise, type DynamicNoiseReport, type StaticNoiseReport } from './noise.js';
import { OPERATIONS, type Operation } from './operations.js';
import { randomBigInt, randomInt, sampleStream, type Random, type Split } from './random.js';
import type { TIntSpec } from './spec.js';
import { LineCapReached, Tracer } from './tracer.js';
import { formatInvocation, formatValue, type Num, type Value } from './values.js';

export interface TIntSampleMetadata {
  op: string;
  split: Split;
  index: number;
  calls: string;
  /** Trace lines in the response (the answer line excluded). */
  traceLines: number;
  /** The trace hit the line cap: the response stops there and has no answer line. */
  truncated: boolean;
  /** The correct answer, as the answer line writes it. */
  answer: string;
  noised: boolean;
  static: StaticNoiseReport | null;
  dynamic: (DynamicNoiseReport & { answerChanged: boolean }) | null;
}

export interface TIntSample {
  prompt: string;
  response: string;
  /** The correct answer (the answer line of a clean trace). */
  reference: string;
  metadata: { tint: TIntSampleMetadata };
}

function randomNumberOfDigits(random: Random, digits: number): Num {
  if (digits === 1) return String(randomInt(random, 0, 9));
  let out = String(randomInt(random, 1, 9));
  for (let i = 1; i < digits; i++) out += String(randomInt(random, 0, 9));
  return out;
}

function randomOperand(spec: TIntSpec, random: Random, nonZero: boolean): Num {
  for (;;) {
    const num = spec.range
      ? randomBigInt(random, BigInt(spec.range[0]), BigInt(spec.range[1])).toString()
      : randomNumberOfDigits(random, randomInt(random, spec.digits![0], spec.digits![1]));
    if (!nonZero || num !== '0') return num;
  }
}

/** The operands of one sample, drawn as the paper does: by digit length or by magnitude. */
export function sampleArguments(spec: TIntSpec, operation: Operation, random: Random): Value[] {
  if (operation.arity === 'pair') {
    return [
      randomOperand(spec, random, false),
      randomOperand(spec, random, operation.nonZeroDivisor === true),
    ];
  }
  const length = randomInt(random, spec.length![0], spec.length![1]);
  return [Array.from({ length }, () => randomOperand(spec, random, false))];
}

export interface TraceRun {
  lines: string[];
  /** null when the trace hit its cap. */
  result: Value | null;
}

/** Runs an operation under a tracer; a trace that reaches the cap comes back with `result: null`. */
export function runTraced(operation: Operation, args: readonly Value[], tracer: Tracer): TraceRun {
  try {
    return { lines: tracer.lines, result: operation.run(tracer, args) };
  } catch (error) {
    if (error instanceof LineCapReached) return { lines: tracer.lines, result: null };
    throw error;
  }
}

/** The correct answer, computed without a trace. */
export function cleanAnswer(operation: Operation, args: readonly Value[]): Value {
  return operation.run(Tracer.silent(), args);
}

export function generateSample(spec: TIntSpec, split: Split, index: number): TIntSample {
  const operation = OPERATIONS[spec.op];
  const args = sampleArguments(spec, operation, sampleStream(spec.seed, split, index, 'inputs'));
  const prompt = formatInvocation(operation.name, args);

  // Test samples are always clean; each noise kind decides from its own stream.
  const dynamicRandom =
    split === 'train' && spec.dynamic ? sampleStream(spec.seed, split, index, 'dynamic') : null;
  const dynamic =
    dynamicRandom && dynamicRandom() < spec.dynamic!.doc
      ? new DynamicNoise(spec.dynamic!.p, dynamicRandom)
      : null;
  const tracer = new Tracer({ callMode: spec.calls, maxLines: spec.lineCap - 1, hook: dynamic ?? undefined });
  const run = runTraced(operation, args, tracer);
  let lines = run.lines;
  const written = run.result === null ? null : formatValue(run.result);
  // Without dynamic noise the traced run is the clean computation: its result is the answer.
  const answer = dynamic === null && written !== null ? written : formatValue(cleanAnswer(operation, args));

  const staticRandom =
    split === 'train' && spec.static ? sampleStream(spec.seed, split, index, 'static') : null;
  let staticReport: StaticNoiseReport | null = null;
  if (staticRandom && staticRandom() < spec.static!.doc) {
    const noised = applyStaticNoise(lines, spec.static!, staticRandom);
    lines = noised.lines;
    staticReport = noised.report;
  }

  const response = written === null ? lines.join('\n') : [...lines, written].join('\n');
  return {
    prompt,
    response,
    reference: answer,
    metadata: {
      tint: {
        op: operation.name,
        split,
        index,
        calls: spec.calls,
        traceLines: lines.length,
        truncated: run.result === null,
        answer,
        noised: dynamic !== null || staticReport !== null,
        static: staticReport,
        dynamic: dynamic ? { ...dynamic.report, answerChanged: written !== answer } : null,
      },
    },
  };
}
