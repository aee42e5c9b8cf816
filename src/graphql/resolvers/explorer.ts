/** Resolvers of schema/explorer.graphql: the web explorer's sample table, histograms and runs. */
import { ALGORITHM_RUNS_CURSOR, runsOfAlgorithm } from '../../catalog/algorithmRuns.js';
import { decodeCursor, pageRequest } from '../../catalog/pagination.js';
import { SAMPLE_ROWS_CURSOR, sampleTable, scoreHistogram } from '../../metricRuns/sampleTable.js';
import { edgeResolvers, toConnection } from '../connection.js';
import type { Resolvers } from '../generated/types.js';

export const explorerResolvers: Resolvers = {
  DatasetVersion: {
    sampleRows: async (row, args, ctx) => {
      const page = await sampleTable(ctx.db, row.id, {
        columns: args.columns ?? [],
        orderBy: args.orderBy,
        ranges: args.ranges,
        first: args.first ?? 50,
        after: args.after ? decodeCursor(SAMPLE_ROWS_CURSOR, args.after) : null,
      });
      return { columns: page.columns, ...toConnection(page) };
    },
    scoreHistogram: (row, args, ctx) =>
      scoreHistogram(ctx.db, row.id, args.metric, args.bins ?? 20, args.ranges ?? []),
  },
  SampleRowEdge: edgeResolvers,
  SampleRow: {
    ordinal: (row) => row.sample.ordinal,
  },
  GenerationRunEdge: edgeResolvers,
  Algorithm: {
    runs: async (row, args, ctx) =>
      toConnection(
        await runsOfAlgorithm(ctx.db, row.id, pageRequest(ALGORITHM_RUNS_CURSOR, args.first, args.after)),
      ),
  },
};
