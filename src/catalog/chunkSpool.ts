/**
 * Buffers that are written once, in order, and read back once: kept in memory up to a limit, and
 * in a temporary file (under the OS temp directory, TMPDIR) beyond it. The PGlite version writer
 * prepares a version's COPY text here while its input arrives, so the embedded database's only
 * connection is held for the copy alone, never while a client or a generator is slow.
 */
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class ChunkSpool {
  private readonly memory: Buffer[] = [];
  private memoryBytes = 0;
  private file: { dir: string; handle: FileHandle } | null = null;
  /** Length of each chunk written to the file, in order. */
  private readonly fileChunks: number[] = [];
  private fileBytes = 0;

  constructor(private readonly memoryLimit: number) {}

  /** Bytes held so far, in memory and on disk. */
  get bytes(): number {
    return this.memoryBytes + this.fileBytes;
  }

  async add(chunk: Buffer): Promise<void> {
    if (!this.file && this.memoryBytes + chunk.length <= this.memoryLimit) {
      this.memory.push(chunk);
      this.memoryBytes += chunk.length;
      return;
    }
    if (!this.file) {
      const dir = await mkdtemp(join(tmpdir(), 'qdc-spool-'));
      this.file = { dir, handle: await open(join(dir, 'chunks'), 'w+') };
    }
    await this.file.handle.write(chunk, 0, chunk.length, this.fileBytes);
    this.fileChunks.push(chunk.length);
    this.fileBytes += chunk.length;
  }

  /** The chunks in the order they were added (memory first, then the file's, read one at a time). */
  async *chunks(): AsyncGenerator<Buffer> {
    yield* this.memory;
    if (!this.file) return;
    let position = 0;
    for (const length of this.fileChunks) {
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await this.file.handle.read(buffer, 0, length, position);
      if (bytesRead !== length) throw new Error(`spool file ended early at byte ${position + bytesRead}`);
      position += length;
      yield buffer;
    }
  }

  /** Deletes the file, if any. Safe to call more than once. */
  async dispose(): Promise<void> {
    this.memory.length = 0;
    const file = this.file;
    this.file = null;
    if (!file) return;
    await file.handle.close().catch(() => undefined);
    await rm(file.dir, { recursive: true, force: true });
  }
}
