import { roleAllows } from '../../auth/apiKeys.js';
import type { Context } from '../context.js';
import type { Resolvers } from '../generated/types.js';
import { pageRequest, encodeCursor } from '../../catalog/pagination.js';
import type { JobRow } from '../../db/schema.js';
import { jobRate, listJobs, requestCancel, type JobCanceller } from '../../jobs/queue.js';
import { connectionFromRows, edgeResolvers } from '../connection.js';
import { idOf, nodeIdField } from '../../globalId.js';

const isAdmin = (ctx: Context) => ctx.role !== null && roleAllows(ctx.role, 'admin');

/** Who cancels, when auth is on; undefined when it is off (anyone may cancel any job). */
function canceller(ctx: Context): JobCanceller | undefined {
  if (ctx.facts.auth === 'off') return undefined;
  return { apiKeyRowId: ctx.keyRowId, admin: isAdmin(ctx) };
}

/** A job's creator is shown to that key and to admins (to everyone when auth is off). */
function maySeeCreator(ctx: Context, job: JobRow): boolean {
  return (
    ctx.facts.auth === 'off' ||
    isAdmin(ctx) ||
    (ctx.keyRowId !== null && ctx.keyRowId === job.createdByApiKeyId)
  );
}

const JOBS_CURSOR = 'jobs';

export const jobResolvers: Resolvers = {
  Query: {
    job: (_, args, ctx) => ctx.loaders.job.load(idOf('Job', args.id)),
    jobs: async (_, args, ctx) => {
      const page = pageRequest(JOBS_CURSOR, args.first, args.after);
      const beforeId = page.after ? Number(page.after[0]) : undefined;
      const rows = await listJobs(ctx.db, {
        statuses: args.status ?? undefined,
        kinds: args.kind ? [args.kind] : undefined,
        beforeId,
        limit: page.first + 1,
      });
      return connectionFromRows(rows, page.first, (job) => encodeCursor(JOBS_CURSOR, [job.id]));
    },
  },
  Mutation: {
    cancelJob: (_, args, ctx) => requestCancel(ctx.db, idOf('Job', args.id), { as: canceller(ctx) }),
  },
  JobEdge: edgeResolvers,
  Job: {
    id: nodeIdField('Job'),
    progress: (row) => {
      const rate = jobRate(row);
      const total = row.progressTotal;
      return {
        done: row.progressDone,
        total,
        fraction: total ? Math.min(1, row.progressDone / total) : null,
        perSecond: rate.perSecond,
        etaSeconds: rate.etaSeconds,
      };
    },
    metricResults: (row, _, ctx) => ctx.loaders.resultsOfJob.load(row.id),
    createdBy: async (row, _, ctx) => {
      if (row.createdByApiKeyId === null || !maySeeCreator(ctx, row)) return null;
      const key = await ctx.loaders.apiKey.load(row.createdByApiKeyId);
      return key ? { keyId: key.keyId, name: key.name } : null;
    },
  },
};
