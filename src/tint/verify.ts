/**
 * The TInt trace verifier: re-executes a sample's prompt and judges every line of its response.
 *
 * 1. The clean trace is computed from the prompt (in each call layout when the operation has
 *    sub-calls; the layout whose clean trace shares the most lines with the sample is used, and
 *    on a tie the shorter one).
 * 2. A sample line is valid when it belongs to the longest common subsequence of the sample's
 *    trace and the clean trace; the answer line is valid when it equals the correct answer. The
 *    valid-line fraction is valid lines over the union of both traces' lines (a Jaccard index):
 *    a deleted line costs one line of the union, a changed line two (the wrong line written and
 *    the right line missing).
 * 3. A replay then follows the sample: the algorithm runs again, and at each step the values the
 *    sample wrote are taken over (when the step's variables match), so later steps are computed
 *    from what the sample said. A wrong line that this replay reproduces was computed from
 *    earlier wrong values: the error propagated.
 * 4. Class: CLEAN when the trace equals the clean trace (or a prefix of it, when a line cap cut
 *    the sample before its answer). PROPAGATING when the answer is wrong, or when more wrong lines
 *    follow from earlier wrong values (the replay reproduces them) than right lines ignore them
 *    (the replay, fed the wrong values, does not reproduce them): weighing both kinds of evidence
 *    keeps a noised digit that happens to equal the replayed one from deciding when the rest of
 *    the trace contradicts it (a lone coincidence with nothing against it still decides). LOCAL
 *    otherwise: wrong or missing lines that the rest of the trace did not build on.
 */
import { alignLines } from './align.js';
import { findOperation, type Operation, type OperationName } from './operations.js';
import { runTraced } from './generate.js';
import { CALL_MODES, Tracer, type CallMode, type LineKind, type TraceHook } from './tracer.js';
import {
  callTarget,
  formatAssignments,
  formatValue,
  isDigits,
  parseAssignments,
  parseInvocation,
  type ParsedLine,
  type Value,
} from './values.js';

export type TraceClass = 'CLEAN' | 'LOCAL' | 'PROPAGATING';
export const TRACE_CLASSES: readonly TraceClass[] = ['CLEAN', 'LOCAL', 'PROPAGATING'];

export interface TraceVerdict {
  op: OperationName;
  /** The call layout the trace was read in. */
  calls: CallMode;
  /** Lines of the response, the answer line included when there is one. */
  lines: number;
  validLines: number;
  /**
   * validLines / (lines + missingLines): deleted steps count against a trace as wrong ones do.
   * 0 for an empty response.
   */
  validFraction: number;
  answerPresent: boolean;
  answerCorrect: boolean;
  /** Trace lines (answer excluded) not in the clean trace. */
  wrongLines: number;
  /**
   * Clean-trace lines with no matching sample line. A response without an answer line is taken
   * as cut by its line cap and only held to the part of the clean trace it reached.
   */
  missingLines: number;
  /** Wrong lines that the replay reproduces from the sample's own earlier values (errors carried forward). */
  propagatedLines: number;
  /** Right lines that the replay does not reproduce: the sample went on from right values after writing wrong ones. */
  ignoredErrorLines: number;
  class: TraceClass;
}

/** Replay slack: how many lines beyond the sample's own the replay may write before it stops. */
const REPLAY_SLACK = 1000;

class FollowSample implements TraceHook {
  private next = 0;
  readonly consistent: boolean[];

  constructor(
    private readonly lines: readonly string[],
    private readonly parsed: readonly (ParsedLine | null)[],
  ) {
    this.consistent = new Array<boolean>(lines.length).fill(false);
  }

  assign(names: readonly string[], values: readonly Value[], kind: LineKind): readonly Value[] {
    if (this.next >= this.lines.length) return values;
    if (this.lines[this.next] === formatAssignments(names, values)) {
      this.consistent[this.next++] = true;
      return values;
    }
    const written = this.parsed[this.next];
    if (
      !written ||
      written.names.length !== names.length ||
      written.names.some((name, i) => name !== names[i])
    ) {
      return values; // the sample has no line for this step (deleted, or its control flow went elsewhere)
    }
    this.next++;
    if (kind === 'input') return values;
    return written.values.every((value, i) => adoptable(values[i]!, value)) ? written.values : values;
  }

  call(text: string): void {
    if (this.next >= this.lines.length) return;
    const line = this.lines[this.next]!;
    if (line === text) this.consistent[this.next++] = true;
    else if (callTarget(line) !== null && callTarget(line) === callTarget(text)) this.next++;
  }
}

/** A written value replaces a computed one only when the algorithm can compute with it. */
function adoptable(computed: Value, written: Value): boolean {
  if (typeof computed === 'string')
    return typeof written === 'string' && isDigits(computed) && isDigits(written);
  return (
    typeof written !== 'string' &&
    written.length === computed.length &&
    written.every(isDigits) &&
    computed.every(isDigits)
  );
}

/** Longest clean trace the verifier computes; prompts needing more are not verified (the generator's cap is 100k too). */
const MAX_CLEAN_LINES = 100_000;

function cleanTrace(operation: Operation, args: readonly Value[], calls: CallMode) {
  const run = runTraced(operation, args, new Tracer({ callMode: calls, maxLines: MAX_CLEAN_LINES }));
  return run.result === null ? null : { lines: run.lines, answer: formatValue(run.result) };
}

/** The verdict on one sample; null when the prompt is not a TInt invocation (or its clean trace exceeds MAX_CLEAN_LINES). */
export function verifyTrace(
  prompt: string,
  response: string,
  calls: CallMode | 'auto' = 'auto',
): TraceVerdict | null {
  const invocation = parseInvocation(prompt);
  if (!invocation) return null;
  const operation = findOperation(invocation.fn);
  if (!operation || !argumentsFit(operation, invocation.args)) return null;
  const args = invocation.args;

  const responseLines = response.split('\n');
  while (responseLines.length > 0 && responseLines[responseLines.length - 1]!.trim() === '')
    responseLines.pop();
  const last = responseLines[responseLines.length - 1];
  const answerPresent = last !== undefined && !last.includes(' = ');
  const trace = answerPresent ? responseLines.slice(0, -1) : responseLines;
  const answerLine = answerPresent ? last!.trim() : null;

  const layouts: CallMode[] = calls !== 'auto' ? [calls] : operation.hasCalls ? [...CALL_MODES] : ['shown'];
  let best: {
    calls: CallMode;
    clean: NonNullable<ReturnType<typeof cleanTrace>>;
    alignment: ReturnType<typeof alignLines>;
  } | null = null;
  for (const layout of layouts) {
    const clean = cleanTrace(operation, args, layout);
    if (!clean) return null;
    const alignment = alignLines(trace, clean.lines);
    // Most shared lines wins; on a tie, the layout that leaves fewer clean lines unmatched.
    const better =
      !best ||
      alignment.count > best.alignment.count ||
      (alignment.count === best.alignment.count && clean.lines.length < best.clean.lines.length);
    if (better) best = { calls: layout, clean, alignment };
  }
  const { clean, alignment } = best!;

  const follow = new FollowSample(trace, trace.map(parseAssignments));
  runTraced(
    operation,
    args,
    new Tracer({ callMode: best!.calls, maxLines: trace.length + REPLAY_SLACK, hook: follow }),
  );

  const answerCorrect = answerLine === clean.answer;
  const wrongLines = trace.length - alignment.count;
  // Evidence both ways: a wrong line the replay reproduces continued from earlier wrong values;
  // a right line the replay does not reproduce ignored them (the sample went on from the right ones).
  let propagatedLines = 0;
  let ignoredErrorLines = 0;
  for (let i = 0; i < trace.length; i++) {
    if (!alignment.matched[i] && follow.consistent[i]) propagatedLines++;
    else if (alignment.matched[i] && !follow.consistent[i]) ignoredErrorLines++;
  }

  const isPrefix = wrongLines === 0 && trace.every((line, i) => line === clean.lines[i]);
  const isClean = answerPresent
    ? answerCorrect && isPrefix && trace.length === clean.lines.length
    : isPrefix && trace.length < clean.lines.length;
  const verdictClass: TraceClass = isClean
    ? 'CLEAN'
    : (answerPresent && !answerCorrect) || propagatedLines > ignoredErrorLines
      ? 'PROPAGATING'
      : 'LOCAL';

  const lines = trace.length + (answerPresent ? 1 : 0);
  const validLines = alignment.count + (answerCorrect ? 1 : 0);
  const missingLines = (answerPresent ? clean.lines.length : alignment.cleanReach) - alignment.count;
  return {
    op: operation.name,
    calls: best!.calls,
    lines,
    validLines,
    validFraction: lines + missingLines === 0 ? 0 : validLines / (lines + missingLines),
    answerPresent,
    answerCorrect,
    wrongLines,
    missingLines,
    propagatedLines,
    ignoredErrorLines,
    class: verdictClass,
  };
}

function argumentsFit(operation: Operation, args: readonly Value[]): boolean {
  if (operation.arity === 'pair')
    return args.length === 2 && args.every((a) => typeof a === 'string' && isDigits(a));
  return (
    args.length === 1 &&
    typeof args[0] !== 'string' &&
    args[0]!.length >= (operation.minLength ?? 1) &&
    args[0]!.every(isDigits)
  );
}
