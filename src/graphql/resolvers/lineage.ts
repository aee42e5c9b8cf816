import type { Resolvers } from '../generated/types.js';
import { recordGenerationRun, walkLineage } from '../../catalog/lineage.js';
import { idOf, nodeIdField } from '../../globalId.js';
import { referenced } from './referenced.js';
import { versionOf } from './versionOf.js';

export const lineageResolvers: Resolvers = {
  Query: {
    lineage: (_, { input }, ctx) =>
      walkLineage(ctx.db, {
        versionId: idOf('DatasetVersion', input.version, 'version'),
        ref: input.version,
        direction: input.direction ?? 'UPSTREAM',
        depth: input.depth ?? 3,
        maxNodes: input.maxNodes ?? 100,
      }),
  },
  Mutation: {
    recordGenerationRun: (_, { input }, ctx) =>
      recordGenerationRun(ctx.db, {
        outputVersionId: idOf('DatasetVersion', input.output, 'output'),
        output: { ref: input.output },
        inputs: input.inputs.map((i, n) => ({
          versionId: idOf('DatasetVersion', i.version, `inputs[${n}].version`),
          role: i.role,
          ref: i.version,
        })),
        algorithmKey: input.algorithm,
        generatorModel: input.generatorModel,
        params: input.params,
        startedAt: input.startedAt,
        finishedAt: input.finishedAt,
        notes: input.notes,
      }),
  },
  DatasetVersion: {
    generatedBy: (row, _, ctx) => ctx.loaders.runByOutputVersion.load(row.id),
    parents: (row, _, ctx) => ctx.loaders.parents.load(row.id),
    children: (row, _, ctx) => ctx.loaders.children.load(row.id),
  },
  GenerationRun: {
    id: nodeIdField('GenerationRun'),
    output: (row, _, ctx) => referenced(ctx.loaders.version, row.outputVersionId, 'version'),
    inputs: (row, _, ctx) => ctx.loaders.runInputs.load(row.id),
    algorithm: (row, _, ctx) =>
      row.algorithmId === null ? null : ctx.loaders.algorithm.load(row.algorithmId),
  },
  RunInput: {
    version: (row, _, ctx) => referenced(ctx.loaders.version, row.inputVersionId, 'version'),
  },
  LineageLink: {
    version: (row, _, ctx) => referenced(ctx.loaders.version, row.neighbourVersionId, 'version'),
    run: (row, _, ctx) => referenced(ctx.loaders.run, row.runId, 'generation run'),
  },
  Lineage: {
    root: (row, _, ctx) => referenced(ctx.loaders.version, row.rootVersionId, 'version'),
  },
  LineageNode: {
    version: versionOf,
  },
  LineageEdge: {
    from: (row, _, ctx) => referenced(ctx.loaders.version, row.fromVersionId, 'version'),
    to: (row, _, ctx) => referenced(ctx.loaders.version, row.toVersionId, 'version'),
    run: (row, _, ctx) => referenced(ctx.loaders.run, row.runId, 'generation run'),
  },
};
