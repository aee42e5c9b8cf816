import type { Resolvers } from '../generated/types.js';
import {
  countDatasets,
  findDatasetBySlug,
  listDatasets,
  registerDataset,
  updateDataset,
  datasetCursorKind,
} from '../../catalog/datasets.js';
import { pageRequest } from '../../catalog/pagination.js';
import {
  createVersion,
  findVersionByNumber,
  listSamples,
  SAMPLES_CURSOR,
  VERSIONS_CURSOR,
} from '../../catalog/versions.js';
import { edgeResolvers, toConnection } from '../connection.js';
import { idOf, nodeIdField } from '../../globalId.js';
import { referenced } from './referenced.js';

export const catalogResolvers: Resolvers = {
  Query: {
    datasets: async (_, args, ctx) => {
      const orderBy = args.orderBy ?? 'CREATED_AT_DESC';
      const page = pageRequest(datasetCursorKind(orderBy), args.first, args.after);
      const result = await listDatasets(ctx.db, { filter: args.filter, orderBy, page });
      result.items.forEach((row) => ctx.loaders.dataset.prime(row.id, row));
      return { ...toConnection(result), filter: args.filter };
    },
    dataset: (_, args, ctx) => findDatasetBySlug(ctx.db, args.slug),
    version: (_, args, ctx) => ctx.loaders.version.load(idOf('DatasetVersion', args.id)),
  },
  Mutation: {
    createDataset: (_, args, ctx) => registerDataset(ctx.db, args.input),
    updateDataset: (_, args, ctx) => {
      const { slug, ...fields } = args.input;
      return updateDataset(ctx.db, slug, fields);
    },
    createVersion: (_, args, ctx) => createVersion(ctx.database, args.input.dataset, args.input.samples),
  },
  DatasetEdge: edgeResolvers,
  DatasetVersionEdge: edgeResolvers,
  SampleEdge: edgeResolvers,
  DatasetConnection: {
    // Counted only when asked for: the count scans every matching dataset.
    totalCount: (connection, _, ctx) => countDatasets(ctx.db, connection.filter),
  },
  Dataset: {
    id: nodeIdField('Dataset'),
    versions: async (row, args, ctx) =>
      toConnection(
        await ctx.loaders.versionsPage(pageRequest(VERSIONS_CURSOR, args.first, args.after)).load(row.id),
      ),
    latestVersion: (row, _, ctx) => ctx.loaders.latestVersion.load(row.id),
    version: (row, args, ctx) => findVersionByNumber(ctx.db, row.id, args.number),
  },
  DatasetVersion: {
    id: nodeIdField('DatasetVersion'),
    dataset: (row, _, ctx) => referenced(ctx.loaders.dataset, row.datasetId, 'dataset'),
    samples: async (row, args, ctx) =>
      toConnection(await listSamples(ctx.db, row.id, pageRequest(SAMPLES_CURSOR, args.first, args.after))),
  },
  Sample: {
    id: nodeIdField('Sample'),
  },
};
