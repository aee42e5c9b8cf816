/**
 * Decompresses a row group's GZIP and BROTLI pages on libuv's thread pool before hyparquet reads
 * the group, so that the next group's pages are inflated while the rows of this one are hashed and
 * written. hyparquet decompresses through a synchronous callback, page by page, on the main
 * thread; its callback then finds the page ready here (matched by its compressed bytes) and falls
 * back to decompressing it itself when it is not.
 *
 * Nothing here reports errors: a page that cannot be read ahead is left to hyparquet, whose own
 * error names the row group.
 */
import { promisify } from 'node:util';
import { brotliDecompress, gunzip } from 'node:zlib';
import type { AsyncBuffer, FileMetaData } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { compressors, MAX_PAGE_BYTES } from './parquetCompressors.js';

type RowGroup = FileMetaData['row_groups'][number];

/** The most bytes of inflated pages one row group holds ahead of its reading. */
export const MAX_AHEAD_BYTES = 256 * 1024 * 1024;
type Decompress = (input: Uint8Array, outputLength: number) => Uint8Array;

const inflateAsync = {
  BROTLI: promisify(brotliDecompress),
  GZIP: promisify(gunzip),
} as const;
type Codec = keyof typeof inflateAsync;

interface ReadyPage {
  compressed: Uint8Array;
  page: Uint8Array;
}

/** The inflated pages of one row group, by compressed length. */
export class InflatedPages {
  private readonly byLength = new Map<number, ReadyPage[]>();

  /** Pages inflated and not taken yet. */
  get size(): number {
    let n = 0;
    for (const list of this.byLength.values()) n += list.length;
    return n;
  }

  add(compressed: Uint8Array, page: Uint8Array): void {
    const list = this.byLength.get(compressed.byteLength);
    if (list) list.push({ compressed, page });
    else this.byLength.set(compressed.byteLength, [{ compressed, page }]);
  }

  /** The page inflated from exactly these bytes, once (it is dropped when taken). */
  take(input: Uint8Array): Uint8Array | undefined {
    const list = this.byLength.get(input.byteLength);
    if (!list) return undefined;
    const at = list.findIndex((p) => Buffer.from(p.compressed).equals(input));
    if (at < 0) return undefined;
    const [found] = list.splice(at, 1);
    if (list.length === 0) this.byLength.delete(input.byteLength);
    return found!.page;
  }

  /** hyparquet's decompressors for GZIP and BROTLI: a ready page, else the reader's own. */
  decompressors(): Record<Codec, Decompress> {
    const use =
      (codec: Codec): Decompress =>
      (input, outputLength) =>
        this.take(input) ?? compressors[codec]!(input, outputLength);
    return { BROTLI: use('BROTLI'), GZIP: use('GZIP') };
  }
}

/** Reads the group's GZIP and BROTLI column chunks and inflates their pages on the thread pool. */
export async function inflateRowGroup(file: AsyncBuffer, group: RowGroup): Promise<InflatedPages> {
  const pages = new InflatedPages();
  const work: Promise<void>[] = [];
  // Each inflate holds its whole output buffer from the start: past this many bytes of claimed
  // output, the rest of the group's pages are left to the reader (inflated one at a time).
  let budget = MAX_AHEAD_BYTES;
  for (const chunk of group.columns) {
    const meta = chunk.meta_data;
    if (!meta || !(meta.codec in inflateAsync)) continue;
    const codec = meta.codec as Codec;
    const start = Number(meta.dictionary_page_offset ?? meta.data_page_offset);
    const end = start + Number(meta.total_compressed_size);
    if (!(start >= 4 && end <= file.byteLength && end > start)) continue;
    let bytes: ArrayBuffer;
    try {
      bytes = await file.slice(start, end);
    } catch {
      continue;
    }
    for (const { input, outputLength } of pageInputs(bytes)) {
      // A page over the limit is left to the reader, whose decompressor refuses it by name.
      if (outputLength > MAX_PAGE_BYTES || outputLength > budget) continue;
      budget -= outputLength;
      // One output chunk of the page's size (no concatenation of 16 KiB pieces), and no more.
      const options = { chunkSize: Math.max(outputLength, 64), maxOutputLength: Math.max(outputLength, 1) };
      work.push(
        inflateAsync[codec](input, options).then(
          (page) => pages.add(input, page),
          () => undefined,
        ),
      );
    }
  }
  await Promise.all(work);
  return pages;
}

/** The compressed part of each page of a column chunk, as hyparquet passes it to a decompressor. */
function* pageInputs(bytes: ArrayBuffer): Generator<{ input: Uint8Array; outputLength: number }> {
  const reader = { view: new DataView(bytes), offset: 0 };
  while (reader.offset < bytes.byteLength - 1) {
    let header: ReturnType<typeof parquetHeader>;
    try {
      header = parquetHeader(reader);
    } catch {
      return;
    }
    const size = header.compressed_page_size;
    if (!(size >= 0) || reader.offset + size > bytes.byteLength) return;
    const body = new Uint8Array(bytes, reader.offset, size);
    reader.offset += size;
    const v2 = header.data_page_header_v2;
    if (header.type === 'DATA_PAGE_V2' && v2) {
      const levels = v2.definition_levels_byte_length + v2.repetition_levels_byte_length;
      if (v2.is_compressed !== false && header.uncompressed_page_size - levels > 0 && levels <= size) {
        yield { input: body.subarray(levels), outputLength: header.uncompressed_page_size - levels };
      }
    } else if (header.type === 'DATA_PAGE' || header.type === 'DICTIONARY_PAGE') {
      if (size > 0) yield { input: body, outputLength: header.uncompressed_page_size };
    }
  }
}
