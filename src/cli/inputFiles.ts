/** Input files for the CLI: opening (or stdin), gunzipping and counting lines, with readable errors. */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { BadInputError } from '../errors.js';
import { gunzipStream } from '../ingest/gunzip.js';
import { CommandFailure } from './remote.js';

/** Read size for input files: large reads keep the per-chunk overhead negligible. */
const READ_CHUNK_BYTES = 1 << 20;

/** Opens an input file for streaming (or stdin for '-'), failing early with a readable message. */
export async function openInput(
  file: string,
): Promise<{ stream: AsyncIterable<Uint8Array>; size: number | undefined; close(): Promise<void> }> {
  if (file === '-') {
    return { stream: process.stdin, size: undefined, close: async () => {} };
  }
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new CommandFailure(`cannot read ${file}: ${describeFsError(error)}`);
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw new CommandFailure(`cannot read ${file}: not a regular file`);
  }
  const stream = handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES, autoClose: true });
  return {
    stream,
    size: stat.size,
    close: async () => {
      stream.destroy();
    },
  };
}

export function describeFsError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file or directory';
  if (e.code === 'EACCES') return 'permission denied';
  if (e.code === 'EISDIR') return 'is a directory';
  return e.message;
}

/** Gunzips `source`; a corrupt stream is a BadInputError naming the file. */
export function gunzipped(source: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<Uint8Array> {
  return gunzipStream(source, (reason) => new BadInputError(`${file} is not valid gzip: ${reason}`));
}

export function countNewlines(chunk: Uint8Array): number {
  let n = 0;
  for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) n += 1;
  return n;
}
