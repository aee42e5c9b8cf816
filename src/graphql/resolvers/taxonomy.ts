import {
  listAlgorithms,
  listComponents,
  findAlgorithmsBy,
  findComponentsBy,
  upsertAlgorithm,
  upsertComponent,
  type AlgorithmInput,
  type ComponentInput,
} from '../../catalog/taxonomy/taxonomy.js';
import type { Stage } from '../../catalog/taxonomy/seedTypes.js';
import type { AlgorithmComponentRow, AlgorithmRow, ComponentRow } from '../../db/schema.js';
import type { Context } from '../context.js';
import { nodeIdField } from '../../globalId.js';

export const taxonomyResolvers = {
  Query: {
    components: (_: unknown, args: { stage?: Stage | null }, ctx: Context) =>
      listComponents(ctx.db, args.stage),
    component: async (_: unknown, args: { key: string }, ctx: Context) =>
      (await findComponentsBy(ctx.db, 'key', [args.key]))[0] ?? null,
    algorithms: (
      _: unknown,
      args: { usesComponent?: string | null; nameContains?: string | null },
      ctx: Context,
    ) => listAlgorithms(ctx.db, args),
    algorithm: async (_: unknown, args: { key: string }, ctx: Context) =>
      (await findAlgorithmsBy(ctx.db, 'key', [args.key]))[0] ?? null,
  },
  Mutation: {
    upsertComponent: (_: unknown, args: { input: ComponentInput }, ctx: Context) =>
      upsertComponent(ctx.db, args.input),
    upsertAlgorithm: (_: unknown, args: { input: AlgorithmInput }, ctx: Context) =>
      upsertAlgorithm(ctx.db, args.input),
  },
  Component: {
    id: nodeIdField('Component'),
    quality: (row: ComponentRow) => row.qualityEffect,
    diversity: (row: ComponentRow) => row.diversityEffect,
    complexity: (row: ComponentRow) => row.complexityEffect,
    usedBy: async (row: ComponentRow, _: unknown, ctx: Context) =>
      (await ctx.loaders.algorithmsUsingComponent.load(row.id)).map((r) => r.algorithm),
  },
  Algorithm: {
    id: nodeIdField('Algorithm'),
    components: (row: AlgorithmRow, _: unknown, ctx: Context) => ctx.loaders.algorithmSteps.load(row.id),
  },
  AlgorithmStep: {
    component: (row: AlgorithmComponentRow, _: unknown, ctx: Context) =>
      ctx.loaders.component.load(row.componentId),
  },
};
