import {
  countDatasets,
  findDatasetBySlug,
  listDatasets,
  registerDataset,
  updateDataset,
  datasetCursorKind,
  type DatasetFields,
  type DatasetFilter,
  type DatasetOrder,
} from '../../catalog/datasets.js';
import { pageRequest } from '../../catalog/pagination.js';
import type { SampleInput } from '../../catalog/canonicalSample.js';
import {
  createVersion,
  findVersionByNumber,
  listSamples,
  SAMPLES_CURSOR,
  VERSIONS_CURSOR,
} from '../../catalog/versions.js';
import type { DatasetRow, VersionRow } from '../../db/schema.js';
import { edgeResolvers, toConnection } from '../connection.js';
import type { Context } from '../context.js';
import { idOf, nodeIdField } from '../../globalId.js';

interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export const catalogResolvers = {
  Query: {
    datasets: async (
      _: unknown,
      args: PageArgs & { filter?: DatasetFilter | null; orderBy?: DatasetOrder | null },
      ctx: Context,
    ) => {
      const orderBy = args.orderBy ?? 'CREATED_AT_DESC';
      const page = pageRequest(datasetCursorKind(orderBy), args.first, args.after);
      const result = await listDatasets(ctx.db, { filter: args.filter, orderBy, page });
      result.items.forEach((row) => ctx.loaders.dataset.prime(row.id, row));
      return { ...toConnection(result), filter: args.filter };
    },
    dataset: (_: unknown, args: { slug: string }, ctx: Context) => findDatasetBySlug(ctx.db, args.slug),
    version: (_: unknown, args: { id: string }, ctx: Context) =>
      ctx.loaders.version.load(idOf('DatasetVersion', args.id)),
  },
  Mutation: {
    createDataset: (
      _: unknown,
      args: { input: DatasetFields & { slug: string; name: string } },
      ctx: Context,
    ) => registerDataset(ctx.db, args.input),
    updateDataset: (_: unknown, args: { input: DatasetFields & { slug: string } }, ctx: Context) => {
      const { slug, ...fields } = args.input;
      return updateDataset(ctx.db, slug, fields);
    },
    createVersion: (_: unknown, args: { input: { dataset: string; samples: SampleInput[] } }, ctx: Context) =>
      createVersion(ctx.database, args.input.dataset, args.input.samples),
  },
  DatasetEdge: edgeResolvers,
  DatasetVersionEdge: edgeResolvers,
  SampleEdge: edgeResolvers,
  DatasetConnection: {
    // Counted only when asked for: the count scans every matching dataset.
    totalCount: (connection: { filter?: DatasetFilter | null }, _: unknown, ctx: Context) =>
      countDatasets(ctx.db, connection.filter),
  },
  Dataset: {
    id: nodeIdField('Dataset'),
    versions: async (row: DatasetRow, args: PageArgs, ctx: Context) =>
      toConnection(
        await ctx.loaders.versionsPage(pageRequest(VERSIONS_CURSOR, args.first, args.after)).load(row.id),
      ),
    latestVersion: (row: DatasetRow, _: unknown, ctx: Context) => ctx.loaders.latestVersion.load(row.id),
    version: (row: DatasetRow, args: { number: number }, ctx: Context) =>
      findVersionByNumber(ctx.db, row.id, args.number),
  },
  DatasetVersion: {
    id: nodeIdField('DatasetVersion'),
    dataset: (row: VersionRow, _: unknown, ctx: Context) => ctx.loaders.dataset.load(row.datasetId),
    samples: async (row: VersionRow, args: PageArgs, ctx: Context) =>
      toConnection(await listSamples(ctx.db, row.id, pageRequest(SAMPLES_CURSOR, args.first, args.after))),
  },
  Sample: {
    id: nodeIdField('Sample'),
  },
};
