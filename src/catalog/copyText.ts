/**
 * Encoding of sample rows in PostgreSQL's COPY text format (tab-separated, `\N` for null,
 * backslash escapes), the fastest way to hand rows to either backend.
 */
import type { HashedSample } from './canonicalSample.js';

export const SAMPLE_COPY_COLUMNS =
  '(version_id, ordinal, prompt, response, reference, messages, metadata, content_hash)';

const NEEDS_ESCAPE = /[\\\n\r\t]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const ESCAPE_ALL = /[\\\n\r\t]/g;

export function copyField(value: string | null): string {
  if (value === null) return '\\N';
  return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPE_ALL, (c) => ESCAPES[c]!) : value;
}

function copyJson(value: unknown): string {
  return value === null || value === undefined ? '\\N' : copyField(JSON.stringify(value));
}

/** One COPY text line (with its trailing newline) for a sample of a version. */
export function sampleCopyLine(versionId: number, ordinal: number, s: HashedSample): string {
  return `${versionId}\t${ordinal}\t${copyField(s.prompt)}\t${copyField(s.response)}\t${copyField(s.reference)}\t${copyJson(
    s.messages,
  )}\t${copyJson(s.metadata)}\t${s.contentHash}\n`;
}
