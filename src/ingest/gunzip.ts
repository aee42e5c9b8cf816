/**
 * Streaming gunzip of a byte source; a corrupt or truncated stream becomes the caller's own error,
 * and so does a bomb: more decompressed bytes than `maxBytes`, or (once `ratioAfterBytes` have
 * come out) more than `maxRatio` decompressed bytes per compressed byte read.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

export interface GunzipLimits {
  /** Most decompressed bytes. */
  maxBytes: number;
  /** Most decompressed bytes per compressed byte. */
  maxRatio: number;
  /** The ratio is only judged past this many decompressed bytes (small inputs may compress very well). */
  ratioAfterBytes: number;
}

/** Why a stream was cut: its facts go into the caller's error. */
export interface GunzipOverLimit {
  reason: string;
  limit: number;
  decompressedBytes: number;
  compressedBytes: number;
}

export async function* gunzipStream(
  source: AsyncIterable<Uint8Array>,
  corrupt: (reason: string) => Error,
  limits?: { caps: GunzipLimits; tooLarge: (over: GunzipOverLimit) => Error },
): AsyncGenerator<Uint8Array> {
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  let compressed = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      compressed += chunk.length;
      yield chunk;
    }
  }
  // Errors on either side reach the consumer through `gunzip`.
  pipeline(Readable.from(counted(), { objectMode: false }), gunzip).catch(() => {});
  let decompressed = 0;
  try {
    for await (const chunk of gunzip) {
      decompressed += (chunk as Buffer).length;
      if (limits) {
        const { caps, tooLarge } = limits;
        const facts = { decompressedBytes: decompressed, compressedBytes: compressed };
        if (decompressed > caps.maxBytes) {
          throw tooLarge({
            reason: `the gzip body decompresses to more than ${caps.maxBytes} bytes`,
            limit: caps.maxBytes,
            ...facts,
          });
        }
        if (decompressed > caps.ratioAfterBytes && decompressed > caps.maxRatio * compressed) {
          throw tooLarge({
            reason: `the gzip body decompresses to more than ${caps.maxRatio} times its size (${decompressed} bytes from ${compressed})`,
            limit: caps.maxRatio,
            ...facts,
          });
        }
      }
      yield chunk as Buffer;
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('Z_')) throw corrupt((error as Error).message);
    throw error;
  } finally {
    gunzip.destroy();
  }
}
