/**
 * One set of DataLoaders per request: every type field reads through these, so a list of N parents
 * costs one query per field, not N. Batch functions return one result per key, in key order.
 */
import DataLoader from 'dataloader';
import type { Executor } from '../db/connect.js';
import type {
  AlgorithmComponentRow,
  AlgorithmRow,
  ComponentRow,
  DatasetRow,
  GenerationRunRow,
  RunInputRow,
  SampleRow,
  VersionRow,
} from '../db/schema.js';
import { findDatasetsByIds } from '../catalog/datasets.js';
import { findRunsBy, inputsOfRuns, neighboursOfVersions, type LineageLinkRow } from '../catalog/lineage.js';
import type { Page, PageRequest } from '../catalog/pagination.js';
import {
  algorithmsUsingComponents,
  findAlgorithmsBy,
  findComponentsBy,
  stepsOfAlgorithms,
} from '../catalog/taxonomy/taxonomy.js';
import {
  findSamplesByIds,
  findVersionsByIds,
  latestVersionsOfDatasets,
  listVersionsOfDatasets,
} from '../catalog/versions.js';
import { createBatchScheduler } from './batchScheduler.js';
import type { ApiKeyRow, JobRow, MetricDefinitionRow, ScorerRow } from '../db/schema.js';
import { findApiKeysByIds } from '../auth/apiKeys.js';
import { findJobsByIds } from '../jobs/queue.js';
import type { EmbeddingSpaceRow, OverlapRunRow, ProjectionRow } from '../db/schema.js';
import { findProjectionsByIds } from '../embeddings/projections.js';
import {
  coverageOfVersions,
  findSpacesByIds,
  vectorCounts,
  type VersionCoverage,
} from '../embeddings/spaces.js';
import { findOverlapRunsByIds } from '../embeddings/overlaps.js';
import { findDefinitionsByIds, findScorersByIds } from '../metricRuns/lookups.js';
import {
  findResultsByIds,
  findResultsOfJobs,
  latestResultsOfVersions,
  type MetricResultView,
} from '../metricRuns/results.js';

export type Loaders = ReturnType<typeof createLoaders>;

export function createLoaders(db: Executor) {
  const scheduler = createBatchScheduler();
  const loader = <K, V>(batch: (keys: readonly K[]) => Promise<V[]>) =>
    new DataLoader<K, V>((keys) => scheduler.track(batch(keys)), { batchScheduleFn: scheduler.schedule });

  const byId = <K extends string | number, T>(
    fetch: (keys: readonly K[]) => Promise<T[]>,
    keyOf: (row: T) => K,
  ) =>
    loader<K, T | null>(async (keys) => {
      const rows = await fetch(keys);
      const map = new Map(rows.map((r) => [keyOf(r), r]));
      return keys.map((k) => map.get(k) ?? null);
    });
  const grouped = <T>(fetch: (keys: readonly number[]) => Promise<T[]>, keyOf: (row: T) => number) =>
    loader<number, T[]>(async (keys) => {
      const rows = await fetch(keys);
      const map = new Map<number, T[]>();
      for (const row of rows) {
        const list = map.get(keyOf(row));
        if (list) list.push(row);
        else map.set(keyOf(row), [row]);
      }
      return keys.map((k) => map.get(k) ?? []);
    });

  // Connections batch per page request: keys that share `first`/`after` share one query.
  const versionPages = new Map<string, DataLoader<number, Page<VersionRow>>>();
  const versionMetricLoaders = new Map<string, DataLoader<number, MetricResultView[]>>();

  return {
    dataset: byId<number, DatasetRow>(
      (ids) => findDatasetsByIds(db, ids),
      (r) => r.id,
    ),
    version: byId<number, VersionRow>(
      (ids) => findVersionsByIds(db, ids),
      (r) => r.id,
    ),
    sample: byId<number, SampleRow>(
      (ids) => findSamplesByIds(db, ids),
      (r) => r.id,
    ),
    component: byId<number, ComponentRow>(
      (ids) => findComponentsBy(db, 'id', ids),
      (r) => r.id,
    ),
    algorithm: byId<number, AlgorithmRow>(
      (ids) => findAlgorithmsBy(db, 'id', ids),
      (r) => r.id,
    ),
    run: byId<number, GenerationRunRow>(
      (ids) => findRunsBy(db, 'id', ids),
      (r) => r.id,
    ),
    // No priming across loaders here: whether a prime lands before a load depends on which reply
    // arrives first, which would make statement counts vary from run to run.
    runByOutputVersion: byId<number, GenerationRunRow>(
      (ids) => findRunsBy(db, 'outputVersionId', ids),
      (r) => r.outputVersionId,
    ),
    runInputs: grouped<RunInputRow>(
      (ids) => inputsOfRuns(db, ids),
      (r) => r.runId,
    ),
    parents: grouped<LineageLinkRow>(
      (ids) => neighboursOfVersions(db, ids, 'UPSTREAM'),
      (r) => r.versionId,
    ),
    children: grouped<LineageLinkRow>(
      (ids) => neighboursOfVersions(db, ids, 'DOWNSTREAM'),
      (r) => r.versionId,
    ),
    algorithmSteps: grouped<AlgorithmComponentRow>(
      (ids) => stepsOfAlgorithms(db, ids),
      (r) => r.algorithmId,
    ),
    algorithmsUsingComponent: grouped(
      (ids) => algorithmsUsingComponents(db, ids),
      (r) => r.componentId,
    ),
    latestVersion: loader<number, VersionRow | null>(async (ids) => {
      const latest = await latestVersionsOfDatasets(db, ids);
      return ids.map((id) => latest.get(id) ?? null);
    }),
    job: byId<number, JobRow>(
      (ids) => findJobsByIds(db, ids),
      (r) => r.id,
    ),
    apiKey: byId<number, ApiKeyRow>(
      (ids) => findApiKeysByIds(db, ids),
      (r) => r.id,
    ),
    metricResult: byId<number, MetricResultView>(
      (ids) => findResultsByIds(db, ids),
      (r) => r.id,
    ),
    metricDefinition: byId<number, MetricDefinitionRow>(
      (ids) => findDefinitionsByIds(db, ids),
      (r) => r.id,
    ),
    scorer: byId<number, ScorerRow>(
      (ids) => findScorersByIds(db, ids),
      (r) => r.id,
    ),
    resultsOfJob: grouped<MetricResultView>(
      (ids) => findResultsOfJobs(db, ids),
      (r) => r.jobId!,
    ),
    embeddingSpace: byId<number, EmbeddingSpaceRow>(
      (ids) => findSpacesByIds(db, ids),
      (r) => r.id,
    ),
    overlapRun: byId<number, OverlapRunRow>(
      (ids) => findOverlapRunsByIds(db, ids),
      (r) => r.id,
    ),
    projection: byId<number, ProjectionRow>(
      (ids) => findProjectionsByIds(db, ids),
      (r) => r.id,
    ),
    vectorCount: loader<number, number>(async (ids) => {
      const counts = await vectorCounts(db, ids);
      return ids.map((id) => counts.get(id) ?? 0);
    }),
    embeddingCoverage: grouped<VersionCoverage>(
      (ids) => coverageOfVersions(db, ids),
      (r) => r.versionId,
    ),
    /** Newest result per (metric, params) of each version; one loader per distinct filter. */
    versionMetrics(
      metrics: readonly string[] | null | undefined,
      includeRunning: boolean,
      succeededOnly = false,
    ): DataLoader<number, MetricResultView[]> {
      const key = JSON.stringify([metrics ?? null, includeRunning, succeededOnly]);
      let found = versionMetricLoaders.get(key);
      if (!found) {
        found = loader<number, MetricResultView[]>(async (ids) => {
          const byVersion = await latestResultsOfVersions(db, ids, {
            metrics,
            finishedOnly: !includeRunning,
            succeededOnly,
          });
          return ids.map((id) => byVersion.get(id) ?? []);
        });
        versionMetricLoaders.set(key, found);
      }
      return found;
    },
    versionsPage(page: PageRequest): DataLoader<number, Page<VersionRow>> {
      const key = JSON.stringify(page);
      let pages = versionPages.get(key);
      if (!pages) {
        pages = loader<number, Page<VersionRow>>(async (ids) => {
          const byDataset = await listVersionsOfDatasets(db, ids, page);
          return ids.map((id) => byDataset.get(id)!);
        });
        versionPages.set(key, pages);
      }
      return pages;
    },
  };
}
