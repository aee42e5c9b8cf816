/** The public types of the streaming record readers (see ../readers.ts). */

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
