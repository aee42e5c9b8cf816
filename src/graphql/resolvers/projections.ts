/** Resolvers of schema/projections.graphql: the embedding-map job and its stored projections. */
import { encodeCursor, decodeCursor, toPage } from '../../catalog/pagination.js';
import { startJob } from '../jobQuota.js';
import {
  enqueueProjection,
  projectionPoints,
  projectionsOfVersion,
  samplesAtOrdinals,
} from '../../embeddings/projections.js';
import { requireStoredSpace } from '../../embeddings/sampleSearch.js';
import { BadInputError } from '../../errors.js';
import { idOf, nodeIdField, toGlobalId } from '../../globalId.js';
import { edgeResolvers, toConnection } from '../connection.js';
import type { Resolvers } from '../generated/types.js';
import { referenced } from './referenced.js';
import { versionOf } from './versionOf.js';

const POINTS_CURSOR = 'projection-points';
const MAX_POINTS_PAGE = 1000;

const binaryPath = (id: number, what: string) => `/v1/projections/${toGlobalId('Projection', id)}/${what}`;

export const projectionResolvers: Resolvers = {
  Mutation: {
    projectVersion: async (_, args, ctx) => {
      const space = await requireStoredSpace(ctx.database, ctx.embedders, args.space);
      return startJob(ctx, () =>
        enqueueProjection(ctx.db, {
          versionId: idOf('DatasetVersion', args.version, 'version'),
          space,
          method: args.method,
          umap: args.umap,
        }),
      );
    },
  },
  DatasetVersion: {
    projections: async (version, args, ctx) => {
      const space = args.space ? await requireStoredSpace(ctx.database, ctx.embedders, args.space) : null;
      return projectionsOfVersion(ctx.db, version.id, { spaceId: space?.id ?? null, method: args.method });
    },
    samplesAt: (version, args, ctx) => samplesAtOrdinals(ctx.db, version.id, args.ordinals),
  },
  Projection: {
    id: nodeIdField('Projection'),
    version: versionOf,
    space: (row, _, ctx) => referenced(ctx.loaders.embeddingSpace, row.spaceId, 'embedding space'),
    job: (row, _, ctx) => (row.jobId === null ? null : ctx.loaders.job.load(row.jobId)),
    explainedVariance: (row) => {
      const explained = row.details.explainedVariance;
      return Array.isArray(explained) ? (explained as number[]) : null;
    },
    bounds: (row) =>
      row.status === 'COMPLETE' && row.details.bounds
        ? (row.details.bounds as { minX: number; minY: number; maxX: number; maxY: number })
        : null,
    coordinatesUrl: (row) => binaryPath(row.id, 'coordinates'),
    ordinalsUrl: (row) => binaryPath(row.id, 'ordinals'),
    valuesUrl: (row) => binaryPath(row.id, 'values'),
    points: async (row, args, ctx) => {
      const first = args.first ?? 100;
      if (!Number.isInteger(first) || first < 0 || first > MAX_POINTS_PAGE) {
        throw new BadInputError(`first must be an integer from 0 to ${MAX_POINTS_PAGE} (got ${first})`, {
          argument: 'first',
        });
      }
      const offset = args.after ? Number(decodeCursor(POINTS_CURSOR, args.after)[0]) + 1 : 0;
      const points = await projectionPoints(ctx.db, row, offset, first + 1);
      return toConnection(toPage(points, first, (p) => encodeCursor(POINTS_CURSOR, [p.index])));
    },
  },
  ProjectionPointEdge: edgeResolvers,
};
