import { startJob } from '../jobQuota.js';
import type { Resolvers } from '../generated/types.js';
import { roleAllows } from '../../auth/apiKeys.js';
import { NotFoundError } from '../../errors.js';
import { enqueueEmbedVersion } from '../../embeddings/embedJob.js';
import { enqueueFindOverlap } from '../../embeddings/overlapJob.js';
import { latestOverlapRun, listOverlapPairs, OVERLAP_PAIRS_CURSOR } from '../../embeddings/overlaps.js';
import {
  requireStoredSpace,
  searchDatasetsByText,
  searchSamplesByText,
  similarToSample,
} from '../../embeddings/sampleSearch.js';
import type { ScorePredicate, SearchScope } from '../../embeddings/search.js';
import { ensureSpace, listSpaces } from '../../embeddings/spaces.js';
import { pageRequest } from '../../catalog/pagination.js';
import { edgeResolvers, toConnection } from '../connection.js';
import type { Context } from '../context.js';
import { idOf, nodeIdField } from '../../globalId.js';
import { referenced } from './referenced.js';
import { versionOf } from './versionOf.js';

interface ScopeInput {
  datasets?: string[] | null;
  versions?: string[] | null;
  descendantsOf?: string | null;
  scores?: ScorePredicate[] | null;
}

async function scopeOf(ctx: Context, input: ScopeInput | null | undefined): Promise<SearchScope> {
  if (!input) return {};
  const datasetIds = (input.datasets ?? []).map((id) => idOf('Dataset', id, 'scope.datasets'));
  const versionIds = (input.versions ?? []).map((id) => idOf('DatasetVersion', id, 'scope.versions'));
  const descendantsOf = input.descendantsOf
    ? idOf('DatasetVersion', input.descendantsOf, 'scope.descendantsOf')
    : null;
  await requireAll(ctx, 'dataset', datasetIds);
  await requireAll(ctx, 'version', [...versionIds, ...(descendantsOf === null ? [] : [descendantsOf])]);
  return { datasetIds, versionIds, descendantsOf, scores: input.scores ?? [] };
}

async function requireAll(ctx: Context, kind: 'dataset' | 'version', ids: readonly number[]): Promise<void> {
  const rows = await ctx.loaders[kind].loadMany(ids);
  rows.forEach((row, i) => {
    if (!row || row instanceof Error) throw new NotFoundError(`no ${kind} with id ${ids[i]}`, { id: ids[i] });
  });
}

const withSimilarity = <T extends { distance: number }>(hit: T) => ({ ...hit, similarity: 1 - hit.distance });

export const searchResolvers: Resolvers = {
  Query: {
    embeddingSpaces: async (_, __, ctx) => {
      const { embedder, fallback } = await ctx.embedders.defaultSpace();
      const defaultSpace = await ensureSpace(ctx.db, embedder);
      return { default: defaultSpace, fallback, spaces: await listSpaces(ctx.db) };
    },
    searchSamples: async (_, args, ctx) => {
      const result = await searchSamplesByText(ctx.database, ctx.embedders, {
        ...args,
        scope: await scopeOf(ctx, args.scope),
      });
      return { ...result, hits: result.hits.map(withSimilarity) };
    },
    similarSamples: async (_, args, ctx) => {
      const result = await similarToSample(ctx.database, ctx.embedders, {
        sampleId: idOf('Sample', args.sample, 'sample'),
        k: args.k,
        scope: await scopeOf(ctx, args.scope),
        space: args.space,
        exact: args.exact,
      });
      return { ...result, hits: result.hits.map(withSimilarity) };
    },
    searchDatasets: async (_, args, ctx) => {
      const mayAddSpace = ctx.facts.auth === 'off' || (ctx.role !== null && roleAllows(ctx.role, 'writer'));
      const result = await searchDatasetsByText(ctx.database, ctx.embedders, args, { mayAddSpace });
      return { ...result, hits: result.hits.map(withSimilarity) };
    },
  },
  Mutation: {
    embedVersion: (_, args, ctx) =>
      startJob(ctx, () =>
        enqueueEmbedVersion(
          ctx.db,
          ctx.embedders,
          idOf('DatasetVersion', args.version, 'version'),
          args.space,
        ),
      ),
    findOverlap: (_, args, ctx) =>
      startJob(ctx, () =>
        enqueueFindOverlap(ctx.db, ctx.embedders, {
          versionId: idOf('DatasetVersion', args.version, 'version'),
          againstId: args.against ? idOf('DatasetVersion', args.against, 'against') : null,
          threshold: args.threshold,
          space: args.space,
        }),
      ),
  },
  DatasetVersion: {
    overlaps: async (version, args, ctx) => {
      const againstId = args.against ? idOf('DatasetVersion', args.against, 'against') : version.id;
      const space = args.space ? await requireStoredSpace(ctx.database, ctx.embedders, args.space) : null;
      return latestOverlapRun(ctx.db, version.id, againstId, space?.id ?? null);
    },
    embeddings: async (version, _, ctx) =>
      (await ctx.loaders.embeddingCoverage.load(version.id)).map((c) => ({
        ...c,
        samples: version.sampleCount,
      })),
  },
  MetricResult: {
    space: (result, _, ctx) =>
      result.spaceId === null ? null : ctx.loaders.embeddingSpace.load(result.spaceId),
  },
  EmbeddingSpace: {
    id: nodeIdField('EmbeddingSpace'),
    isDefault: async (space, _, ctx) => (await ctx.embedders.defaultSpace()).embedder.key === space.key,
    vectorCount: (space, _, ctx) => ctx.loaders.vectorCount.load(space.id),
    indexed: (space) => space.indexedAt !== null,
  },
  EmbeddingCoverage: {
    space: (coverage, _, ctx) => referenced(ctx.loaders.embeddingSpace, coverage.spaceId, 'embedding space'),
  },
  SampleSearchHit: {
    sample: (hit, _, ctx) => referenced(ctx.loaders.sample, hit.sampleId, 'sample'),
    version: versionOf,
  },
  DatasetSearchHit: {
    dataset: (hit, _, ctx) => referenced(ctx.loaders.dataset, hit.datasetId, 'dataset'),
  },
  VersionOverlap: {
    id: nodeIdField('VersionOverlap'),
    version: versionOf,
    against: (run, _, ctx) => referenced(ctx.loaders.version, run.againstVersionId, 'version'),
    space: (run, _, ctx) => referenced(ctx.loaders.embeddingSpace, run.spaceId, 'embedding space'),
    job: (run, _, ctx) => (run.jobId === null ? null : ctx.loaders.job.load(run.jobId)),
    contaminationRate: (run) =>
      run.matchedSamples === null || !run.sampleCount
        ? run.sampleCount === 0
          ? 0
          : null
        : run.matchedSamples / run.sampleCount,
    pairs: async (run, args, ctx) =>
      toConnection(
        await listOverlapPairs(
          ctx.db,
          run.id,
          pageRequest(OVERLAP_PAIRS_CURSOR, args.first, args.after),
          args.kind ?? null,
        ),
      ),
  },
  SampleOverlapEdge: edgeResolvers,
  SampleOverlap: {
    sample: (pair, _, ctx) => referenced(ctx.loaders.sample, pair.sampleId, 'sample'),
    matched: (pair, _, ctx) => referenced(ctx.loaders.sample, pair.matchedSampleId, 'sample'),
  },
};
