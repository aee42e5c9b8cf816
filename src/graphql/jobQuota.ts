/**
 * Most jobs one API key may have queued or running at once (QDC_MAX_JOBS_PER_KEY; issue 21
 * item 9), counted in the database over the jobs that record the key as their creator, so the
 * count holds across restarts and across server processes. Checking and queueing are serialized
 * per key within a process, so concurrent requests of one key to one server cannot both take the
 * last slot (two servers sharing a database may each take it once).
 */
import { GraphQLError } from 'graphql';
import { HeaderMap } from '@apollo/server';
import type { Executor } from '../db/connect.js';
import { countActiveJobsOf, queueingAs } from '../jobs/queue.js';

/** How long a refused caller is told to wait: jobs take seconds to minutes. */
export const JOB_QUOTA_RETRY_SECONDS = 10;

export class JobQuotas {
  private readonly locks = new Map<number, Promise<unknown>>();

  constructor(
    private readonly db: Executor,
    readonly maxConcurrentJobs: number,
  ) {}

  /** Runs `enqueue` for the key `keyRowId` (api_keys.id) if the key is under its limit. */
  async start<T>(keyRowId: number, enqueue: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(keyRowId) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.admitAndRun(keyRowId, enqueue));
    this.locks.set(keyRowId, run);
    try {
      return await run;
    } finally {
      if (this.locks.get(keyRowId) === run) this.locks.delete(keyRowId);
    }
  }

  private async admitAndRun<T>(keyRowId: number, enqueue: () => Promise<T>): Promise<T> {
    const active = await countActiveJobsOf(this.db, keyRowId);
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
    return enqueue();
  }
}

/**
 * What every job-queueing resolver calls: the jobs `enqueue` queues record the caller's key as
 * their creator (null without one), and count against its quota when there is one.
 */
export function startJob<T>(
  ctx: { keyRowId: number | null; jobQuotas: JobQuotas | null },
  enqueue: () => Promise<T>,
): Promise<T> {
  const queue = () => queueingAs(ctx.keyRowId, enqueue);
  if (ctx.keyRowId === null || !ctx.jobQuotas || ctx.jobQuotas.maxConcurrentJobs <= 0) return queue();
  return ctx.jobQuotas.start(ctx.keyRowId, queue);
}
