/**
 * Per-API-key request rate limit (issue 21 item 9): a token bucket per key id, refilled at
 * `requestsPerSecond` up to `burst` tokens; each request takes one. An empty bucket answers 429
 * RATE_LIMITED with Retry-After, the whole seconds until a token is back. Buckets live in this
 * process (a restart forgets them) and are kept only for keys seen in the last minute.
 */
import type { RateLimits } from '../config.js';

export interface RateDecision {
  allowed: boolean;
  /** Whole seconds until the next request would be allowed (>= 1 when refused). */
  retryAfterSeconds: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private lastSweep = 0;

  constructor(
    private readonly limits: Pick<RateLimits, 'requestsPerSecond' | 'burst'>,
    /** Milliseconds; a parameter so tests can step time by hand. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  take(key: string): RateDecision {
    const { requestsPerSecond: rate, burst } = this.limits;
    if (rate <= 0) return { allowed: true, retryAfterSeconds: 0 };
    const now = this.now();
    this.sweep(now);
    const bucket = this.buckets.get(key) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, retryAfterSeconds: 0 };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / rate)) };
  }

  /** Drops buckets idle long enough to be full again (at most once a minute). */
  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    const full = (this.limits.burst / this.limits.requestsPerSecond) * 1000;
    for (const [key, bucket] of this.buckets) if (now - bucket.at > full) this.buckets.delete(key);
  }
}
