/**
 * Most jobs one API key may have queued or running at once (QDC_MAX_JOBS_PER_KEY; issue 21
 * item 9). Jobs record no owner (and no migration may add one), so this process remembers the ids
 * of the jobs each key queued through it and asks the database which are still active; a restart
 * forgets them, so after one a key may queue up to the limit again. Checking and queueing are
 * serialized per key, so concurrent requests of one key cannot both take the last slot.
 */
import { GraphQLError } from 'graphql';
import { HeaderMap } from '@apollo/server';
import type { Executor } from '../db/connect.js';
import { countActiveJobs, queueingAs } from '../jobs/queue.js';

/** How long a refused caller is told to wait: jobs take seconds to minutes. */
export const JOB_QUOTA_RETRY_SECONDS = 10;

export class JobQuotas {
  private readonly jobs = new Map<string, number[]>();
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly db: Executor,
    readonly maxConcurrentJobs: number,
  ) {}

  /** Runs `enqueue` for `keyId` if the key is under its limit, and remembers the job it made. */
  async start<T extends { id: number }>(keyId: string, enqueue: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(keyId) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.admitAndRun(keyId, enqueue));
    this.locks.set(keyId, run);
    try {
      return await run;
    } finally {
      if (this.locks.get(keyId) === run) this.locks.delete(keyId);
    }
  }

  private async admitAndRun<T extends { id: number }>(keyId: string, enqueue: () => Promise<T>): Promise<T> {
    const ids = this.jobs.get(keyId) ?? [];
    const active = await countActiveJobs(this.db, ids);
    if (active >= this.maxConcurrentJobs) {
      throw new GraphQLError(
        `this API key has ${active} jobs queued or running, the most it may have at once (QDC_MAX_JOBS_PER_KEY=${this.maxConcurrentJobs}); retry when one has finished`,
        {
          extensions: {
            code: 'RATE_LIMITED',
            active,
            limit: this.maxConcurrentJobs,
            retryAfterSeconds: JOB_QUOTA_RETRY_SECONDS,
            http: { status: 429, headers: new HeaderMap([['retry-after', String(JOB_QUOTA_RETRY_SECONDS)]]) },
          },
        },
      );
    }
    const job = await enqueue();
    // Only the ids that may still be active are kept: at most the limit plus this one.
    const stillTracked = active === 0 ? [] : ids.slice(-this.maxConcurrentJobs);
    this.jobs.set(keyId, [...stillTracked, job.id]);
    return job;
  }
}

/**
 * What every job-queueing resolver calls: the jobs `enqueue` queues record the caller's key as
 * their creator (null without one), and count against its quota when there is one.
 */
export function startJob<T extends { id: number }>(
  ctx: { keyId: string | null; keyRowId: number | null; jobQuotas: JobQuotas | null },
  enqueue: () => Promise<T>,
): Promise<T> {
  const queue = () => queueingAs(ctx.keyRowId, enqueue);
  if (!ctx.keyId || !ctx.jobQuotas || ctx.jobQuotas.maxConcurrentJobs <= 0) return queue();
  return ctx.jobQuotas.start(ctx.keyId, queue);
}
