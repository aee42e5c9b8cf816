/**
 * Everything the interchange formats (Croissant, OpenLineage) say about one version, read in a
 * handful of queries: the version and its dataset, its generating run with the inputs (and their
 * datasets), the run's algorithm, and the newest successful result of every metric.
 */
import { findDatasetsByIds } from '../catalog/datasets.js';
import { findRunsBy, inputsOfRuns, type InputRole } from '../catalog/lineage.js';
import { findAlgorithmsBy } from '../catalog/taxonomy/taxonomy.js';
import { findVersionsByIds } from '../catalog/versions.js';
import type { Executor } from '../db/connect.js';
import type { AlgorithmRow, DatasetRow, GenerationRunRow, VersionRow } from '../db/schema.js';
import { NotFoundError } from '../errors.js';
import { latestResultsOfVersions, type MetricResultView } from '../metricRuns/results.js';

export interface VersionWithDataset {
  version: VersionRow;
  dataset: DatasetRow;
}

export interface VersionFacts extends VersionWithDataset {
  run: {
    row: GenerationRunRow;
    algorithm: AlgorithmRow | null;
    inputs: (VersionWithDataset & { role: InputRole })[];
  } | null;
  /** Newest COMPLETE or PARTIAL result per (metric, parameters), by metric key. */
  metrics: MetricResultView[];
}

export async function loadVersionFacts(db: Executor, versionId: number): Promise<VersionFacts> {
  const [version] = await findVersionsByIds(db, [versionId]);
  if (!version || version.status !== 'READY') throw new NotFoundError(`no version with id ${versionId}`);
  const [runRow] = await findRunsBy(db, 'outputVersionId', [versionId]);
  const inputRows = runRow ? await inputsOfRuns(db, [runRow.id]) : [];
  const inputVersions = await findVersionsByIds(
    db,
    inputRows.map((i) => i.inputVersionId),
  );
  const datasets = new Map(
    (await findDatasetsByIds(db, [version.datasetId, ...inputVersions.map((v) => v.datasetId)])).map((d) => [
      d.id,
      d,
    ]),
  );
  const versions = new Map(inputVersions.map((v) => [v.id, v]));
  const algorithm =
    runRow?.algorithmId != null
      ? ((await findAlgorithmsBy(db, 'id', [runRow.algorithmId]))[0] ?? null)
      : null;
  const metrics =
    (await latestResultsOfVersions(db, [versionId], { succeededOnly: true })).get(versionId) ?? [];
  return {
    version,
    dataset: datasets.get(version.datasetId)!,
    run: runRow
      ? {
          row: runRow,
          algorithm,
          inputs: inputRows.map((i) => {
            const v = versions.get(i.inputVersionId)!;
            return { version: v, dataset: datasets.get(v.datasetId)!, role: i.role };
          }),
        }
      : null,
    metrics,
  };
}

/** `slug@N`. */
export function refOf(v: VersionWithDataset): string {
  return `${v.dataset.slug}@${v.version.version}`;
}
