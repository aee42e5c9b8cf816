// Entry point of every worker thread of a ThreadPool (src/threads/pool.ts): runs the TypeScript
// module the pool names through tsx, like ./qdc.mjs does for the command. Hooks registered on the
// main thread (by ./qdc.mjs or `--import tsx`) do not reach worker threads on Node 20, so each
// thread registers its own.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
