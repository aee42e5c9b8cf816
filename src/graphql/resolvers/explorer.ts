/** Resolvers of schema/explorer.graphql: the web explorer's sample table, histograms and runs. */
import { ALGORITHM_RUNS_CURSOR, runsOfAlgorithm } from '../../catalog/algorithmRuns.js';
import { decodeCursor, pageRequest } from '../../catalog/pagination.js';
import {
  DIFF_ADDED_CURSOR,
  DIFF_REMOVED_CURSOR,
  diffCounts,
  missingSamples,
} from '../../catalog/versionDiff.js';
import { diffMetricDeltas } from '../../metricRuns/analysis.js';
import {
  pairedScoreHistogram,
  SAMPLE_ROWS_CURSOR,
  sampleTable,
  scoreHistogram,
} from '../../metricRuns/sampleTable.js';
import { NotFoundError } from '../../errors.js';
import { idOf } from '../../globalId.js';
import { edgeResolvers, toConnection } from '../connection.js';
import type { Resolvers } from '../generated/types.js';
import type { VersionRow } from '../../db/schema.js';

export const explorerResolvers: Resolvers = {
  Query: {
    versionDiff: async (_, args, ctx) => {
      const ids = [idOf('DatasetVersion', args.base, 'base'), idOf('DatasetVersion', args.head, 'head')];
      const [base, head] = await ctx.loaders.version.loadMany(ids);
      for (const [name, row, id] of [
        ['base', base, args.base],
        ['head', head, args.head],
      ] as const) {
        if (!row || row instanceof Error)
          throw new NotFoundError(`no version with id ${id}`, { argument: name });
      }
      return { base: base as VersionRow, head: head as VersionRow };
    },
  },
  VersionDiff: {
    addedCount: async (diff, _, ctx) => (await diffCounts(ctx.db, diff.base, diff.head)).added,
    removedCount: async (diff, _, ctx) => (await diffCounts(ctx.db, diff.base, diff.head)).removed,
    keptCount: async (diff, _, ctx) => (await diffCounts(ctx.db, diff.base, diff.head)).kept,
    added: async (diff, args, ctx) =>
      toConnection(
        await missingSamples(
          ctx.db,
          diff.head.id,
          diff.base.id,
          pageRequest(DIFF_ADDED_CURSOR, args.first, args.after),
          DIFF_ADDED_CURSOR,
        ),
      ),
    removed: async (diff, args, ctx) =>
      toConnection(
        await missingSamples(
          ctx.db,
          diff.base.id,
          diff.head.id,
          pageRequest(DIFF_REMOVED_CURSOR, args.first, args.after),
          DIFF_REMOVED_CURSOR,
        ),
      ),
    metricDeltas: (diff, args, ctx) => diffMetricDeltas(ctx.db, diff.base.id, diff.head.id, args.metrics),
    scoreHistograms: (diff, args, ctx) =>
      pairedScoreHistogram(ctx.db, diff.base.id, diff.head.id, args.metric, args.bins ?? 20),
  },
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
