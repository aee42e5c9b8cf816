/**
 * Random access for Parquet input: a local file opened as hyparquet's AsyncBuffer (positioned
 * reads through one file handle), and a byte stream (an HTTP body) spooled to a temporary file
 * first, since a Parquet file is read from its footer. The spool is on disk, never in memory.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { AsyncBuffer } from 'hyparquet';

export interface ParquetFile {
  buffer: AsyncBuffer;
  close(): Promise<void>;
}

/** Opens `path` for positioned reads. */
export async function openParquetFile(path: string): Promise<ParquetFile> {
  const handle: FileHandle = await open(path, 'r');
  const { size } = await handle.stat();
  return {
    buffer: {
      byteLength: size,
      async slice(start: number, end?: number): Promise<ArrayBuffer> {
        const stop = Math.min(end ?? size, size);
        const length = Math.max(0, stop - start);
        const bytes = new Uint8Array(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await handle.read(bytes, done, length - done, start + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return bytes.buffer;
      },
    },
    close: () => handle.close(),
  };
}

/** Writes `source` to a temporary file and opens it; close() also deletes it. */
export async function spoolParquet(source: AsyncIterable<Uint8Array>): Promise<ParquetFile> {
  const dir = await mkdtemp(join(tmpdir(), 'qdc-parquet-'));
  const path = join(dir, 'upload.parquet');
  try {
    await pipeline(source, createWriteStream(path));
    const file = await openParquetFile(path);
    return {
      buffer: file.buffer,
      close: async () => {
        await file.close().catch(() => {});
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** True when the file starts with the Parquet magic bytes "PAR1". */
export async function looksLikeParquet(path: string): Promise<boolean> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return bytesRead === 4 && head.toString('latin1') === 'PAR1';
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}
