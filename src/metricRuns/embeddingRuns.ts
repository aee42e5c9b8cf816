/**
 * Binding embedding-based metric runs to stored vectors before they are queued: the `space`
 * parameter becomes the concrete space name (so "the default" never hides which model was used and
 * results stay comparable), `version` parameters become numeric ids, and every version involved
 * must already have a vector for each sample in that space.
 */
import type { Executor } from '../db/connect.js';
import type { EmbeddingSpaceRow, VersionRow } from '../db/schema.js';
import { BadInputError, NotFoundError } from '../errors.js';
import { findVersionsByIds } from '../catalog/versions.js';
import type { EmbedderRegistry } from '../embeddings/registry.js';
import { parseSpaceKey, spaceKey } from '../embeddings/spaceKey.js';
import { coverageOfVersions, embeddedCount, findSpaceByKey } from '../embeddings/spaces.js';
import { metricParamsHash } from '../metrics/params.js';
import { readsEmbeddings } from '../metrics/registry.js';
import type { ResolvedMetricRun } from './metricRequests.js';

/** Turns a user's reference to a version (numeric id, global id, ...) into its numeric id. */
export type VersionRefResolver = (reference: string | number) => Promise<number>;

export interface BoundRuns {
  runs: ResolvedMetricRun[];
  /** The one space every embedding run reads; null when no run reads vectors. */
  space: EmbeddingSpaceRow | null;
}

export async function bindEmbeddingRuns(
  db: Executor,
  registry: EmbedderRegistry | undefined,
  version: VersionRow,
  runs: readonly ResolvedMetricRun[],
  resolveVersion: VersionRefResolver,
): Promise<BoundRuns> {
  const embeddingRuns = runs.filter((run) => readsEmbeddings(run.metric));
  if (embeddingRuns.length === 0) return { runs: [...runs], space: null };

  const names = new Map<string, string>();
  for (const run of embeddingRuns) {
    const given = String(run.params.space ?? '');
    if (!registry && given === '') {
      throw new BadInputError(
        `${run.metric.key}: name the embedding space (params.space); this process has no default space`,
        { field: 'params' },
      );
    }
    const spec = registry
      ? await registry.specFor(given)
      : parseSpaceKey(given, { revision: 'main', dtype: 'q8' });
    names.set(spaceKey(spec), given);
  }
  if (names.size > 1) {
    throw new BadInputError(
      `one computeMetrics request reads one embedding space; these metrics name ${[...names.keys()].join(' and ')}: request them separately`,
      { field: 'params', spaces: [...names.keys()] },
    );
  }
  const [key] = names.keys();
  const space = await findSpaceByKey(db, key!);
  if (!space) {
    throw new BadInputError(
      `nothing is embedded in space ${key} yet: run embedVersion(version, space: "${key}") first`,
      { space: key },
    );
  }
  await requireFullyEmbedded(db, space, version);

  const bound: ResolvedMetricRun[] = [];
  for (const run of runs) {
    if (!readsEmbeddings(run.metric)) {
      bound.push(run);
      continue;
    }
    const params: Record<string, number | string> = { ...run.params, space: space.key };
    for (const [name, spec] of Object.entries(run.metric.params)) {
      if (spec.type !== 'version') continue;
      const id = await resolveVersion(params[name]!);
      const [other] = await findVersionsByIds(db, [id]);
      if (!other || other.status !== 'READY')
        throw new NotFoundError(`${run.metric.key} parameter "${name}": no version with id ${id}`, { id });
      await requireFullyEmbedded(db, space, other);
      params[name] = id;
    }
    bound.push({ metric: run.metric, params, paramsHash: metricParamsHash(run.metric, params) });
  }
  return { runs: bound, space };
}

async function requireFullyEmbedded(
  db: Executor,
  space: EmbeddingSpaceRow,
  version: VersionRow,
): Promise<void> {
  const embedded = await embeddedCount(db, space.id, version.id);
  if (embedded < version.sampleCount) {
    throw new BadInputError(
      `version ${version.id} has ${embedded} of ${version.sampleCount} samples embedded in space ${space.key}: ` +
        `run embedVersion(version, space: "${space.key}") first`,
      { version: version.id, space: space.key, embedded, samples: version.sampleCount },
    );
  }
}

/**
 * Whether every sample of the version has a vector in the registry's default space (then "all
 * metrics" includes the embedding ones). A version fully embedded in no space at all answers
 * without resolving the default space, which may mean loading (or failing to load) a model.
 */
export async function embeddedInDefaultSpace(
  db: Executor,
  registry: EmbedderRegistry,
  version: VersionRow,
): Promise<boolean> {
  if (version.sampleCount === 0) return false;
  const complete = (await coverageOfVersions(db, [version.id])).filter(
    (c) => c.embedded === version.sampleCount,
  );
  if (complete.length === 0) return false;
  const { embedder } = await registry.defaultSpace();
  const space = await findSpaceByKey(db, embedder.key);
  return space !== null && complete.some((c) => c.spaceId === space.id);
}
