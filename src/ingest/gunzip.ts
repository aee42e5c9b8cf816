/** Streaming gunzip of a byte source; a corrupt or truncated stream becomes the caller's own error. */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

export async function* gunzipStream(
  source: AsyncIterable<Uint8Array>,
  corrupt: (reason: string) => Error,
): AsyncGenerator<Uint8Array> {
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  // Errors on either side reach the consumer through `gunzip`.
  pipeline(Readable.from(source, { objectMode: false }), gunzip).catch(() => {});
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('Z_')) throw corrupt((error as Error).message);
    throw error;
  } finally {
    gunzip.destroy();
  }
}
