import { isUtf8 } from 'node:buffer';
import type { ReaderItem } from './types.js';

/** Validates and parses one record's bytes, pushing a record or a non-fatal rejection. */
export function emitRecord(out: ReaderItem[], bytes: Buffer, line: number, offset: number): void {
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
