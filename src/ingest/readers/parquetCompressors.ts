/**
 * The page decompressors of the Parquet reader: hyparquet-compressors' (Snappy, ZSTD, LZ4, ...)
 * and node:zlib's native ones for GZIP and BROTLI (the export's codec, several times faster than
 * JavaScript), each refusing a page whose claimed size is over MAX_PAGE_BYTES.
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { compressors as jsCompressors } from 'hyparquet-compressors';

/**
 * The most one page may inflate to. A page's size comes from the file itself, so without a cap a
 * few bytes claiming gigabytes would be allocated (or inflated) whole; real writers use pages of
 * 1-8 MB.
 */
export const MAX_PAGE_BYTES = 512 * 1024 * 1024;

export type Decompressor = (input: Uint8Array, outputLength: number) => Uint8Array;

/** Refuses a page whose claimed size is over MAX_PAGE_BYTES before anything is allocated. */
export function checkedPageSize(outputLength: number): number {
  if (!(outputLength >= 0 && outputLength <= MAX_PAGE_BYTES)) {
    throw new Error(
      `a page claims ${outputLength} bytes uncompressed, over the limit of ${MAX_PAGE_BYTES} bytes for one page`,
    );
  }
  return outputLength;
}

function capped(decompress: Decompressor): Decompressor {
  return (input, outputLength) => decompress(input, checkedPageSize(outputLength));
}

/** By codec; zlib stops at the page's claimed size, so a page cannot inflate past its header. */
export const compressors: Record<string, Decompressor> = {
  ...Object.fromEntries(
    Object.entries(jsCompressors).map(([codec, d]) => [codec, capped(d as Decompressor)]),
  ),
  GZIP: capped((input, outputLength) => gunzipSync(input, { maxOutputLength: Math.max(outputLength, 1) })),
  BROTLI: capped((input, outputLength) =>
    brotliDecompressSync(input, { maxOutputLength: Math.max(outputLength, 1) }),
  ),
};
