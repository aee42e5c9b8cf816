import type { Resolvers } from '../generated/types.js';
import type { Context } from '../context.js';
import { fromGlobalId, type NodeType } from '../../globalId.js';
import { DateTimeScalar, JSONScalar } from '../scalars.js';
import { pageInfoResolvers } from '../connection.js';
import type { NodeParent } from '../parents.js';

type NodeLoader<T extends NodeType> = (
  ctx: Context,
  id: number,
) => Promise<Extract<NodeParent, { __typename: T }> | null>;

/** A Node type's loader, its rows tagged with the type name for `Node.__resolveType`. */
const tagged =
  <T extends NodeType, R extends object>(type: T, load: (ctx: Context, id: number) => Promise<R | null>) =>
  async (ctx: Context, id: number) => {
    const row = await load(ctx, id);
    return row ? { ...row, __typename: type } : null;
  };

const NODE_LOADERS: { [T in NodeType]: NodeLoader<T> } = {
  Dataset: tagged('Dataset', (ctx, id) => ctx.loaders.dataset.load(id)),
  DatasetVersion: tagged('DatasetVersion', (ctx, id) => ctx.loaders.version.load(id)),
  Sample: tagged('Sample', (ctx, id) => ctx.loaders.sample.load(id)),
  Component: tagged('Component', (ctx, id) => ctx.loaders.component.load(id)),
  Algorithm: tagged('Algorithm', (ctx, id) => ctx.loaders.algorithm.load(id)),
  GenerationRun: tagged('GenerationRun', (ctx, id) => ctx.loaders.run.load(id)),
  Job: tagged('Job', (ctx, id) => ctx.loaders.job.load(id)),
  MetricResult: tagged('MetricResult', (ctx, id) => ctx.loaders.metricResult.load(id)),
  EmbeddingSpace: tagged('EmbeddingSpace', (ctx, id) => ctx.loaders.embeddingSpace.load(id)),
  VersionOverlap: tagged('VersionOverlap', (ctx, id) => ctx.loaders.overlapRun.load(id)),
  Projection: tagged('Projection', (ctx, id) => ctx.loaders.projection.load(id)),
};

export const baseResolvers: Resolvers = {
  JSON: JSONScalar,
  DateTime: DateTimeScalar,
  Query: {
    node: (_, args, ctx) => {
      const { type, id } = fromGlobalId(args.id);
      return NODE_LOADERS[type](ctx, id);
    },
    serverInfo: (_, __, ctx) => ctx.facts,
  },
  Mutation: {
    ping: () => true,
  },
  PageInfo: pageInfoResolvers,
  Node: {
    __resolveType: (obj) => obj.__typename,
  },
};
