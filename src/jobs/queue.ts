/**
 * The durable job queue. Workers anywhere claim jobs with FOR UPDATE SKIP LOCKED and hold them by
 * a lease they renew; a worker that dies simply stops renewing, and once the lease runs out the job
 * is claimable again. All times come from the database clock, so workers on machines with skewed
 * clocks still agree. Every state change after the claim is fenced on `lease_owner`, so a worker
 * that lost its lease cannot overwrite the work of the one that took over.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { and, asc, desc, eq, gte, inArray, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Database, Executor, Tx } from '../db/connect.js';
import { jobs, jobStatus, type JobRow } from '../db/schema.js';
import { anyOf } from '../db/sqlHelpers.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import { checkedPayload, type JobKind, type JobPayload } from './kinds.js';

export type JobStatus = JobRow['status'];
export const FINISHED_STATUSES: readonly JobStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

export interface EnqueueInput<P extends JobPayload> {
  kind: JobKind<P>;
  payload: P;
  progressTotal?: number | null;
  maxAttempts?: number;
  priority?: number;
}

const creator = new AsyncLocalStorage<number | null>();

/**
 * Runs `work` so that every job it queues records `apiKeyRowId` (api_keys.id) as its creator.
 * The job-starting mutations all queue through this (graphql/jobQuota.ts `startJob`), so the
 * enqueue functions of each kind need not carry the caller; a job queued outside it (the CLI on
 * the database, tests) records no creator.
 */
export function queueingAs<T>(apiKeyRowId: number | null, work: () => Promise<T>): Promise<T> {
  return creator.run(apiKeyRowId, work);
}

/** Queues a job; a payload that does not fit its kind is a JobPayloadError and nothing is inserted. */
export async function enqueueJob<P extends JobPayload>(
  db: Executor,
  input: EnqueueInput<P>,
): Promise<JobRow> {
  const payload = checkedPayload(input.kind, input.payload);
  const [row] = await db
    .insert(jobs)
    .values({
      kind: input.kind.kind,
      payload,
      progressTotal: input.progressTotal ?? null,
      maxAttempts: input.maxAttempts ?? 3,
      priority: input.priority ?? 0,
      createdByApiKeyId: creator.getStore() ?? null,
    })
    .returning();
  return row!;
}

/**
 * Claims the next runnable job for `owner`: a queued job whose backoff has passed, or a running
 * one whose lease ran out (its worker died). Jobs whose lease ran out on their last allowed attempt
 * are failed first. Returns null when there is nothing to do.
 */
export async function claimJob(
  db: Executor,
  owner: string,
  leaseMs: number,
  kinds: readonly string[],
  onlyJobId: number | null = null,
): Promise<JobRow | null> {
  await db
    .update(jobs)
    .set({
      status: 'FAILED',
      finishedAt: sql`now()`,
      updatedAt: sql`now()`,
      leaseOwner: null,
      error: sql`coalesce(${jobs.error} || '; ', '') || 'the worker running attempt ' || ${jobs.attempts} || ' of ' || ${jobs.maxAttempts} || ' stopped renewing its lease'`,
    })
    .where(
      and(
        eq(jobs.status, 'RUNNING'),
        lt(jobs.leaseExpiresAt, sql`now()`),
        gte(jobs.attempts, jobs.maxAttempts),
      ),
    );
  const next = db
    .select({ id: jobs.id })
    .from(jobs)
    .where(
      and(
        or(
          and(eq(jobs.status, 'QUEUED'), lte(jobs.runAfter, sql`now()`)),
          and(eq(jobs.status, 'RUNNING'), lt(jobs.leaseExpiresAt, sql`now()`)),
        ),
        lt(jobs.attempts, jobs.maxAttempts),
        anyOf(jobs.kind, kinds, 'text'),
        onlyJobId === null ? undefined : eq(jobs.id, onlyJobId),
      ),
    )
    .orderBy(desc(jobs.priority), asc(jobs.id))
    .limit(1)
    .for('update', { skipLocked: true });
  const [claimed] = await db
    .update(jobs)
    .set({
      status: 'RUNNING',
      leaseOwner: owner,
      leaseExpiresAt: sql`now() + ${leaseMs} * interval '1 millisecond'`,
      attempts: sql`${jobs.attempts} + 1`,
      startedAt: sql`coalesce(${jobs.startedAt}, now())`,
      attemptStartedAt: sql`now()`,
      attemptStartDone: sql`${jobs.progressDone}`,
      updatedAt: sql`now()`,
    })
    .where(eq(jobs.id, next))
    .returning({ id: jobs.id });
  return claimed === undefined ? null : getJob(db, claimed.id);
}

export interface HeartbeatResult {
  /** False when another worker holds the job now (or it was finished meanwhile): stop without writing. */
  stillOwned: boolean;
  cancelRequested: boolean;
}

/** Extends the lease and records progress; answers whether a cancel was asked for. */
export async function heartbeat(
  db: Executor,
  jobId: number,
  owner: string,
  leaseMs: number,
  progress: { done: number; total?: number | null },
): Promise<HeartbeatResult> {
  const [row] = await db
    .update(jobs)
    .set({
      leaseExpiresAt: sql`now() + ${leaseMs} * interval '1 millisecond'`,
      progressDone: progress.done,
      ...(progress.total !== undefined && progress.total !== null ? { progressTotal: progress.total } : {}),
      updatedAt: sql`now()`,
    })
    .where(ownedBy(jobId, owner))
    .returning({ cancelRequested: jobs.cancelRequested });
  return { stillOwned: row !== undefined, cancelRequested: row?.cancelRequested ?? false };
}

/**
 * Runs `work` in one transaction only while `owner` still holds the job's lease: the job row is
 * share-locked first, so no other worker can claim it until the work commits (a claim skips
 * locked rows). Returns `{ held: false }` and writes nothing when the lease is gone.
 */
export async function withLease<T>(
  database: Database,
  jobId: number,
  owner: string,
  work: (tx: Tx) => Promise<T>,
): Promise<{ held: true; value: T } | { held: false }> {
  return database.db.transaction(async (tx) => {
    const [row] = await tx.select({ id: jobs.id }).from(jobs).where(ownedBy(jobId, owner)).for('share');
    if (!row) return { held: false as const };
    return { held: true as const, value: await work(tx) };
  });
}

/** Ends the job as SUCCEEDED or CANCELLED. False when the lease was lost (nothing written). */
export async function finishJob(
  db: Executor,
  jobId: number,
  owner: string,
  outcome: { status: 'SUCCEEDED' | 'CANCELLED'; result: Record<string, unknown>; progressDone?: number },
): Promise<boolean> {
  const rows = await db
    .update(jobs)
    .set({
      status: outcome.status,
      result: outcome.result,
      ...(outcome.progressDone !== undefined ? { progressDone: outcome.progressDone } : {}),
      leaseOwner: null,
      leaseExpiresAt: null,
      finishedAt: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(ownedBy(jobId, owner))
    .returning({ id: jobs.id });
  return rows.length > 0;
}

/**
 * Records a failed attempt: back to the queue after an exponential backoff (baseMs * 2^(attempt-1))
 * while attempts remain and `retryable`, else FAILED for good. Returns what happened.
 */
export async function failAttempt(
  db: Executor,
  jobId: number,
  owner: string,
  message: string,
  options: { baseBackoffMs: number; retryable: boolean },
): Promise<'retry' | 'failed' | 'lost'> {
  const retry = sql`(${jobs.attempts} < ${jobs.maxAttempts} and ${options.retryable})`;
  const statusType = sql.identifier(jobStatus.enumName);
  const [row] = await db
    .update(jobs)
    .set({
      status: sql`case when ${retry} then 'QUEUED'::${statusType} else 'FAILED'::${statusType} end`,
      runAfter: sql`now() + (${options.baseBackoffMs} * power(2, greatest(${jobs.attempts} - 1, 0))) * interval '1 millisecond'`,
      finishedAt: sql`case when ${retry} then null else now() end`,
      error: message,
      leaseOwner: null,
      leaseExpiresAt: null,
      updatedAt: sql`now()`,
    })
    .where(ownedBy(jobId, owner))
    .returning({ status: jobs.status });
  const status = row?.status;
  return status === undefined ? 'lost' : status === 'QUEUED' ? 'retry' : 'failed';
}

/** Hands a job back untouched (worker shutting down): it does not count as an attempt. */
export async function releaseJob(
  db: Executor,
  jobId: number,
  owner: string,
  progressDone: number,
): Promise<boolean> {
  const rows = await db
    .update(jobs)
    .set({
      status: 'QUEUED',
      attempts: sql`greatest(${jobs.attempts} - 1, 0)`,
      progressDone,
      leaseOwner: null,
      leaseExpiresAt: null,
      runAfter: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(ownedBy(jobId, owner))
    .returning({ id: jobs.id });
  return rows.length > 0;
}

/** Who asks for a cancel when auth is on: the key's row id and whether its role is admin. */
export interface JobCanceller {
  apiKeyRowId: number | null;
  admin: boolean;
}

/**
 * Asks for a job to stop. A queued job is cancelled at once; a running one is flagged and its
 * worker stops at the next batch (recording what it has as PARTIAL; a metric thread mid-batch is
 * terminated at once, see metricRuns/metricThreads.ts). Finished jobs are returned
 * unchanged. With `as` (auth on), only the key that queued the job or an admin may: anyone else
 * gets a ForbiddenError and the job is left alone. A job queued without a key is the admin's.
 */
export async function requestCancel(
  db: Executor,
  jobId: number,
  options: { as?: JobCanceller } = {},
): Promise<JobRow> {
  const by = options.as;
  if (by && !by.admin) {
    const job = await requireJob(db, jobId);
    if (job.createdByApiKeyId === null || job.createdByApiKeyId !== by.apiKeyRowId) {
      throw new ForbiddenError(
        job.createdByApiKeyId === null
          ? `job ${jobId} was queued without an API key (auth off, or the CLI on the database); cancelling it needs the admin role`
          : `job ${jobId} was queued by another API key; only that key or the admin role may cancel it`,
        { id: jobId },
      );
    }
  }
  await db
    .update(jobs)
    .set({ status: 'CANCELLED', finishedAt: sql`now()`, updatedAt: sql`now()`, cancelRequested: true })
    .where(and(eq(jobs.id, jobId), eq(jobs.status, 'QUEUED')));
  await db
    .update(jobs)
    .set({ cancelRequested: true, updatedAt: sql`now()` })
    .where(and(eq(jobs.id, jobId), eq(jobs.status, 'RUNNING')));
  return requireJob(db, jobId);
}

export async function getJob(db: Executor, id: number): Promise<JobRow | null> {
  const [row] = await db.select().from(jobs).where(eq(jobs.id, id));
  return row ?? null;
}

export async function findJobsByIds(db: Executor, ids: readonly number[]): Promise<JobRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(jobs)
    .where(anyOf(jobs.id, ids, 'bigint'));
}

export async function requireJob(db: Executor, id: number): Promise<JobRow> {
  const row = await getJob(db, id);
  if (!row) throw new NotFoundError(`no job with id ${id}`, { id });
  return row;
}

export interface JobListFilter {
  statuses?: readonly JobStatus[];
  kinds?: readonly string[];
  /** Jobs with an id below this (keyset paging, newest first). */
  beforeId?: number;
  limit: number;
}

/** Newest first. */
export async function listJobs(db: Executor, filter: JobListFilter): Promise<JobRow[]> {
  const conditions: SQL[] = [];
  if (filter.statuses?.length) conditions.push(inArray(jobs.status, [...filter.statuses]));
  if (filter.kinds?.length) conditions.push(inArray(jobs.kind, [...filter.kinds]));
  if (filter.beforeId !== undefined) conditions.push(lt(jobs.id, filter.beforeId));
  return db
    .select()
    .from(jobs)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(jobs.id))
    .limit(filter.limit);
}

function ownedBy(jobId: number, owner: string): SQL {
  return and(eq(jobs.id, jobId), eq(jobs.leaseOwner, owner), eq(jobs.status, 'RUNNING'))!;
}

/**
 * Rate (units/s) and ETA (s) of the current attempt: progress since the attempt began over the time
 * to the last heartbeat, both stamped by the database clock (immune to client clock skew).
 */
export function jobRate(job: JobRow): { perSecond: number | null; etaSeconds: number | null } {
  if (job.status !== 'RUNNING' || !job.attemptStartedAt) return { perSecond: null, etaSeconds: null };
  const seconds = (job.updatedAt.getTime() - job.attemptStartedAt.getTime()) / 1000;
  const done = job.progressDone - job.attemptStartDone;
  if (seconds <= 0 || done <= 0) return { perSecond: null, etaSeconds: null };
  const perSecond = done / seconds;
  const left = job.progressTotal === null ? null : Math.max(0, job.progressTotal - job.progressDone);
  return { perSecond, etaSeconds: left === null ? null : left / perSecond };
}

/** How many jobs the API key `apiKeyRowId` (api_keys.id) queued are still queued or running. */
export async function countActiveJobsOf(db: Executor, apiKeyRowId: number): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(jobs)
    .where(and(eq(jobs.createdByApiKeyId, apiKeyRowId), inArray(jobs.status, ['QUEUED', 'RUNNING'])));
  return Number(row?.n ?? 0);
}
