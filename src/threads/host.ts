/** The thread side of a ThreadPool (./pool.ts): answering requests and marking items. */
import { parentPort, workerData } from 'node:worker_threads';
import { PROGRESS_ACTIVE, PROGRESS_FIELDS, PROGRESS_FIRST_FIELD, PROGRESS_SEQ } from './pool.js';

const progress: Int32Array | undefined = (workerData as { progress?: Int32Array } | null)?.progress;

/** What the main thread passed as `ThreadPoolOptions.data`. */
export function threadData<T>(): T {
  return (workerData as { data: T }).data;
}

/** Marks the start of one item that the budget applies to; `fields` say which item it is. */
export function markItem(...fields: number[]): void {
  if (!progress) return;
  for (let i = 0; i < fields.length && PROGRESS_FIRST_FIELD + i < PROGRESS_FIELDS; i++)
    progress[PROGRESS_FIRST_FIELD + i] = fields[i]!;
  progress[PROGRESS_ACTIVE] = 1;
  Atomics.add(progress, PROGRESS_SEQ, 1);
}

/** Marks that no item runs (time between items does not count against the budget). */
export function markIdle(): void {
  if (!progress) return;
  progress[PROGRESS_ACTIVE] = 0;
  Atomics.add(progress, PROGRESS_SEQ, 1);
}

/** Answers each request with `handle`'s value, or with the message of what it threw. */
export function serveThread(handle: (message: unknown) => unknown): void {
  if (!parentPort) throw new Error('serveThread runs in a worker thread');
  const port = parentPort;
  port.on('message', async (message: unknown) => {
    try {
      port.postMessage({ ok: true, value: await handle(message) });
    } catch (error) {
      markIdle();
      port.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) });
    }
  });
}
