/**
 * Streaming record readers for bulk ingest: turn a byte stream (a file or an HTTP body, possibly many
 * gigabytes) into parsed JSON records with their line number and byte offset.
 *
 * Memory is bounded by O(maxRecordBytes + chunk size): a record that lies inside one chunk is parsed
 * straight from a view of that chunk (no copy); only a record that spans chunks is copied, once, into
 * a reusable accumulator, and a record over the limit stops being copied as soon as it goes over.
 *
 * This module picks the container and handles the BOM; the parsers are readers/jsonlReader.ts
 * (lines found with `Buffer.indexOf('\n')`, memchr) and readers/jsonArrayReader.ts (a byte scanner
 * that tracks strings and {}/[] nesting); both validate and parse a record with readers/emitRecord.ts.
 *
 * Positions are absolute in the stream: a leading UTF-8 BOM is skipped but still counts in offsets.
 */
import { OPEN_BRACKET, IS_WS, LF } from './readers/bytes.js';
import { JsonArrayReader } from './readers/jsonArrayReader.js';
import { JsonlReader } from './readers/jsonlReader.js';
import type { Container, ReaderItem, ReaderOptions, ReaderSummary } from './readers/types.js';

export type { Container, ReaderItem, ReaderOptions, ReaderSummary } from './readers/types.js';

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
  let reader: JsonlReader | JsonArrayReader | undefined;
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
          : new JsonArrayReader(max, base, line);
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
