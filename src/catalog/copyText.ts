/**
 * Encoding of sample rows in PostgreSQL's COPY text format (tab-separated, `\N` for null,
 * backslash escapes), the fastest way to hand rows to either backend.
 */
import type { HashedSample } from './canonicalSample.js';

export const SAMPLE_COPY_COLUMNS =
  '(version_id, ordinal, prompt, response, reference, messages, metadata, content_hash)';

const NEEDS_ESCAPE = /[\\\n\r\t]/;

export function copyField(value: string | null): string {
  if (value === null) return '\\N';
  if (!NEEDS_ESCAPE.test(value)) return value;
  // Native replaceAll passes, only for the characters present, beat one regex replace with a callback.
  let out = value;
  if (out.includes('\\')) out = out.replaceAll('\\', '\\\\');
  if (out.includes('\n')) out = out.replaceAll('\n', '\\n');
  if (out.includes('\r')) out = out.replaceAll('\r', '\\r');
  if (out.includes('\t')) out = out.replaceAll('\t', '\\t');
  return out;
}

/** JSON text never holds raw newlines, tabs or CRs (JSON escapes them), only backslashes. */
function copyJson(json: string): string {
  if (json === 'null') return '\\N';
  return json.includes('\\') ? json.replaceAll('\\', '\\\\') : json;
}

/** One COPY text line (with its trailing newline) for a sample of a version. */
export function sampleCopyLine(versionId: number, ordinal: number, s: HashedSample): string {
  return `${versionId}\t${ordinal}\t${copyField(s.prompt)}\t${copyField(s.response)}\t${copyField(s.reference)}\t${copyJson(
    s.messagesJson,
  )}\t${copyJson(s.metadataJson)}\t${s.contentHash}\n`;
}

const TAB = 9;
const NEWLINE = 10;

/**
 * Packs sample rows as COPY text straight into Buffers of about `chunkBytes` (UTF-8 encoded once,
 * no intermediate line strings), handing out each chunk when the next row does not fit.
 */
export class CopyChunker {
  private buffer: Buffer;
  private position = 0;
  private readonly prefix: string;

  constructor(
    versionId: number,
    private readonly chunkBytes: number,
  ) {
    this.prefix = `${versionId}\t`;
    this.buffer = Buffer.allocUnsafe(chunkBytes);
  }

  get pendingBytes(): number {
    return this.position;
  }

  /** Appends one row; returns the previous chunk when the row needed a fresh one, else null. */
  add(ordinal: number, s: HashedSample): Buffer | null {
    const prompt = copyField(s.prompt);
    const response = copyField(s.response);
    const reference = copyField(s.reference);
    const messages = copyJson(s.messagesJson);
    const metadata = copyJson(s.metadataJson);
    // UTF-16 code units encode to at most 3 UTF-8 bytes each.
    const bound =
      3 * (prompt.length + response.length + reference.length + messages.length + metadata.length) + 128;
    let full: Buffer | null = null;
    if (this.position + bound > this.buffer.length) {
      full = this.take();
      if (bound > this.buffer.length) this.buffer = Buffer.allocUnsafe(Math.max(this.chunkBytes, bound));
    }
    const b = this.buffer;
    let p = this.position;
    p += b.write(this.prefix, p, 'latin1');
    p += b.write(String(ordinal), p, 'latin1');
    b[p++] = TAB;
    p += b.write(prompt, p);
    b[p++] = TAB;
    p += b.write(response, p);
    b[p++] = TAB;
    p += b.write(reference, p);
    b[p++] = TAB;
    p += b.write(messages, p);
    b[p++] = TAB;
    p += b.write(metadata, p);
    b[p++] = TAB;
    p += b.write(s.contentHash, p, 'latin1');
    b[p++] = NEWLINE;
    this.position = p;
    return full;
  }

  /** The rows packed so far (null when none); later rows go to a fresh buffer. */
  take(): Buffer | null {
    if (this.position === 0) return null;
    const chunk = this.buffer.subarray(0, this.position);
    this.buffer = Buffer.allocUnsafe(this.chunkBytes);
    this.position = 0;
    return chunk;
  }
}
