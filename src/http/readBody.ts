import type { IncomingMessage } from 'node:http';
import { DomainError, type ErrorCode } from '../errors.js';

/** An error that maps to one HTTP status with a JSON error body. */
export class HttpError extends DomainError {
  constructor(
    readonly status: number,
    code: ErrorCode,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(code, message, details);
  }
}

/** How long a request body may take (QDC_BODY_IDLE_TIMEOUT_MS, QDC_REQUEST_TIMEOUT_MS). */
export interface BodyTimeouts {
  /** Longest wait for the next chunk. */
  idleMs: number;
  /** Longest time for the whole body, counted from the call; unset: none. */
  totalMs?: number;
}

const TIMED_OUT = Symbol('timed out');

/**
 * The request body's chunks, each waited for at most `idleMs` (and all of them within `totalMs`):
 * a client that stalls gets `REQUEST_TIMEOUT` (408), which unwinds whatever consumes the body (an
 * ingest rolls back). Only time spent waiting for the client counts: while the consumer is busy
 * the clock is stopped, so a slow database never looks like a slow client.
 *
 * Ending early never destroys the request: the error response must still reach the client, and
 * the server closes the connection after it (see server.ts).
 */
export async function* timedBody(req: IncomingMessage, timeouts: BodyTimeouts): AsyncGenerator<Buffer> {
  const iterator = (req as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const deadline = timeouts.totalMs === undefined ? Infinity : performance.now() + timeouts.totalMs;
  for (;;) {
    const left = deadline - performance.now();
    const next = iterator.next();
    const result = await raceTimeout(next, Math.max(0, Math.min(timeouts.idleMs, left)));
    if (result === TIMED_OUT) {
      // The read stays pending until the connection closes; its rejection is nobody's concern.
      next.catch(() => undefined);
      const total = left <= timeouts.idleMs;
      throw new HttpError(
        408,
        'REQUEST_TIMEOUT',
        total
          ? `the request body did not arrive within ${timeouts.totalMs} ms (QDC_REQUEST_TIMEOUT_MS)`
          : `the request body stalled: no bytes for ${timeouts.idleMs} ms (QDC_BODY_IDLE_TIMEOUT_MS); nothing was stored`,
        { timeoutMs: total ? timeouts.totalMs : timeouts.idleMs },
      );
    }
    if (result.done) return;
    yield result.value;
  }
}

/**
 * Waits (at most `idleMs`) until the first bytes of the body have arrived, then returns the whole
 * body as a timed stream. Callers that open a database transaction per request call this first,
 * so a client that sends headers and then nothing holds no transaction.
 */
export async function startedBody(
  req: IncomingMessage,
  timeouts: BodyTimeouts,
): Promise<AsyncIterable<Buffer>> {
  const body = timedBody(req, timeouts);
  const first = await body.next();
  return (async function* () {
    if (first.done) return;
    yield first.value;
    yield* body;
  })();
}

async function raceTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(() => resolve(TIMED_OUT), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads a whole request body as UTF-8 text, refusing bodies over `limit` bytes and invalid UTF-8. */
export async function readTextBody(
  req: IncomingMessage,
  limit: number,
  timeouts: BodyTimeouts,
): Promise<string> {
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
  for await (const chunk of timedBody(req, timeouts)) {
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
