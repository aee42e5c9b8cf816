/** The public types of the streaming record readers (see ../readers.ts). */

/** 'parquet' is read from a file (random access), never by readRecords. */
export type Container = 'jsonl' | 'json-array' | 'parquet';

export interface ReaderOptions {
  /** 'auto' (default): the first non-whitespace byte decides: '[' -> json-array, anything else -> jsonl. */
  container?: Container | 'auto';
  /** A record (JSONL line, or one array element) over this many bytes is rejected without being buffered. */
  maxRecordBytes: number;
}

/**
 * One parsed record, or one rejected record. Rejections never stop the stream unless `fatal`. For
 * Parquet, `line` is the 1-based row, `offset` its row group's byte offset and `rowGroup` its row group.
 * `file` names the shard when one input is read from several files (a Hugging Face split).
 */
export type ReaderItem =
  | { kind: 'record'; line: number; offset: number; value: unknown; rowGroup?: number; file?: string }
  | {
      kind: 'rejected';
      line: number;
      offset: number;
      reason: string;
      fatal: boolean;
      rowGroup?: number;
      file?: string;
    };

/** The generator's return value. `container` is 'jsonl' for an empty stream read with 'auto'. */
export interface ReaderSummary {
  container: Container;
  records: number;
  rejected: number;
  /** Bytes consumed (a BOM included); after a fatal rejection, the offset of the fatal item (whatever the chunking). */
  bytes: number;
}
