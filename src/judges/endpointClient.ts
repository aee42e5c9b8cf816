/**
 * HTTP to a judge or reward endpoint: at most `concurrency` requests in flight, starts spaced to
 * stay under `requestsPerMinute`, and retries with exponential backoff on 429, 5xx, timeouts,
 * connection errors and malformed bodies, waiting as long as a Retry-After header asks. The API key
 * travels only in the Authorization header; error messages never contain it.
 */

export interface EndpointLimits {
  concurrency: number;
  /** 0 = no limit. */
  requestsPerMinute: number;
  maxRetries: number;
  retryBaseMs: number;
  timeoutMs: number;
}

/** A request that failed for good: after its retries, or at once when retrying cannot help (4xx). */
export class EndpointError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'EndpointError';
  }
}

/** Longest wait a Retry-After header may ask for before it counts as a failure. */
export const MAX_RETRY_AFTER_MS = 120_000;
const MAX_BACKOFF_MS = 60_000;
const BODY_SNIPPET = 300;

/** Milliseconds a Retry-After value asks to wait (delta-seconds or an HTTP date), or null. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (header === null || header.trim() === '') return null;
  const seconds = Number(header.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - now) : null;
}

export class EndpointClient {
  /** Requests sent (each retry counts), and of those the retries. */
  calls = 0;
  retries = 0;
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private nextStart = 0;

  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string | undefined,
    readonly limits: EndpointLimits,
    private readonly signal?: AbortSignal,
  ) {}

  /** POSTs JSON and returns the parsed answer after `accept` checked it (throwing = malformed, retried). */
  async postJson<T>(path: string, body: unknown, accept: (json: unknown) => T): Promise<T> {
    await this.acquire();
    try {
      this.throwIfStopped();
      return await this.withRetries(() => this.once('POST', path, JSON.stringify(body)), accept);
    } finally {
      this.release();
    }
  }

  /** One GET without retries (the enqueue-time probe): status and parsed body (null when not JSON). */
  async probe(path: string): Promise<{ status: number; json: unknown }> {
    const response = await this.once('GET', path, undefined);
    const text = await response.text();
    try {
      return { status: response.status, json: JSON.parse(text) as unknown };
    } catch {
      return { status: response.status, json: null };
    }
  }

  /**
   * After a stop (cancel, shutdown) no new request starts; requests already in flight are let
   * finish, so their answers (already paid for) reach the cache.
   */
  private throwIfStopped(): void {
    if (this.signal?.aborted) throw new EndpointError('stopped', null, false);
  }

  private async acquire(): Promise<void> {
    if (this.active >= this.limits.concurrency)
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active -= 1;
  }

  /** Waits for the next start slot the requests-per-minute limit allows. */
  private async paced(): Promise<void> {
    const rpm = this.limits.requestsPerMinute;
    if (rpm <= 0) return;
    const now = Date.now();
    const start = Math.max(now, this.nextStart);
    this.nextStart = start + 60_000 / rpm;
    if (start > now) await sleep(start - now, this.signal);
  }

  private url(path: string): string {
    return `${this.baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  }

  private once(method: 'GET' | 'POST', path: string, body: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    const timeout = AbortSignal.timeout(this.limits.timeoutMs);
    this.calls += 1;
    return fetch(this.url(path), {
      method,
      headers,
      body,
      signal: timeout,
    });
  }

  private async withRetries<T>(send: () => Promise<Response>, accept: (json: unknown) => T): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      await this.paced();
      this.throwIfStopped();
      let failure: EndpointError;
      let wait: number | null = null;
      try {
        const response = await send();
        const text = await response.text();
        if (response.ok) {
          try {
            return accept(JSON.parse(text) as unknown);
          } catch (error) {
            failure = new EndpointError(
              `malformed answer from ${this.baseUrl}: ${this.redact((error as Error).message)} (body: ${this.snippet(text)})`,
              response.status,
              true,
            );
          }
        } else {
          const retryable = response.status === 429 || response.status === 408 || response.status >= 500;
          failure = new EndpointError(
            `${this.baseUrl} answered HTTP ${response.status}: ${this.snippet(text)}`,
            response.status,
            retryable,
          );
          wait = retryAfterMs(response.headers.get('retry-after'));
        }
      } catch (error) {
        const cause = error as Error & { cause?: { code?: string; message?: string } };
        const reason =
          cause.name === 'TimeoutError'
            ? `no answer within ${this.limits.timeoutMs} ms`
            : (cause.cause?.code ?? cause.cause?.message ?? cause.message);
        failure = new EndpointError(`request to ${this.baseUrl} failed: ${this.redact(reason)}`, null, true);
      }
      if (!failure.retryable) throw failure;
      if (attempt >= this.limits.maxRetries) {
        throw new EndpointError(
          `${failure.message} (gave up after ${attempt + 1} attempt${attempt === 0 ? '' : 's'})`,
          failure.status,
          false,
        );
      }
      if (wait !== null && wait > MAX_RETRY_AFTER_MS) {
        throw new EndpointError(
          `${failure.message} (Retry-After asks for ${Math.round(wait / 1000)} s, more than ${MAX_RETRY_AFTER_MS / 1000} s)`,
          failure.status,
          false,
        );
      }
      this.retries += 1;
      await sleep(wait ?? Math.min(MAX_BACKOFF_MS, this.limits.retryBaseMs * 2 ** attempt), this.signal);
      this.throwIfStopped();
    }
  }

  private snippet(text: string): string {
    const short = text.length > BODY_SNIPPET ? `${text.slice(0, BODY_SNIPPET)}…` : text;
    return this.redact(short.replace(/\s+/g, ' ').trim() || '(empty)');
  }

  /** Never let the key into a message, even if an endpoint echoes it. */
  private redact(text: string): string {
    return this.apiKey ? text.split(this.apiKey).join('[redacted]') : text;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
