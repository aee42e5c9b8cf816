import type { EmbeddingSpaceRow, OverlapRunRow, VersionRow } from '../../db/schema.js';
import { NotFoundError } from '../../errors.js';
import { enqueueEmbedVersion } from '../../embeddings/embedJob.js';
import { enqueueFindOverlap } from '../../embeddings/overlapJob.js';
import {
  latestOverlapRun,
  listOverlapPairs,
  OVERLAP_PAIRS_CURSOR,
  type OverlapPair,
} from '../../embeddings/overlaps.js';
import {
  requireStoredSpace,
  searchDatasetsByText,
  searchSamplesByText,
  similarToSample,
  type DatasetHit,
} from '../../embeddings/sampleSearch.js';
import type { ScorePredicate, SearchHit, SearchScope } from '../../embeddings/search.js';
import { ensureSpace, listSpaces, type VersionCoverage } from '../../embeddings/spaces.js';
import { pageRequest } from '../../catalog/pagination.js';
import { edgeResolvers, toConnection } from '../connection.js';
import type { Context } from '../context.js';
import { idOf, nodeIdField } from '../../globalId.js';
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

export const searchResolvers = {
  Query: {
    embeddingSpaces: async (_: unknown, __: unknown, ctx: Context) => {
      const { embedder, fallback } = await ctx.embedders.defaultSpace();
      const defaultSpace = await ensureSpace(ctx.db, embedder);
      return { default: defaultSpace, fallback, spaces: await listSpaces(ctx.db) };
    },
    searchSamples: async (
      _: unknown,
      args: {
        query: string;
        k: number;
        scope?: ScopeInput | null;
        space?: string | null;
        exact?: boolean | null;
      },
      ctx: Context,
    ) => {
      const result = await searchSamplesByText(ctx.database, ctx.embedders, {
        ...args,
        scope: await scopeOf(ctx, args.scope),
      });
      return { ...result, hits: result.hits.map(withSimilarity) };
    },
    similarSamples: async (
      _: unknown,
      args: {
        sample: string;
        k: number;
        scope?: ScopeInput | null;
        space?: string | null;
        exact?: boolean | null;
      },
      ctx: Context,
    ) => {
      const result = await similarToSample(ctx.database, ctx.embedders, {
        sampleId: idOf('Sample', args.sample, 'sample'),
        k: args.k,
        scope: await scopeOf(ctx, args.scope),
        space: args.space,
        exact: args.exact,
      });
      return { ...result, hits: result.hits.map(withSimilarity) };
    },
    searchDatasets: async (
      _: unknown,
      args: { query: string; k: number; space?: string | null },
      ctx: Context,
    ) => {
      const result = await searchDatasetsByText(ctx.database, ctx.embedders, args);
      return { ...result, hits: result.hits.map(withSimilarity) };
    },
  },
  Mutation: {
    embedVersion: (_: unknown, args: { version: string; space?: string | null }, ctx: Context) =>
      enqueueEmbedVersion(ctx.db, ctx.embedders, idOf('DatasetVersion', args.version, 'version'), args.space),
    findOverlap: (
      _: unknown,
      args: { version: string; against?: string | null; threshold: number; space?: string | null },
      ctx: Context,
    ) =>
      enqueueFindOverlap(ctx.db, ctx.embedders, {
        versionId: idOf('DatasetVersion', args.version, 'version'),
        againstId: args.against ? idOf('DatasetVersion', args.against, 'against') : null,
        threshold: args.threshold,
        space: args.space,
      }),
  },
  DatasetVersion: {
    overlaps: async (
      version: VersionRow,
      args: { against?: string | null; space?: string | null },
      ctx: Context,
    ) => {
      const againstId = args.against ? idOf('DatasetVersion', args.against, 'against') : version.id;
      const space = args.space ? await requireStoredSpace(ctx.database, ctx.embedders, args.space) : null;
      return latestOverlapRun(ctx.db, version.id, againstId, space?.id ?? null);
    },
    embeddings: async (version: VersionRow, _: unknown, ctx: Context) =>
      (await ctx.loaders.embeddingCoverage.load(version.id)).map((c: VersionCoverage) => ({
        ...c,
        samples: version.sampleCount,
      })),
  },
  MetricResult: {
    space: (result: { spaceId: number | null }, _: unknown, ctx: Context) =>
      result.spaceId === null ? null : ctx.loaders.embeddingSpace.load(result.spaceId),
  },
  EmbeddingSpace: {
    id: nodeIdField('EmbeddingSpace'),
    isDefault: async (space: EmbeddingSpaceRow, _: unknown, ctx: Context) =>
      (await ctx.embedders.defaultSpace()).embedder.key === space.key,
    vectorCount: (space: EmbeddingSpaceRow, _: unknown, ctx: Context) =>
      ctx.loaders.vectorCount.load(space.id),
    indexed: (space: EmbeddingSpaceRow) => space.indexedAt !== null,
  },
  EmbeddingCoverage: {
    space: (coverage: VersionCoverage, _: unknown, ctx: Context) =>
      ctx.loaders.embeddingSpace.load(coverage.spaceId),
  },
  SampleSearchHit: {
    sample: (hit: SearchHit, _: unknown, ctx: Context) => ctx.loaders.sample.load(hit.sampleId),
    version: versionOf,
  },
  DatasetSearchHit: {
    dataset: (hit: DatasetHit, _: unknown, ctx: Context) => ctx.loaders.dataset.load(hit.datasetId),
  },
  VersionOverlap: {
    id: nodeIdField('VersionOverlap'),
    version: versionOf,
    against: (run: OverlapRunRow, _: unknown, ctx: Context) => ctx.loaders.version.load(run.againstVersionId),
    space: (run: OverlapRunRow, _: unknown, ctx: Context) => ctx.loaders.embeddingSpace.load(run.spaceId),
    job: (run: OverlapRunRow, _: unknown, ctx: Context) =>
      run.jobId === null ? null : ctx.loaders.job.load(run.jobId),
    contaminationRate: (run: OverlapRunRow) =>
      run.matchedSamples === null || !run.sampleCount
        ? run.sampleCount === 0
          ? 0
          : null
        : run.matchedSamples / run.sampleCount,
    pairs: async (
      run: OverlapRunRow,
      args: { first?: number | null; after?: string | null; kind?: 'EXACT' | 'NEAR' | null },
      ctx: Context,
    ) =>
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
    sample: (pair: OverlapPair, _: unknown, ctx: Context) => ctx.loaders.sample.load(pair.sampleId),
    matched: (pair: OverlapPair, _: unknown, ctx: Context) => ctx.loaders.sample.load(pair.matchedSampleId),
  },
};
