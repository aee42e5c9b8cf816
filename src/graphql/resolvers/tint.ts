import { startJob } from '../jobQuota.js';
import type { Resolvers } from '../generated/types.js';
import type { JobRow, VersionRow } from '../../db/schema.js';
import { enqueueTIntGeneration, TINT_GENERATE_JOB } from '../../generation/tintJob.js';

const pairOf = <T>(range: { min: T; max: T } | null | undefined): [T, T] | null =>
  range ? [range.min, range.max] : null;

/** Version ids a finished job wrote, from its result. */
function versionIdsOf(job: JobRow): number[] {
  if (job.kind !== TINT_GENERATE_JOB || !job.result) return [];
  const result = job.result as { train?: { versionId: number } | null; test?: { versionId: number } | null };
  return [result.train?.versionId, result.test?.versionId].filter(
    (id): id is number => typeof id === 'number',
  );
}

export const tintResolvers: Resolvers = {
  Mutation: {
    generateTIntDataset: (_, { input }, ctx) =>
      startJob(ctx, () =>
        enqueueTIntGeneration(
          ctx.db,
          {
            dataset: input.dataset,
            testDataset: input.testDataset,
            op: input.op.toLowerCase(),
            digits: pairOf(input.digits),
            range: pairOf(input.range),
            length: pairOf(input.length),
            n: input.n,
            testN: input.testN,
            static: input.static
              ? { doc: input.static.doc, char: input.static.char ?? 0, line: input.static.line ?? 0 }
              : null,
            dynamic: input.dynamic,
            calls: input.calls?.toLowerCase(),
            lineCap: input.lineCap,
            seed: input.seed,
          },
          ctx.limits.tintMaxSamples,
        ),
      ),
  },
  Job: {
    versions: async (job, _, ctx) => {
      const rows = await ctx.loaders.version.loadMany(versionIdsOf(job));
      return rows.filter((row): row is VersionRow => row !== null && !(row instanceof Error));
    },
  },
};
