/**
 * The JSONL reader: lines are found with `Buffer.indexOf('\n')` (memchr), so the per-byte work is
 * done natively by `indexOf`, `isUtf8` and `JSON.parse`.
 */
import { Accumulator } from './accumulator.js';
import { CR, IS_WS, LF } from './bytes.js';
import { emitRecord } from './emitRecord.js';
import type { ReaderItem } from './types.js';

export class JsonlReader {
  /** Absolute offset of byte 0 of the chunk being fed. */
  private base: number;
  /** Line number of the current (unfinished) line. */
  private line: number;
  /** Absolute offset of the current line's first byte. */
  private lineStart: number;
  /** Bytes of the current line seen in earlier chunks (0 = the line starts in the chunk being fed). */
  private pending: number;
  /** The current line went over the limit: already rejected, its bytes are being dropped. */
  private skipping = false;
  private readonly acc = new Accumulator();

  constructor(
    private readonly max: number,
    base: number,
    line: number,
    lineStart: number,
  ) {
    this.base = base;
    this.line = line;
    this.lineStart = lineStart;
    // Leading whitespace already skipped during auto-detection counts toward the line's length.
    this.pending = base - lineStart;
  }

  feed(buf: Buffer, out: ReaderItem[]): void {
    const n = buf.length;
    let start = 0;
    while (start < n) {
      const nl = buf.indexOf(LF, start);
      if (nl === -1) {
        this.carry(buf, start, n, out);
        break;
      }
      if (this.skipping) {
        this.skipping = false;
      } else if (this.pending === 0) {
        this.finishLine(buf.subarray(start, nl), out);
      } else {
        this.carry(buf, start, nl, out);
        if (this.skipping) this.skipping = false;
        else this.finishLine(this.acc.view(), out);
      }
      this.acc.reset();
      this.pending = 0;
      this.line++;
      start = nl + 1;
      this.lineStart = this.base + start;
    }
    this.base += n;
  }

  end(out: ReaderItem[]): void {
    if (!this.skipping && this.pending > 0) this.finishLine(this.acc.view(), out);
    this.acc.reset();
    this.pending = 0;
    this.skipping = false;
  }

  /** Keeps buf[start, end) as part of the current line, unless that takes the line over the limit. */
  private carry(buf: Buffer, start: number, end: number, out: ReaderItem[]): void {
    if (this.skipping) return;
    const len = this.pending + (end - start);
    // +1: a trailing '\r' (stripped at the end of the line) does not count toward the limit.
    if (len > this.max + 1) {
      this.reject(out);
      this.skipping = true;
      this.acc.reset();
      return;
    }
    this.acc.append(buf, start, end);
    this.pending = len;
  }

  /** `bytes`: the whole line without its '\n'. */
  private finishLine(bytes: Buffer, out: ReaderItem[]): void {
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === CR) end--;
    if (end > this.max) {
      this.reject(out);
      return;
    }
    let i = 0;
    while (i < end && IS_WS[bytes[i]!] === 1) i++;
    if (i === end) return; // blank line
    emitRecord(out, end === bytes.length ? bytes : bytes.subarray(0, end), this.line, this.lineStart);
  }

  private reject(out: ReaderItem[]): void {
    out.push({
      kind: 'rejected',
      line: this.line,
      offset: this.lineStart,
      reason: `line is longer than the limit of ${this.max} bytes`,
      fatal: false,
    });
  }
}
