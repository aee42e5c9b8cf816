/** Jobs: the recent list with live progress, and one job followed until it ends. */
import { useEffect, useState } from 'react';
import { gql } from '../api';
import { ErrorView, formatDate, Loading, ProgressBar, useQuery } from '../ui';

export interface JobView {
  id: string;
  kind: string;
  status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
  payload: { versionId?: number | string } | null;
  progress: { done: number; total: number | null; fraction: number | null; etaSeconds: number | null };
}

export const JOB_FIELDS = `id kind status error createdAt finishedAt
  progress { done total fraction etaSeconds }`;

const JOBS = `query RecentJobs($first: Int) { jobs(first: $first) { edges { node { ${JOB_FIELDS} } } } }`;
const JOB = `query Job($id: ID!) { job(id: $id) { ${JOB_FIELDS} } }`;

const FINISHED = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

export function JobList({ first }: { first: number }) {
  const jobs = useQuery<{ jobs: { edges: { node: JobView }[] } }>(JOBS, { first }, { pollMs: 2000 });
  if (jobs.error) return <ErrorView error={jobs.error} retry={jobs.reload} />;
  if (!jobs.data) return <Loading />;
  const rows = jobs.data.jobs.edges.map((e) => e.node);
  if (rows.length === 0) return <p className="empty">No jobs yet.</p>;
  return (
    <ul className="jobs" data-testid="jobs">
      {rows.map((job) => (
        <li key={job.id}>
          <JobLine job={job} />
        </li>
      ))}
    </ul>
  );
}

export function JobLine({ job }: { job: JobView }) {
  return (
    <div className={`job status-${job.status}`} data-job-status={job.status}>
      <div>
        <strong>{job.kind}</strong> <span className={`status ${job.status}`}>{job.status}</span>{' '}
        <span className="sub">{formatDate(job.createdAt)}</span>
      </div>
      {!FINISHED.has(job.status) && (
        <ProgressBar
          fraction={job.progress.fraction}
          label={`${job.progress.done.toLocaleString('en-US')}${job.progress.total ? ` / ${job.progress.total.toLocaleString('en-US')}` : ''}${job.progress.etaSeconds ? `, ~${Math.ceil(job.progress.etaSeconds)} s left` : ''}`}
        />
      )}
      {job.error && <div className="error job-error">{job.error}</div>}
    </div>
  );
}

/** Follows a job every second until it ends, then calls `onDone` once. */
export function FollowJob({ id, onDone }: { id: string; onDone?: (job: JobView) => void }) {
  const [job, setJob] = useState<JobView | null>(null);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const data = await gql<{ job: JobView | null }>(JOB, { id });
        if (!live) return;
        setJob(data.job);
        setError(null);
        if (data.job && FINISHED.has(data.job.status)) {
          onDone?.(data.job);
          return;
        }
      } catch (failure) {
        if (!live) return;
        setError(failure as Error);
      }
      timer = setTimeout(poll, 1000);
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [id]);
  if (error) return <ErrorView error={error} />;
  if (!job) return <Loading what="Queued" />;
  return (
    <div className="follow-job" data-testid="followed-job">
      <JobLine job={job} />
    </div>
  );
}
