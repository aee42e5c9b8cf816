/**
 * A DataLoader batch scheduler shared by all loaders of one request. It holds new batches while
 * any batch of the request is still running and dispatches everything queued once all are done.
 * Loads therefore go out in level-synchronous waves fixed by the query's shape, not by which
 * database reply happened to arrive first: the number of statements a query costs is the same on
 * every run and for any page size, and each wave is as large as it can be.
 */
export interface BatchScheduler {
  /** DataLoader's `batchScheduleFn`. */
  schedule(dispatch: () => void): void;
  /** Wraps a batch function's work so the scheduler knows when it ends. */
  track<T>(work: Promise<T>): Promise<T>;
}

export function createBatchScheduler(): BatchScheduler {
  let running = 0;
  let queued: (() => void)[] = [];
  let flushPending = false;

  const flush = () => {
    flushPending = false;
    if (running > 0) return;
    const dispatches = queued;
    queued = [];
    for (const dispatch of dispatches) dispatch();
  };
  // setImmediate runs after the microtasks of the replies that just arrived, so every load those
  // resolvers make joins the same wave.
  const flushWhenIdle = () => {
    if (flushPending || running > 0 || queued.length === 0) return;
    flushPending = true;
    setImmediate(flush);
  };

  return {
    schedule(dispatch) {
      queued.push(dispatch);
      flushWhenIdle();
    },
    track(work) {
      running += 1;
      return work.finally(() => {
        running -= 1;
        flushWhenIdle();
      });
    },
  };
}
