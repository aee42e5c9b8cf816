/**
 * A small pool of worker threads (node:worker_threads) that run one module, and a watchdog that
 * terminates a thread whose current item has run longer than a time budget. CPU-heavy pure work
 * (metric accumulators) runs here so that it never blocks the main thread's event loop, which
 * keeps serving the API and talking to the database.
 *
 * Protocol: the main thread sends one request at a time and the thread answers it (`serveThread`
 * in ./host.ts). While it works, the thread marks each item it starts in a shared Int32Array
 * (`markItem`); the main thread polls that array, and when one item has been running longer than
 * the budget it terminates the thread and rejects the request with `BudgetExceededError`, which
 * says which item it was. A terminated thread's state is gone: the caller rebuilds it on a fresh
 * thread (`ThreadPool.acquire`).
 */
import { Worker } from 'node:worker_threads';

/** Slots of the shared progress array: a sequence number, whether an item runs, then the caller's ints. */
export const PROGRESS_SEQ = 0;
export const PROGRESS_ACTIVE = 1;
export const PROGRESS_FIRST_FIELD = 2;
export const PROGRESS_FIELDS = 6;

export interface ThreadPoolOptions {
  /** URL of the module each thread imports (it calls `serveThread`). */
  module: URL;
  /** Passed to the module as `workerData.data`. */
  data?: unknown;
  /** Idle threads kept for the next job (default 2). */
  maxIdle?: number;
}

/** The item the thread was on when the budget ran out: the ints it passed to `markItem`. */
export class BudgetExceededError extends Error {
  constructor(
    readonly budgetMs: number,
    readonly fields: readonly number[],
  ) {
    super(`exceeded the time budget of ${budgetMs} ms`);
    this.name = 'BudgetExceededError';
  }
}

/** The caller's signal was aborted while the thread had a request: the thread was terminated. */
export class ThreadAbortedError extends Error {
  constructor() {
    super('the thread was stopped: its caller was aborted');
    this.name = 'ThreadAbortedError';
  }
}

/** The thread stopped (crashed, or ran out of memory) while it had a request. */
export class ThreadExitedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ThreadExitedError';
  }
}

type Reply = { ok: true; value: unknown } | { ok: false; message: string };

export class PooledThread {
  readonly progress: Int32Array;
  private pending: { resolve(reply: Reply): void; reject(error: Error): void } | null = null;
  private exited = false;

  constructor(
    private readonly worker: Worker,
    progress: Int32Array,
  ) {
    this.progress = progress;
    worker.on('message', (reply: Reply) => {
      const pending = this.pending;
      this.pending = null;
      pending?.resolve(reply);
    });
    worker.on('error', (error) => this.fail(new ThreadExitedError(`the thread failed: ${error.message}`)));
    worker.on('exit', (code) => {
      this.exited = true;
      this.fail(new ThreadExitedError(`the thread exited with code ${code}`));
    });
  }

  get alive(): boolean {
    return !this.exited;
  }

  private fail(error: Error): void {
    const pending = this.pending;
    this.pending = null;
    pending?.reject(error);
  }

  /**
   * Sends one request and waits for its answer. With `budgetMs`, an item marked by the thread that
   * runs longer than that terminates the thread and rejects with BudgetExceededError. When
   * `signal` is aborted before the answer, the thread is terminated at once (whatever it is doing)
   * and the request rejects with ThreadAbortedError.
   */
  async request<T>(message: unknown, budgetMs?: number, signal?: AbortSignal): Promise<T> {
    if (this.pending) throw new Error('a thread serves one request at a time');
    if (this.exited) throw new ThreadExitedError('the thread has exited');
    if (signal?.aborted) throw new ThreadAbortedError();
    const answer = new Promise<Reply>((resolve, reject) => {
      this.pending = { resolve, reject };
    });
    this.worker.ref();
    let watchdog: NodeJS.Timeout | undefined;
    let exceeded: BudgetExceededError | ThreadAbortedError | null = null;
    const onAbort = () => {
      exceeded ??= new ThreadAbortedError();
      void this.worker.terminate();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (budgetMs !== undefined) {
      const progress = this.progress;
      let seq = Atomics.load(progress, PROGRESS_SEQ);
      let since = performance.now();
      watchdog = setInterval(
        () => {
          const now = performance.now();
          const current = Atomics.load(progress, PROGRESS_SEQ);
          if (current !== seq) {
            seq = current;
            since = now;
            return;
          }
          if (Atomics.load(progress, PROGRESS_ACTIVE) === 1 && now - since > budgetMs && !exceeded) {
            exceeded = new BudgetExceededError(
              budgetMs,
              Array.from(progress.subarray(PROGRESS_FIRST_FIELD, PROGRESS_FIELDS)),
            );
            void this.worker.terminate();
          }
        },
        Math.max(5, Math.min(100, Math.floor(budgetMs / 10))),
      );
    }
    try {
      this.worker.postMessage(message);
      const reply = await answer.catch((error: Error) => {
        throw exceeded ?? error;
      });
      // The watchdog or the signal terminated the thread just as its reply came in: the thread is
      // gone, so the request failed all the same.
      if (exceeded) throw exceeded;
      if (!reply.ok) throw new Error(reply.message);
      return reply.value as T;
    } finally {
      clearInterval(watchdog);
      signal?.removeEventListener('abort', onAbort);
      this.worker.unref();
    }
  }

  async terminate(): Promise<void> {
    if (!this.exited) await this.worker.terminate();
  }
}

export class ThreadPool {
  private readonly idle: PooledThread[] = [];

  constructor(private readonly options: ThreadPoolOptions) {}

  /** An idle thread, or a new one. The caller owns it until `release` (or terminates it). */
  acquire(): PooledThread {
    for (let thread = this.idle.pop(); thread; thread = this.idle.pop()) if (thread.alive) return thread;
    const progress = new Int32Array(new SharedArrayBuffer(PROGRESS_FIELDS * 4));
    const worker = new Worker(new URL('../../bin/thread.mjs', import.meta.url), {
      workerData: { module: this.options.module.href, data: this.options.data, progress },
    });
    // An idle thread never keeps the process alive; `request` refs it while it works.
    worker.unref();
    return new PooledThread(worker, progress);
  }

  /** Hands a thread back for reuse (a dead one, or one over the idle limit, is dropped). */
  release(thread: PooledThread): void {
    if (!thread.alive) return;
    if (this.idle.length < (this.options.maxIdle ?? 2)) this.idle.push(thread);
    else void thread.terminate();
  }

  /** Terminates the idle threads. */
  async close(): Promise<void> {
    await Promise.all(this.idle.splice(0).map((thread) => thread.terminate()));
  }
}
