/**
 * The JSON array reader: elements are delimited by a byte scanner that tracks string state (with
 * backslash escapes) and {}/[] nesting, then each element is validated and parsed like a JSONL line.
 */
import { Accumulator } from './accumulator.js';
import {
  BACKSLASH,
  CLOSE_BRACKET,
  COMMA,
  describeByte,
  ENDS_SCALAR,
  IS_WS,
  LF,
  OPEN_BRACE,
  OPEN_BRACKET,
  QUOTE,
  STRING_STOP,
  STRUCTURE_STOP,
} from './bytes.js';
import { emitRecord } from './emitRecord.js';
import type { ReaderItem } from './types.js';

// JsonArrayReader states.
/** Before the opening '['. */
const EXPECT_OPEN = 0;
/** After '[': an element or ']'. */
const EXPECT_FIRST = 1;
/** After ',': an element. */
const EXPECT_ELEMENT = 2;
/** Inside an element. */
const IN_ELEMENT = 3;
/** After an element: ',' or ']'. */
const AFTER_ELEMENT = 4;
/** After the closing ']': only whitespace. */
const AFTER_CLOSE = 5;
/** A fatal rejection was reported. */
const STOPPED = 6;

export class JsonArrayReader {
  private state = EXPECT_OPEN;
  /** Absolute offset of byte 0 of the chunk being fed. */
  private base: number;
  /** Line number at the scan position. */
  private line: number;

  // The current element.
  private elemStart = 0;
  private elemLine = 0;
  /** Bytes of the element seen in earlier chunks (0 = it starts in the chunk being fed). */
  private elemLen = 0;
  /** The element went over the limit: already rejected, its bytes are being dropped. */
  private skipping = false;
  /** A number / literal / junk element, ended by whitespace or a structural byte (not itself part of it). */
  private scalar = false;
  private depth = 0;
  private inString = false;
  private escape = false;
  private readonly acc = new Accumulator();

  constructor(
    private readonly max: number,
    base: number,
    line: number,
  ) {
    this.base = base;
    this.line = line;
  }

  feed(buf: Buffer, out: ReaderItem[]): void {
    const n = buf.length;
    const base = this.base;
    let state = this.state;
    let line = this.line;
    /** Where the current element's bytes begin in this chunk. */
    let segStart = 0;
    let i = 0;

    while (i < n) {
      if (state === IN_ELEMENT) {
        let end = -1;
        if (this.scalar) {
          while (i < n && ENDS_SCALAR[buf[i]!] === 0) i++;
          if (i < n) end = i;
        } else {
          let depth = this.depth;
          let inString = this.inString;
          let escape = this.escape;
          // Tight skip loops over ordinary bytes; only quotes, backslashes, brackets and LF need a decision.
          while (i < n) {
            if (inString) {
              if (escape) {
                escape = false;
                if (buf[i] === LF) line++;
                i++;
                continue;
              }
              while (i < n && STRING_STOP[buf[i]!] === 0) i++;
              if (i === n) break;
              const c = buf[i++];
              if (c === QUOTE) {
                inString = false;
                if (depth === 0) {
                  end = i;
                  break;
                }
              } else if (c === BACKSLASH) {
                escape = true;
              } else {
                line++; // LF
              }
            } else {
              while (i < n && STRUCTURE_STOP[buf[i]!] === 0) i++;
              if (i === n) break;
              const c = buf[i++];
              if (c === QUOTE) {
                inString = true;
              } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
                depth++;
              } else if (c === LF) {
                line++;
              } else if (--depth === 0) {
                // '}' or ']' closing the element
                end = i;
                break;
              }
            }
          }
          this.depth = depth;
          this.inString = inString;
          this.escape = escape;
        }
        if (end === -1) break; // the element goes on in the next chunk
        this.finishElement(buf, segStart, end, out);
        state = AFTER_ELEMENT;
        continue;
      }

      const c = buf[i]!;
      if (IS_WS[c] === 1) {
        if (c === LF) line++;
        i++;
        continue;
      }
      if (state === AFTER_ELEMENT) {
        if (c === COMMA) state = EXPECT_ELEMENT;
        else if (c === CLOSE_BRACKET) state = AFTER_CLOSE;
        else {
          this.fatal(
            out,
            line,
            base + i,
            `JSON array: expected ',' or ']' after an element at byte ${base + i} (line ${line}), found ${describeByte(c)}`,
          );
          return;
        }
        i++;
      } else if (state === EXPECT_FIRST || state === EXPECT_ELEMENT) {
        if (c === CLOSE_BRACKET && state === EXPECT_FIRST) {
          state = AFTER_CLOSE;
          i++;
        } else if (c === COMMA || c === CLOSE_BRACKET) {
          this.fatal(
            out,
            line,
            base + i,
            `JSON array: expected an element at byte ${base + i} (line ${line}), found ${describeByte(c)}`,
          );
          return;
        } else {
          // Start an element; its first byte is consumed here.
          this.elemStart = base + i;
          this.elemLine = line;
          this.elemLen = 0;
          this.skipping = false;
          this.acc.reset();
          this.scalar = c !== OPEN_BRACE && c !== OPEN_BRACKET && c !== QUOTE;
          this.depth = c === QUOTE ? 0 : 1;
          this.inString = c === QUOTE;
          this.escape = false;
          segStart = i;
          state = IN_ELEMENT;
          i++;
        }
      } else if (state === EXPECT_OPEN) {
        if (c !== OPEN_BRACKET) {
          this.fatal(
            out,
            line,
            base + i,
            `JSON array: expected '[' at byte ${base + i} (line ${line}), found ${describeByte(c)}`,
          );
          return;
        }
        state = EXPECT_FIRST;
        i++;
      } else if (state === AFTER_CLOSE) {
        this.fatal(
          out,
          line,
          base + i,
          `JSON array: unexpected content after the closing ']' at byte ${base + i} (line ${line}), found ${describeByte(c)}`,
        );
        return;
      } else {
        return; // STOPPED
      }
    }

    if (state === IN_ELEMENT) this.carry(buf, segStart, n, out);
    this.state = state;
    this.line = line;
    this.base = base + n;
  }

  end(out: ReaderItem[]): void {
    const state = this.state;
    if (state === EXPECT_OPEN || state === AFTER_CLOSE || state === STOPPED) return;
    let reason = `JSON array ends early at byte ${this.base} (line ${this.line}): missing ']'`;
    if (state === IN_ELEMENT)
      reason += `; the element starting at byte ${this.elemStart} (line ${this.elemLine}) is cut off`;
    this.fatal(out, this.line, this.base, reason);
  }

  private fatal(out: ReaderItem[], line: number, offset: number, reason: string): void {
    out.push({ kind: 'rejected', line, offset, reason, fatal: true });
    this.state = STOPPED;
    this.acc.reset();
  }

  /** Keeps buf[start, end) as part of the current element, unless that takes it over the limit. */
  private carry(buf: Buffer, start: number, end: number, out: ReaderItem[]): void {
    if (this.skipping) return;
    const len = this.elemLen + (end - start);
    if (len > this.max) {
      this.reject(out);
      this.skipping = true;
      this.acc.reset();
      return;
    }
    this.acc.append(buf, start, end);
    this.elemLen = len;
  }

  /** The element ends at buf[end - 1]. */
  private finishElement(buf: Buffer, segStart: number, end: number, out: ReaderItem[]): void {
    if (this.skipping) {
      this.skipping = false;
      return;
    }
    if (this.elemLen === 0) {
      if (end - segStart > this.max) this.reject(out);
      else emitRecord(out, buf.subarray(segStart, end), this.elemLine, this.elemStart);
      return;
    }
    this.carry(buf, segStart, end, out);
    if (this.skipping) this.skipping = false;
    else emitRecord(out, this.acc.view(), this.elemLine, this.elemStart);
    this.acc.reset();
  }

  private reject(out: ReaderItem[]): void {
    out.push({
      kind: 'rejected',
      line: this.elemLine,
      offset: this.elemStart,
      reason: `array element is longer than the limit of ${this.max} bytes`,
      fatal: false,
    });
  }
}
