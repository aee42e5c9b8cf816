/**
 * The two kinds of TInt noise (Havrilla & Iyer 2024, section 3).
 * Static: applied to a finished trace; lines are deleted and digits replaced where they stand, so
 * no later line is computed from a wrong value. Dynamic: applied while computing; a corrupted
 * value is what later steps read, so the error propagates. Prompts and answer lines are never
 * touched by static noise; input lines (restated arguments) are never corrupted by dynamic noise.
 */
import { otherDigit, type Random } from './random.js';
import type { LineKind, TraceHook } from './tracer.js';
import type { Num, Value } from './values.js';

export interface StaticNoiseReport {
  /** Trace lines seen (the answer line excluded) and deleted. */
  linesSeen: number;
  linesDeleted: number;
  /** Digits in the kept lines, and how many of them were replaced by another digit. */
  digitsSeen: number;
  digitsReplaced: number;
}

/** Deletes each trace line with probability `line`, then replaces each digit of the kept lines with probability `char`. */
export function applyStaticNoise(
  lines: readonly string[],
  rates: { char: number; line: number },
  random: Random,
): { lines: string[]; report: StaticNoiseReport } {
  const report: StaticNoiseReport = {
    linesSeen: lines.length,
    linesDeleted: 0,
    digitsSeen: 0,
    digitsReplaced: 0,
  };
  const kept: string[] = [];
  for (const line of lines) {
    if (random() < rates.line) {
      report.linesDeleted++;
      continue;
    }
    let out = '';
    for (let i = 0; i < line.length; i++) {
      const code = line.charCodeAt(i);
      if (code >= 48 && code <= 57) {
        report.digitsSeen++;
        if (random() < rates.char) {
          report.digitsReplaced++;
          out += String(otherDigit(random, code - 48));
          continue;
        }
      }
      out += line[i];
    }
    kept.push(out);
  }
  return { lines: kept, report };
}

export interface DynamicNoiseReport {
  /** Digits of intermediate values seen and corrupted, and values with at least one corrupted digit. */
  digitsSeen: number;
  digitsCorrupted: number;
  valuesCorrupted: number;
}

/** A trace hook that corrupts each digit of every intermediate value with probability `p`. */
export class DynamicNoise implements TraceHook {
  readonly report: DynamicNoiseReport = { digitsSeen: 0, digitsCorrupted: 0, valuesCorrupted: 0 };

  constructor(
    private readonly p: number,
    private readonly random: Random,
  ) {}

  assign(_names: readonly string[], values: readonly Value[], kind: LineKind): readonly Value[] {
    if (kind === 'input') return values;
    return values.map((value) =>
      typeof value === 'string' ? this.corruptNum(value) : value.map((num) => this.corruptNum(num)),
    );
  }

  call(): void {}

  private corruptNum(num: Num): Num {
    let out = '';
    let changed = false;
    for (let i = 0; i < num.length; i++) {
      const code = num.charCodeAt(i);
      if (code >= 48 && code <= 57) {
        this.report.digitsSeen++;
        if (this.random() < this.p) {
          this.report.digitsCorrupted++;
          changed = true;
          out += String(otherDigit(this.random, code - 48));
          continue;
        }
      }
      out += num[i];
    }
    if (changed) this.report.valuesCorrupted++;
    return changed ? out : num;
  }
}
