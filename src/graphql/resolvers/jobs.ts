import type { Resolvers } from '../generated/types.js';
import { pageRequest, encodeCursor } from '../../catalog/pagination.js';
import { jobRate, listJobs, requestCancel } from '../../jobs/queue.js';
import { connectionFromRows, edgeResolvers } from '../connection.js';
import { idOf, nodeIdField } from '../../globalId.js';

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
    cancelJob: (_, args, ctx) => requestCancel(ctx.db, idOf('Job', args.id)),
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
  },
};
