/** Running queued jobs in tests with the real worker, and waiting for them. */
import { createJobHandlers } from '../../src/app.js';
import { testEmbedders } from './testEmbedders.js';
import type { EmbedderRegistry } from '../../src/embeddings/registry.js';
import type { Database } from '../../src/db/connect.js';
import type { JobRow } from '../../src/db/schema.js';
import { FINISHED_STATUSES, getJob } from '../../src/jobs/queue.js';
import { startWorker, type RunningWorker, type WorkerOptions } from '../../src/jobs/worker.js';
import { silentLogger } from '../../src/logger.js';

export function testWorker(
  database: Database,
  options: Partial<WorkerOptions> = {},
  embedders: EmbedderRegistry = testEmbedders(),
): RunningWorker {
  return startWorker(database, {
    handlers: createJobHandlers({ embedders }),
    concurrency: 1,
    leaseMs: 5000,
    pollMs: 25,
    backoffMs: 50,
    logger: silentLogger,
    ...options,
  });
}

/** Polls until the job has finished (SUCCEEDED, FAILED or CANCELLED); fails after `timeoutMs`. */
export async function waitForJob(database: Database, jobId: number, timeoutMs = 60_000): Promise<JobRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await getJob(database.db, jobId);
    if (!job) throw new Error(`job ${jobId} does not exist`);
    if (FINISHED_STATUSES.includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs every queued job of the database to the end with one worker. */
export async function runJob(
  database: Database,
  jobId: number,
  embedders?: EmbedderRegistry,
): Promise<JobRow> {
  const worker = testWorker(database, { onlyJobId: jobId }, embedders);
  try {
    return await waitForJob(database, jobId);
  } finally {
    await worker.stop();
  }
}
