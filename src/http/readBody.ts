import type { IncomingMessage } from 'node:http';
import { DomainError, type ErrorCode } from '../errors.js';

/** An error that maps to one HTTP status with a JSON error body. */
export class HttpError extends DomainError {
  constructor(
    readonly status: number,
    code: ErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

/** Reads a whole request body as UTF-8 text, refusing bodies over `limit` bytes and invalid UTF-8. */
export async function readTextBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    throw new HttpError(
      413,
      'PAYLOAD_TOO_LARGE',
      `request body is ${declared} bytes; the limit is ${limit} (QDC_MAX_BODY_BYTES)`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      throw new HttpError(
        413,
        'PAYLOAD_TOO_LARGE',
        `request body exceeds the limit of ${limit} bytes (QDC_MAX_BODY_BYTES)`,
      );
    }
    chunks.push(chunk);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'request body is not valid UTF-8');
  }
}
