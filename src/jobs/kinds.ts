/**
 * Job kinds and their payloads. Each kind lives with its handler in its domain and names the
 * payload's schema; the queue checks a payload against it when the job is queued (a payload that
 * does not fit is refused and nothing is inserted) and the handler when it runs (a stored payload
 * that does not fit fails the job, for good, with the reason).
 */
import type { z } from 'zod';
import type { JobRow } from '../db/schema.js';
import { BadInputError } from '../errors.js';

/** What a job's `payload` column holds: a JSON object. */
export type JobPayload = Record<string, unknown>;

export interface JobKind<P extends JobPayload> {
  /** Stored in `jobs.kind`, e.g. `metrics.compute`. */
  readonly kind: string;
  readonly payload: z.ZodType<P>;
}

export function defineJobKind<P extends JobPayload>(kind: string, payload: z.ZodType<P>): JobKind<P> {
  return { kind, payload };
}

/** A payload that does not fit its kind's schema. A domain error: the worker does not retry it. */
export class JobPayloadError extends BadInputError {}

/** The payload to queue, as its schema reads it; JobPayloadError when it does not fit. */
export function checkedPayload<P extends JobPayload>(kind: JobKind<P>, payload: P): P {
  return parse(kind, payload, `a ${kind.kind} job payload`);
}

/** The payload of a claimed job of this kind; JobPayloadError when the stored one does not fit. */
export function payloadOf<P extends JobPayload>(kind: JobKind<P>, job: JobRow): P {
  if (job.kind !== kind.kind) throw new Error(`job ${job.id} is a ${job.kind} job, not ${kind.kind}`);
  return parse(kind, job.payload, `the stored payload of ${kind.kind} job ${job.id}`);
}

function parse<P extends JobPayload>(kind: JobKind<P>, payload: unknown, what: string): P {
  const parsed = kind.payload.safeParse(payload);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map(
    (issue) => `${issue.path.length ? issue.path.join('.') : '(payload)'}: ${issue.message}`,
  );
  throw new JobPayloadError(`${what} is invalid: ${issues.join('; ')}`, { kind: kind.kind, issues });
}
