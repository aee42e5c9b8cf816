/**
 * A worker: polls the queue, runs up to `concurrency` jobs at once with the handler registered for
 * their kind, renews their leases on a timer, and passes cancel requests and shutdown to the
 * handler through an AbortSignal. Runs inside `qdc serve` and as `qdc worker`.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Database } from '../db/connect.js';
import type { JobRow } from '../db/schema.js';
import { isDomainError } from '../errors.js';
import type { Logger } from '../logger.js';
import { claimJob, failAttempt, finishJob, heartbeat, releaseJob } from './queue.js';

/** Why a handler was asked to stop early. */
export type StopReason = 'cancelled' | 'shutdown' | 'lease-lost';

export interface JobContext {
  database: Database;
  job: JobRow;
  /** The lease owner this attempt runs as: writes fenced with `withLease` need it. */
  owner: string;
  /** Aborted when the job should stop; `stopReason` then says why. */
  signal: AbortSignal;
  stopReason(): StopReason | null;
  /** Records progress; it reaches the database with the next heartbeat (at most one per `heartbeatMs`). */
  reportProgress(done: number, total?: number): void;
  /** Every line it writes carries the job's id and kind (`job`, `kind`). */
  logger: Logger;
}

/**
 * Returns the job's result. A handler that notices `signal.aborted` records what it has and
 * returns (its result is stored when the stop was a cancel); throwing fails the attempt.
 */
export type JobHandler = (context: JobContext) => Promise<Record<string, unknown>>;

export interface WorkerOptions {
  handlers: Record<string, JobHandler>;
  concurrency: number;
  /** How long a claim holds without renewal (default 30 s). */
  leaseMs?: number;
  /** Pause between polls when the queue is empty (default 1 s). */
  pollMs?: number;
  /** Base of the exponential backoff after a failed attempt (default 5 s). */
  backoffMs?: number;
  logger: Logger;
  /** Identity written to `lease_owner` (default host:pid:random). */
  owner?: string;
  /** Claim only this job (the CLI running its own job in-process). */
  onlyJobId?: number;
  /**
   * Sees every progress report as the handler makes it, before any heartbeat stores it (the CLI
   * draws its bar from this: the stored progress moves only with each heartbeat, `heartbeatMs`).
   */
  onProgress?: (jobId: number, done: number, total: number | null) => void;
}

export interface RunningWorker {
  owner: string;
  /** Stops claiming; running jobs are stopped, recorded as PARTIAL and handed back to the queue. */
  stop(): Promise<void>;
  /** Resolves when the queue had nothing to claim for this worker (for tests and `--drain`). */
  idle(): Promise<void>;
}

export function startWorker(database: Database, options: WorkerOptions): RunningWorker {
  const owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const leaseMs = options.leaseMs ?? 30_000;
  const pollMs = options.pollMs ?? 1000;
  const backoffMs = options.backoffMs ?? 5000;
  const heartbeatMs = Math.max(50, Math.min(1000, Math.floor(leaseMs / 3)));
  const kinds = Object.keys(options.handlers);
  const { logger } = options;
  const running = new Map<number, { abort(reason: StopReason): void; done: Promise<void> }>();
  let stopping = false;
  let wake: (() => void) | null = null;
  let idleWaiters: Array<() => void> = [];

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = null;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = null;
        resolve();
      };
    });

  async function runJob(job: JobRow): Promise<void> {
    const log = logger.child({ job: job.id, kind: job.kind });
    const controller = new AbortController();
    let reason: StopReason | null = null;
    const abort = (why: StopReason) => {
      if (reason) return;
      reason = why;
      controller.abort(why);
    };
    let progress = { done: job.progressDone, total: job.progressTotal };
    let beating = false;
    const beat = async () => {
      if (beating) return;
      beating = true;
      try {
        const state = await heartbeat(database.db, job.id, owner, leaseMs, progress);
        if (!state.stillOwned) abort('lease-lost');
        else if (state.cancelRequested) abort('cancelled');
      } catch (error) {
        log.warn('job heartbeat failed', { error: (error as Error).message });
      } finally {
        beating = false;
      }
    };
    const timer = setInterval(() => void beat(), heartbeatMs);
    const handler = options.handlers[job.kind]!;
    const entry = { abort, done: Promise.resolve() };
    running.set(job.id, entry);
    log.info('job started', { attempt: job.attempts });
    try {
      const result = await handler({
        database,
        job,
        owner,
        signal: controller.signal,
        stopReason: () => reason,
        reportProgress(done, total) {
          progress = { done, total: total ?? progress.total };
          options.onProgress?.(job.id, progress.done, progress.total ?? null);
        },
        logger: log,
      });
      clearInterval(timer);
      const finalReason = reason as StopReason | null;
      if (finalReason === 'lease-lost') {
        log.warn('job lease lost; another worker owns it now');
      } else if (finalReason === 'shutdown') {
        await releaseJob(database.db, job.id, owner, progress.done);
        log.info('job handed back to the queue', { done: progress.done });
      } else {
        const status = finalReason === 'cancelled' ? 'CANCELLED' : 'SUCCEEDED';
        const stored = await finishJob(database.db, job.id, owner, {
          status,
          result,
          progressDone: progress.done,
        });
        log.info(stored ? `job ${status.toLowerCase()}` : 'job finished after its lease was lost');
      }
    } catch (error) {
      clearInterval(timer);
      // A domain error (unknown version, bad payload) fails the same way every time: no retry.
      const domain = isDomainError(error);
      const message = domain ? error.message : `internal error: ${(error as Error).message}`;
      const outcome = await failAttempt(database.db, job.id, owner, message, {
        baseBackoffMs: backoffMs,
        retryable: !domain,
      }).catch(() => 'lost' as const);
      log.error(`job attempt failed (${outcome})`, { error: (error as Error).stack ?? String(error) });
    } finally {
      running.delete(job.id);
      wake?.();
    }
  }

  const loop = (async () => {
    while (!stopping) {
      if (running.size >= options.concurrency) {
        await sleep(pollMs);
        continue;
      }
      let job: JobRow | null = null;
      try {
        job = await claimJob(database.db, owner, leaseMs, kinds, options.onlyJobId ?? null);
      } catch (error) {
        logger.error('claiming a job failed', { error: (error as Error).message });
      }
      if (stopping && job) {
        await releaseJob(database.db, job.id, owner, job.progressDone);
        break;
      }
      if (job) {
        const done = runJob(job); // registers itself in `running` before its first await
        const entry = running.get(job.id);
        if (entry) entry.done = done;
        continue;
      }
      if (running.size === 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
      await sleep(pollMs);
    }
  })();

  return {
    owner,
    async stop() {
      stopping = true;
      wake?.();
      for (const job of running.values()) job.abort('shutdown');
      await loop;
      await Promise.all([...running.values()].map((job) => job.done));
    },
    idle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        wake?.();
      });
    },
  };
}
