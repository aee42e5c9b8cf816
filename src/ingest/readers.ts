/**
 * Streaming record readers for bulk ingest: turn a byte stream (a file or an HTTP body, possibly many
 * gigabytes) into parsed JSON records with their line number and byte offset.
 *
 * Memory is bounded by O(maxRecordBytes + chunk size): a record that lies inside one chunk is parsed
 * straight from a view of that chunk (no copy); only a record that spans chunks is copied, once, into
 * a reusable accumulator, and a record over the limit stops being copied as soon as it goes over.
 *
 * - JSONL: lines are found with `Buffer.indexOf('\n')` (memchr), so the per-byte work is done natively
 *   by `indexOf`, `isUtf8` and `JSON.parse`.
 * - JSON array: elements are delimited by a byte scanner that tracks string state (with backslash
 *   escapes) and {}/[] nesting, then each element is validated and parsed like a JSONL line.
 *
 * Positions are absolute in the stream: a leading UTF-8 BOM is skipped but still counts in offsets.
 */
import { isUtf8 } from 'node:buffer';

export type Container = 'jsonl' | 'json-array';

export interface ReaderOptions {
  /** 'auto' (default): the first non-whitespace byte decides: '[' -> json-array, anything else -> jsonl. */
  container?: Container | 'auto';
  /** A record (JSONL line, or one array element) over this many bytes is rejected without being buffered. */
  maxRecordBytes: number;
}

/** One parsed record, or one rejected record. Rejections never stop the stream unless `fatal`. */
export type ReaderItem =
  | { kind: 'record'; line: number; offset: number; value: unknown }
  | { kind: 'rejected'; line: number; offset: number; reason: string; fatal: boolean };

/** The generator's return value. `container` is 'jsonl' for an empty stream read with 'auto'. */
export interface ReaderSummary {
  container: Container;
  records: number;
  rejected: number;
  /** Bytes consumed (a BOM included); after a fatal rejection, the offset of the fatal item (whatever the chunking). */
  bytes: number;
}

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** JSON whitespace (RFC 8259): space, tab, LF, CR. */
const IS_WS = new Uint8Array(256);
IS_WS[SPACE] = IS_WS[TAB] = IS_WS[LF] = IS_WS[CR] = 1;

/** Bytes that end a scalar (number / literal / junk) array element: whitespace and structural bytes other than '}'. */
const ENDS_SCALAR = new Uint8Array(256);
for (const b of [SPACE, TAB, LF, CR, COMMA, CLOSE_BRACKET, OPEN_BRACKET, OPEN_BRACE, QUOTE])
  ENDS_SCALAR[b] = 1;

/** Bytes inside a string that the array scanner must look at: the closing quote, an escape, a line feed. */
const STRING_STOP = new Uint8Array(256);
STRING_STOP[QUOTE] = STRING_STOP[BACKSLASH] = STRING_STOP[LF] = 1;

/** Bytes outside strings inside a nested element that the array scanner must look at. */
const STRUCTURE_STOP = new Uint8Array(256);
for (const b of [QUOTE, OPEN_BRACE, OPEN_BRACKET, CLOSE_BRACE, CLOSE_BRACKET, LF]) STRUCTURE_STOP[b] = 1;

const BOM_0 = 0xef;
const BOM_1 = 0xbb;
const BOM_2 = 0xbf;

/**
 * Reads JSONL or a JSON array from `source` and yields one item per record (parsed or rejected), in
 * stream order. Non-fatal rejections (invalid UTF-8, malformed JSON, over-long record) never stop the
 * stream; a fatal one (broken JSON array structure) is the last item. Returns a {@link ReaderSummary}.
 */
export async function* readRecords(
  source: AsyncIterable<Uint8Array>,
  options: ReaderOptions,
): AsyncGenerator<ReaderItem, ReaderSummary> {
  const max = options.maxRecordBytes;
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new RangeError(`maxRecordBytes must be a positive integer, got ${String(max)}`);
  }
  const requested = options.container ?? 'auto';
  if (requested !== 'auto' && requested !== 'jsonl' && requested !== 'json-array') {
    throw new RangeError(`unknown container ${JSON.stringify(requested)}`);
  }

  let container: Container = requested === 'auto' ? 'jsonl' : requested;
  let reader: JsonlReader | ArrayReader | undefined;
  let bytes = 0;
  let records = 0;
  let rejected = 0;
  const out: ReaderItem[] = [];

  // Until the BOM is decided: the first bytes of the stream (fewer than 3, all a prefix of the BOM).
  let bomDecided = false;
  let head: Buffer | undefined;
  // Until the container is decided (auto): position after the leading whitespace seen so far.
  let base = 0;
  let line = 1;
  let lineStart = 0;

  const feed = (buf: Buffer): void => {
    if (reader === undefined) {
      if (requested === 'auto') {
        let i = 0;
        while (i < buf.length && IS_WS[buf[i]!] === 1) i++;
        if (i === buf.length) {
          // Whitespace only: nothing to keep, just move the position on.
          for (let nl = buf.indexOf(LF); nl !== -1; nl = buf.indexOf(LF, nl + 1)) {
            line++;
            lineStart = base + nl + 1;
          }
          base += buf.length;
          return;
        }
        container = buf[i] === OPEN_BRACKET ? 'json-array' : 'jsonl';
      }
      reader =
        container === 'jsonl'
          ? new JsonlReader(max, base, line, lineStart)
          : new ArrayReader(max, base, line);
    }
    reader.feed(buf, out);
  };

  const iterator = source[Symbol.asyncIterator]();
  let sourceDone = false;
  try {
    while (!sourceDone) {
      const next = await iterator.next();
      if (next.done === true) {
        sourceDone = true;
        // A stream shorter than 3 bytes that starts like a BOM: those bytes are content.
        if (head !== undefined) feed(head);
        head = undefined;
        reader?.end(out);
      } else {
        let buf = asBuffer(next.value);
        if (buf.length === 0) continue;
        bytes += buf.length;
        if (!bomDecided) {
          if (head !== undefined) buf = Buffer.concat([head, buf]);
          if (buf.length < 3 && isBomPrefix(buf)) {
            head = Buffer.from(buf); // copy: the source may reuse its chunk buffers
            continue;
          }
          head = undefined;
          bomDecided = true;
          if (buf[0] === BOM_0 && buf[1] === BOM_1 && buf[2] === BOM_2) {
            buf = buf.subarray(3);
            base = lineStart = 3;
            if (buf.length === 0) continue;
          }
        }
        feed(buf);
      }
      for (let k = 0; k < out.length; k++) {
        const item = out[k]!;
        if (item.kind === 'record') records++;
        else rejected++;
        yield item;
        if (item.kind === 'rejected' && item.fatal) {
          out.length = 0;
          return { container, records, rejected, bytes: item.offset };
        }
      }
      out.length = 0;
    }
  } finally {
    if (!sourceDone) await iterator.return?.();
  }
  return { container, records, rejected, bytes };
}

function asBuffer(chunk: Uint8Array): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`readRecords expects Uint8Array chunks, got ${typeof chunk}`);
}

function isBomPrefix(buf: Buffer): boolean {
  return buf[0] === BOM_0 && (buf.length < 2 || buf[1] === BOM_1) && (buf.length < 3 || buf[2] === BOM_2);
}

/** Validates and parses one record's bytes, pushing a record or a non-fatal rejection. */
function emitRecord(out: ReaderItem[], bytes: Buffer, line: number, offset: number): void {
  if (!isUtf8(bytes)) {
    out.push({ kind: 'rejected', line, offset, reason: 'invalid UTF-8', fatal: false });
    return;
  }
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    out.push({ kind: 'rejected', line, offset, reason: `malformed JSON: ${message}`, fatal: false });
    return;
  }
  out.push({ kind: 'record', line, offset, value });
}

function describeByte(byte: number): string {
  return byte > 0x20 && byte < 0x7f
    ? `'${String.fromCharCode(byte)}'`
    : `byte 0x${byte.toString(16).padStart(2, '0')}`;
}

/** Growable byte buffer for records that span chunks; reused across records. */
class Accumulator {
  private buf: Buffer = Buffer.alloc(0);
  private len = 0;

  append(src: Buffer, start: number, end: number): void {
    const need = this.len + (end - start);
    if (need > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2, 1024));
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    src.copy(this.buf, this.len, start, end);
    this.len = need;
  }

  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  reset(): void {
    this.len = 0;
  }
}

class JsonlReader {
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

// ArrayReader states.
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

class ArrayReader {
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
