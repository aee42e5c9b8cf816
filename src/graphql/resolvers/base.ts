import type { Context } from '../context.js';
import { fromGlobalId, type NodeType } from '../../globalId.js';
import { DateTimeScalar, JSONScalar } from '../scalars.js';
import { pageInfoResolvers } from '../connection.js';

const NODE_LOADERS: Record<NodeType, (ctx: Context, id: number) => Promise<unknown>> = {
  Dataset: (ctx, id) => ctx.loaders.dataset.load(id),
  DatasetVersion: (ctx, id) => ctx.loaders.version.load(id),
  Sample: (ctx, id) => ctx.loaders.sample.load(id),
  Component: (ctx, id) => ctx.loaders.component.load(id),
  Algorithm: (ctx, id) => ctx.loaders.algorithm.load(id),
  GenerationRun: (ctx, id) => ctx.loaders.run.load(id),
  Job: (ctx, id) => ctx.loaders.job.load(id),
  MetricResult: (ctx, id) => ctx.loaders.metricResult.load(id),
  EmbeddingSpace: (ctx, id) => ctx.loaders.embeddingSpace.load(id),
  VersionOverlap: (ctx, id) => ctx.loaders.overlapRun.load(id),
};

export const baseResolvers = {
  JSON: JSONScalar,
  DateTime: DateTimeScalar,
  Query: {
    node: async (_: unknown, args: { id: string }, ctx: Context) => {
      const { type, id } = fromGlobalId(args.id);
      const row = await NODE_LOADERS[type](ctx, id);
      return row ? { ...(row as object), __typename: type } : null;
    },
    serverInfo: (_: unknown, __: unknown, ctx: Context) => ctx.facts,
  },
  Mutation: {
    ping: () => true,
  },
  PageInfo: pageInfoResolvers,
  Node: {
    __resolveType: (obj: { __typename?: string }) => obj.__typename ?? null,
  },
};
