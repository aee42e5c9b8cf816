import { startJob } from '../jobQuota.js';
import type { Resolvers } from '../generated/types.js';
import { encodeCursor, pageRequest } from '../../catalog/pagination.js';
import type { StoredParamSpec, VersionRow } from '../../db/schema.js';
import { NotFoundError } from '../../errors.js';
import {
  compareVersions,
  metricDeltas,
  paretoFrontier,
  type ParetoPoint,
} from '../../metricRuns/analysis.js';
import { enqueueComputeMetrics } from '../../metricRuns/computeJob.js';
import { MAX_GRAPHQL_SCORES, recordExternalScores } from '../../metricRuns/externalScores.js';
import { sampleScoresOfResult } from '../../metricRuns/results.js';
import { metricsOfAxis } from '../../metrics/registry.js';
import { BadInputError } from '../../errors.js';
import { connectionFromRows, edgeResolvers } from '../connection.js';
import type { Context } from '../context.js';
import { idOf, nodeIdField } from '../../globalId.js';
import { referenced } from './referenced.js';
import { versionOf } from './versionOf.js';

const SCORES_CURSOR = 'sample-scores';

export const metricResolvers: Resolvers = {
  Query: {
    metricDefinitions: (_, args) => metricsOfAxis(args.axis),
    compareVersions: async (_, args, ctx) => {
      const ids = args.versions.map((v, i) => idOf('DatasetVersion', v, `versions[${i}]`));
      await requireVersions(ctx, ids);
      const table = await compareVersions(ctx.db, ids, args.metrics, args.params);
      return {
        metrics: table.metrics,
        warnings: table.warnings,
        rows: table.rows.map((row) => ({
          versionId: row.versionId,
          cells: row.cells.map((cell) => ({
            ...cell,
            value: cell.result?.value ?? null,
            n: cell.result?.n ?? null,
            estimator: cell.result?.estimator ?? null,
          })),
        })),
      };
    },
    paretoFrontier: async (_, args, ctx) => {
      const versionIds = args.scope?.versions?.map((v, i) =>
        idOf('DatasetVersion', v, `scope.versions[${i}]`),
      );
      const result = await paretoFrontier(ctx.db, args.x, args.y, {
        datasetSlugs: args.scope?.datasets,
        versionIds,
      });
      const point = (p: ParetoPoint) => ({
        versionId: p.versionId,
        x: p.x.value,
        y: p.y.value,
        xResult: p.x,
        yResult: p.y,
        onFrontier: p.onFrontier,
      });
      return {
        xDirection: result.xDirection,
        yDirection: result.yDirection,
        points: result.points.map(point),
        frontier: result.points.filter((p) => p.onFrontier).map(point),
        excluded: result.excluded.map((e) => ({ versionId: e.versionId, reason: e.reason })),
      };
    },
  },
  Mutation: {
    computeMetrics: (_, args, ctx) =>
      startJob(ctx, () =>
        enqueueComputeMetrics(
          ctx.db,
          idOf('DatasetVersion', args.version, 'version'),
          args.metrics,
          args.params,
          {
            embedders: ctx.embedders,
            resolveVersion: async (reference) =>
              typeof reference === 'number' || /^[0-9]+$/.test(reference)
                ? Number(reference)
                : idOf('DatasetVersion', reference, 'base'),
          },
        ),
      ),
    recordSampleScores: async (_, args, ctx) => {
      if (args.scores.length > MAX_GRAPHQL_SCORES) {
        throw new BadInputError(
          `scores has ${args.scores.length} entries; at most ${MAX_GRAPHQL_SCORES} per call (use POST /v1/versions/{id}/scores for more)`,
          { field: 'scores' },
        );
      }
      const versionId = idOf('DatasetVersion', args.version, 'version');
      const scores = args.scores.map((s, i) => ({
        sampleId: s.sample ? idOf('Sample', s.sample, `scores[${i}].sample`) : null,
        ordinal: s.ordinal,
        value: s.value,
        where: `scores[${i}]`,
      }));
      return recordExternalScores(ctx.database, versionId, args.scorer, [scores]);
    },
  },
  DatasetVersion: {
    metrics: (row, args, ctx) => {
      if (args.succeededOnly && args.includeRunning)
        throw new BadInputError('metrics: succeededOnly and includeRunning cannot both be true', {
          field: 'includeRunning',
        });
      return ctx.loaders
        .versionMetrics(args.keys, args.includeRunning ?? false, args.succeededOnly ?? false)
        .load(row.id);
    },
    sampleScores: async (row, args, ctx) => {
      const page = pageRequest(SCORES_CURSOR, args.first, args.after);
      const result = await pickResult(ctx, row, args.metric, args.result);
      if (!result) return { result: null, ...connectionFromRows([], 0, () => '') };
      const after = page.after ? Number(page.after[0]) : -1;
      const rows = await sampleScoresOfResult(ctx.db, result.id, after, page.first + 1);
      return {
        result,
        ...connectionFromRows(rows, page.first, (score) => encodeCursor(SCORES_CURSOR, [score.ordinal])),
      };
    },
    metricDeltas: (row, args, ctx) => metricDeltas(ctx.db, row.id, args.metrics),
  },
  MetricDefinition: {
    parameters: (definition) => parametersOf(definition.params),
    citation: (definition) => definition.citation ?? '',
    sampleValue: (definition) => definition.sampleValue ?? null,
  },
  MetricResult: {
    id: nodeIdField('MetricResult'),
    definition: (result, _, ctx) =>
      result.definitionId === null ? null : ctx.loaders.metricDefinition.load(result.definitionId),
    scorer: (result, _, ctx) => (result.scorerId === null ? null : ctx.loaders.scorer.load(result.scorerId)),
    version: versionOf,
    job: (result, _, ctx) => (result.jobId === null ? null : ctx.loaders.job.load(result.jobId)),
  },
  SampleScoreEdge: edgeResolvers,
  SampleScore: {
    sample: (score, _, ctx) => referenced(ctx.loaders.sample, score.sampleId, 'sample'),
  },
  MetricDelta: {
    parent: (delta, _, ctx) => referenced(ctx.loaders.version, delta.parentVersionId, 'version'),
  },
  VersionComparisonRow: { version: versionOf },
  ParetoPoint: { version: versionOf },
  ParetoExclusion: { version: versionOf },
};

/** A definition's parameters (as the registry defines or the catalog stores them), one entry each. */
function parametersOf(params: Record<string, StoredParamSpec>) {
  return Object.entries(params).map(([name, spec]) => ({
    name,
    ...spec,
    default: spec.default ?? null,
    required: !('default' in spec),
    operational: spec.operational ?? false,
    min: spec.min ?? null,
    max: spec.max ?? null,
    values: spec.values ? [...spec.values] : null,
  }));
}

async function requireVersions(ctx: Context, ids: readonly number[]): Promise<void> {
  const rows = await ctx.loaders.version.loadMany(ids);
  rows.forEach((row, i) => {
    if (!row || row instanceof Error) throw new NotFoundError(`no version with id ${ids[i]}`, { id: ids[i] });
  });
}

async function pickResult(
  ctx: Context,
  version: VersionRow,
  metric?: string | null,
  resultId?: string | null,
) {
  if (resultId) {
    const result = await ctx.loaders.metricResult.load(idOf('MetricResult', resultId, 'result'));
    if (!result || result.versionId !== version.id) {
      throw new NotFoundError(`result ${resultId} does not belong to this version`, { argument: 'result' });
    }
    return result;
  }
  if (!metric) throw new BadInputError('give metric or result', { argument: 'metric' });
  const latest = await ctx.loaders.versionMetrics([metric], false).load(version.id);
  return latest.find((r) => r.status !== 'FAILED') ?? null;
}
