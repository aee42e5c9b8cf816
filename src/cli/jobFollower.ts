/**
 * Following a queued job from the CLI: run it in this process with its own worker (direct
 * database) or poll a server for it, drawing progress until it ends. Shared by `qdc compute` and
 * `qdc tint generate`.
 */
import type { Database } from '../db/connect.js';
import type { JobRow } from '../db/schema.js';
import { FINISHED_STATUSES, getJob, type JobStatus } from '../jobs/queue.js';
import { startWorker } from '../jobs/worker.js';
import { silentLogger } from '../logger.js';
import { createJobHandlers } from '../app.js';
import type { MetricThreads } from '../metricRuns/metricThreads.js';
import type { EmbedderRegistry } from '../embeddings/registry.js';
import type { Progress } from './progress.js';
import { CommandFailure, remoteGraphQL, type Remote } from './remote.js';

const POLL_MS = 250;

export interface JobView {
  id: string;
  status: string;
  done: number;
  total: number | null;
  error: string | null;
  result: unknown;
}

export function jobView(row: JobRow): JobView {
  return {
    id: String(row.id),
    status: row.status,
    done: row.progressDone,
    total: row.progressTotal,
    error: row.error,
    result: row.result,
  };
}

/** Polls the job until it ends, drawing its progress (unless the caller draws it); throws when it failed. */
export async function follow(
  poll: () => Promise<JobView>,
  progress: Progress | null,
  cancelledNote: string,
  drawFromPoll: () => boolean = () => true,
): Promise<JobView> {
  for (;;) {
    const job = await poll();
    if (drawFromPoll()) progress?.update(job.done, 0);
    if (FINISHED_STATUSES.includes(job.status as JobStatus)) {
      if (job.status === 'FAILED') {
        progress?.fail(job.error ?? 'failed');
        throw new CommandFailure(`job ${job.id} failed: ${job.error ?? 'no reason given'}`);
      }
      progress?.finish(job.status === 'CANCELLED' ? cancelledNote : undefined);
      return job;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export interface OwnJobOptions {
  leaseMs: number;
  progress: Progress | null;
  cancelledNote: string;
  /** What Ctrl-C leaves behind, e.g. "went back to the queue with PARTIAL results". */
  interruptedNote: string;
  /** The embedders the job may need (embedding and overlap jobs, embedding metrics). */
  embedders: EmbedderRegistry;
  /** The threads text metrics run in (metric jobs); default: on, with the default budget. */
  metricThreads?: MetricThreads;
}

/**
 * Runs a queued job in this process with a worker of its own (another worker may take it first;
 * then this one just follows). Ctrl-C stops the worker, which hands the job back to the queue.
 */
export async function runOwnJob(database: Database, job: JobRow, options: OwnJobOptions): Promise<JobView> {
  let drawnLocally = false;
  const worker = startWorker(database, {
    handlers: createJobHandlers({ embedders: options.embedders, metricThreads: options.metricThreads }),
    concurrency: 1,
    onlyJobId: job.id,
    leaseMs: options.leaseMs,
    pollMs: 100,
    logger: silentLogger,
    onProgress: (_jobId, done) => {
      drawnLocally = true;
      options.progress?.update(done, 0);
    },
  });
  let interrupted = false;
  const stop = () => {
    interrupted = true;
    void worker.stop();
  };
  process.once('SIGINT', stop);
  try {
    return await follow(
      async () => {
        const view = jobView((await getJob(database.db, job.id))!);
        if (interrupted && view.status === 'QUEUED') {
          options.progress?.fail('interrupted');
          throw new CommandFailure(
            `interrupted: job ${job.id} ${options.interruptedNote}; "qdc worker" or "qdc serve" will finish it`,
          );
        }
        return view;
      },
      options.progress,
      options.cancelledNote,
      () => !drawnLocally, // while this process runs the job, its progress comes straight from the worker
    );
  } finally {
    process.removeListener('SIGINT', stop);
    await worker.stop();
  }
}

/** Polls a server's `Query.job` until the job ends. */
export async function followRemoteJob(
  remote: Remote,
  jobId: string,
  progress: Progress | null,
  cancelledNote: string,
): Promise<JobView> {
  return follow(
    async () => {
      const data = await remoteGraphQL<{
        job: {
          id: string;
          status: string;
          error: string | null;
          result: unknown;
          progress: { done: number; total: number | null };
        };
      }>(remote, 'query ($id: ID!) { job(id: $id) { id status error result progress { done total } } }', {
        id: jobId,
      });
      const job = data.job;
      return {
        id: job.id,
        status: job.status,
        error: job.error,
        result: job.result,
        done: job.progress.done,
        total: job.progress.total,
      };
    },
    progress,
    cancelledNote,
  );
}
