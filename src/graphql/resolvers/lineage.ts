import {
  recordGenerationRun,
  walkLineage,
  type InputRole,
  type LineageDirection,
  type LineageLinkRow,
} from '../../catalog/lineage.js';
import type { GenerationRunRow, RunInputRow, VersionRow } from '../../db/schema.js';
import type { Context } from '../context.js';
import { idOf, nodeIdField } from '../../globalId.js';
import { versionOf } from './versionOf.js';

interface RecordRunArgs {
  input: {
    output: string;
    inputs: { version: string; role: InputRole }[];
    algorithm?: string | null;
    generatorModel?: string | null;
    params?: unknown;
    startedAt?: Date | null;
    finishedAt?: Date | null;
    notes?: string | null;
  };
}

interface LineageArgs {
  input: {
    version: string;
    direction?: LineageDirection | null;
    depth?: number | null;
    maxNodes?: number | null;
  };
}

export const lineageResolvers = {
  Query: {
    lineage: (_: unknown, { input }: LineageArgs, ctx: Context) =>
      walkLineage(ctx.db, {
        versionId: idOf('DatasetVersion', input.version, 'version'),
        ref: input.version,
        direction: input.direction ?? 'UPSTREAM',
        depth: input.depth ?? 3,
        maxNodes: input.maxNodes ?? 100,
      }),
  },
  Mutation: {
    recordGenerationRun: (_: unknown, { input }: RecordRunArgs, ctx: Context) =>
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
    generatedBy: (row: VersionRow, _: unknown, ctx: Context) => ctx.loaders.runByOutputVersion.load(row.id),
    parents: (row: VersionRow, _: unknown, ctx: Context) => ctx.loaders.parents.load(row.id),
    children: (row: VersionRow, _: unknown, ctx: Context) => ctx.loaders.children.load(row.id),
  },
  GenerationRun: {
    id: nodeIdField('GenerationRun'),
    output: (row: GenerationRunRow, _: unknown, ctx: Context) =>
      ctx.loaders.version.load(row.outputVersionId),
    inputs: (row: GenerationRunRow, _: unknown, ctx: Context) => ctx.loaders.runInputs.load(row.id),
    algorithm: (row: GenerationRunRow, _: unknown, ctx: Context) =>
      row.algorithmId === null ? null : ctx.loaders.algorithm.load(row.algorithmId),
  },
  RunInput: {
    version: (row: RunInputRow, _: unknown, ctx: Context) => ctx.loaders.version.load(row.inputVersionId),
  },
  LineageLink: {
    version: (row: LineageLinkRow, _: unknown, ctx: Context) =>
      ctx.loaders.version.load(row.neighbourVersionId),
    run: (row: LineageLinkRow, _: unknown, ctx: Context) => ctx.loaders.run.load(row.runId),
  },
  Lineage: {
    root: (row: { rootVersionId: number }, _: unknown, ctx: Context) =>
      ctx.loaders.version.load(row.rootVersionId),
  },
  LineageNode: {
    version: versionOf,
  },
  LineageEdge: {
    from: (row: { fromVersionId: number }, _: unknown, ctx: Context) =>
      ctx.loaders.version.load(row.fromVersionId),
    to: (row: { toVersionId: number }, _: unknown, ctx: Context) => ctx.loaders.version.load(row.toVersionId),
    run: (row: { runId: number }, _: unknown, ctx: Context) => ctx.loaders.run.load(row.runId),
  },
};
