import { roleAllows } from '../../auth/apiKeys.js';
import type { Context } from '../context.js';
import type { Resolvers } from '../generated/types.js';
import {
  listAlgorithms,
  listComponents,
  findAlgorithmsBy,
  findComponentsBy,
  upsertAlgorithm,
  upsertComponent,
} from '../../catalog/taxonomy/taxonomy.js';
import { nodeIdField } from '../../globalId.js';
import { referenced } from './referenced.js';

/** Built-in taxonomy entries change only for the admin role (anyone when auth is off). */
function mayEditBuiltin(ctx: Context): boolean {
  return ctx.facts.auth === 'off' || (ctx.role !== null && roleAllows(ctx.role, 'admin'));
}

export const taxonomyResolvers: Resolvers = {
  Query: {
    components: (_, args, ctx) => listComponents(ctx.db, args.stage),
    component: async (_, args, ctx) => (await findComponentsBy(ctx.db, 'key', [args.key]))[0] ?? null,
    algorithms: (_, args, ctx) => listAlgorithms(ctx.db, args),
    algorithm: async (_, args, ctx) => (await findAlgorithmsBy(ctx.db, 'key', [args.key]))[0] ?? null,
  },
  Mutation: {
    upsertComponent: (_, args, ctx) =>
      upsertComponent(ctx.db, args.input, { mayEditBuiltin: mayEditBuiltin(ctx) }),
    upsertAlgorithm: (_, args, ctx) =>
      upsertAlgorithm(ctx.db, args.input, { mayEditBuiltin: mayEditBuiltin(ctx) }),
  },
  Component: {
    id: nodeIdField('Component'),
    quality: (row) => row.qualityEffect,
    diversity: (row) => row.diversityEffect,
    complexity: (row) => row.complexityEffect,
    usedBy: async (row, _, ctx) =>
      (await ctx.loaders.algorithmsUsingComponent.load(row.id)).map((r) => r.algorithm),
  },
  Algorithm: {
    id: nodeIdField('Algorithm'),
    components: (row, _, ctx) => ctx.loaders.algorithmSteps.load(row.id),
  },
  AlgorithmStep: {
    component: (row, _, ctx) => referenced(ctx.loaders.component, row.componentId, 'component'),
  },
};
