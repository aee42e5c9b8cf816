/**
 * Records a computation as trace lines. Algorithms write every variable change through `set` and
 * continue with the values it returns: that is where dynamic noise corrupts values (so later
 * steps use them) and where the verifier substitutes the values a sample wrote (so its replay
 * follows the sample). Each line is a simultaneous assignment computed from earlier lines only.
 */
import { formatAssignments, formatCall, type Value } from './values.js';

/** How a sub-call appears: its own trace between a call line and the result line, only the result line, or only the call line. */
export type CallMode = 'shown' | 'hidden' | 'collapsed';
export const CALL_MODES: readonly CallMode[] = ['shown', 'hidden', 'collapsed'];

/** 'input' lines restate a call's arguments; they are copies, not intermediate values. */
export type LineKind = 'input' | 'step';

export interface TraceHook {
  /** Sees an assignment line as computed; answers the values the computation continues with. */
  assign(names: readonly string[], values: readonly Value[], kind: LineKind): readonly Value[];
  /** Sees a call line. */
  call(text: string): void;
}

/** Thrown when a trace reaches its line cap; the partial trace stays in `lines`. */
export class LineCapReached extends Error {
  constructor(readonly cap: number) {
    super(`the trace reached its cap of ${cap} lines`);
  }
}

export interface TracerOptions {
  callMode: CallMode;
  /** Most trace lines kept (the answer line comes on top). */
  maxLines: number;
  hook?: TraceHook;
}

export class Tracer {
  readonly lines: string[] = [];
  private muted = 0;

  constructor(private readonly options: TracerOptions) {}

  /** A tracer that writes nothing and changes nothing: the clean computation, with no cap. */
  static silent(): Tracer {
    const tracer = new Tracer({ callMode: 'hidden', maxLines: Infinity });
    tracer.muted = 1;
    return tracer;
  }

  set<const T extends readonly Value[]>(names: readonly string[], values: T, kind: LineKind = 'step'): T {
    if (this.muted > 0) return values;
    const used = (this.options.hook ? this.options.hook.assign(names, values, kind) : values) as T;
    this.push(formatAssignments(names, used));
    return used;
  }

  /**
   * Calls a sub-procedure whose result lands in `target`. Shown: the call line, the callee's
   * trace, then `target = result`. Hidden: the callee runs silently and only `target = result` is
   * written. Collapsed: only the call line is written; the result is what the callee computes
   * from the written arguments.
   */
  call<R extends Value>(target: string, fn: string, args: readonly Value[], body: (tracer: Tracer) => R): R {
    if (this.muted > 0) return body(this);
    const mode = this.options.callMode;
    if (mode !== 'hidden') this.writeCall(formatCall(target, fn, args));
    const result = mode === 'shown' ? body(this) : this.silently(() => body(this));
    if (mode === 'collapsed') return result;
    return this.set([target], [result])[0] as R;
  }

  private writeCall(text: string): void {
    this.options.hook?.call(text);
    this.push(text);
  }

  private silently<R>(run: () => R): R {
    this.muted++;
    try {
      return run();
    } finally {
      this.muted--;
    }
  }

  private push(line: string): void {
    if (this.lines.length >= this.options.maxLines) throw new LineCapReached(this.options.maxLines);
    this.lines.push(line);
  }
}
