/**
 * Export of a version as a Hugging Face dataset directory, ready for `huggingface-cli upload
 * <repo> DIR --repo-type dataset`:
 *
 *   DIR/data/<split>-00000-of-00001.parquet   the samples (the Parquet export, see exportParquet.ts)
 *   DIR/README.md                             the dataset card
 *
 * The card's YAML front matter has the Hub's fields (pretty_name, license, task_categories, tags,
 * configs/data_files, dataset_info with features and the split size) and a `qdc` block with the
 * version, its content hash, every latest finished metric result (value, estimator, n, seed,
 * params, status) and the lineage of the run that generated it (algorithm, generator model,
 * params, inputs with their roles and hashes). The body says the same in tables.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify as toYaml } from 'yaml';
import { findDatasetsByIds } from '../catalog/datasets.js';
import { findRunsBy, inputsOfRuns } from '../catalog/lineage.js';
import { findAlgorithmsBy } from '../catalog/taxonomy/taxonomy.js';
import { findVersionsByIds } from '../catalog/versions.js';
import type { Executor } from '../db/connect.js';
import type { DatasetRow, VersionRow } from '../db/schema.js';
import { BadInputError } from '../errors.js';
import { toGlobalId } from '../globalId.js';
import { latestResultsOfVersions } from '../metricRuns/results.js';
import type { ScoreColumn } from './export.js';
import { exportVersionParquet, extraMessageKeys, scoreColumnName } from './exportParquet.js';

const SPLIT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export interface HfExportOptions {
  split?: string;
  scoreColumns?: readonly ScoreColumn[];
  onRows?: (rows: number) => void;
}

export interface HfExportResult {
  /** Paths written, relative to the directory. */
  files: string[];
  /** The card's YAML front matter, as an object. */
  card: Record<string, unknown>;
}

/** The dataset fields a card shows. */
export type CardDataset = Pick<
  DatasetRow,
  'slug' | 'name' | 'description' | 'task' | 'domain' | 'license' | 'sourceUri' | 'tags'
>;

/** The version fields a card shows; `id` is the global id. */
export interface CardVersion {
  id: string;
  version: number;
  sampleCount: number;
  contentHash: string;
}

/** What the card says about the version's metrics and lineage. */
export interface VersionReport {
  dataset: CardDataset;
  metrics: {
    metric: string;
    value: number | null;
    status: string;
    estimator: string | null;
    n: number | null;
    seed: number | null;
    sampleSize: number | null;
    params: Record<string, unknown>;
    computedAt: string | null;
  }[];
  lineage: {
    algorithm: { key: string; name: string } | null;
    generatorModel: string | null;
    params: Record<string, unknown>;
    startedAt: string | null;
    finishedAt: string | null;
    inputs: { version: string; id: string; role: string; contentHash: string }[];
  } | null;
}

export async function versionReport(db: Executor, version: VersionRow): Promise<VersionReport> {
  const [dataset] = await findDatasetsByIds(db, [version.datasetId]);
  if (!dataset) throw new BadInputError(`version ${version.id} has no dataset`);
  const results =
    (await latestResultsOfVersions(db, [version.id], { succeededOnly: true })).get(version.id) ?? [];
  const metrics = results.map((r) => ({
    metric: r.metric,
    value: r.value,
    status: r.status,
    estimator: r.estimator,
    n: r.n,
    seed: r.seed,
    sampleSize: r.sampleSize,
    params: r.params,
    computedAt: r.computedAt?.toISOString() ?? null,
  }));
  const [run] = await findRunsBy(db, 'outputVersionId', [version.id]);
  let lineage: VersionReport['lineage'] = null;
  if (run) {
    const inputs = await inputsOfRuns(db, [run.id]);
    const versions = await findVersionsByIds(
      db,
      inputs.map((i) => i.inputVersionId),
    );
    const datasets = await findDatasetsByIds(db, [...new Set(versions.map((v) => v.datasetId))]);
    const [algorithm] = run.algorithmId === null ? [] : await findAlgorithmsBy(db, 'id', [run.algorithmId]);
    lineage = {
      algorithm: algorithm ? { key: algorithm.key, name: algorithm.name } : null,
      generatorModel: run.generatorModel,
      params: run.params,
      startedAt: run.startedAt?.toISOString() ?? null,
      finishedAt: run.finishedAt?.toISOString() ?? null,
      inputs: inputs.map((input) => {
        const v = versions.find((x) => x.id === input.inputVersionId)!;
        const slug = datasets.find((d) => d.id === v.datasetId)?.slug ?? `dataset-${v.datasetId}`;
        return {
          version: `${slug}@${v.version}`,
          id: toGlobalId('DatasetVersion', v.id),
          role: input.role,
          contentHash: v.contentHash,
        };
      }),
    };
  }
  return { dataset, metrics, lineage };
}

/**
 * Writes the directory `dir` (created; it must not exist or be empty). A failure removes what was
 * written.
 */
export async function exportVersionHf(
  db: Executor,
  version: VersionRow,
  dir: string,
  options: HfExportOptions = {},
): Promise<HfExportResult> {
  const scoreColumns = options.scoreColumns ?? [];
  const cardVersion: CardVersion = {
    id: toGlobalId('DatasetVersion', version.id),
    version: version.version,
    sampleCount: version.sampleCount,
    contentHash: version.contentHash,
  };
  return writeHfDirectory(dir, {
    split: options.split,
    version: cardVersion,
    report: () => versionReport(db, version),
    scoreMetrics: scoreColumns.map((c) => c.metric),
    writeShard: async (path, report) => {
      const info = {
        versionId: cardVersion.id,
        dataset: report.dataset.slug,
        version: version.version,
        contentHash: version.contentHash,
      };
      await pipeline(
        Readable.from(exportVersionParquet(db, version.id, info, options.onRows, scoreColumns)),
        createWriteStream(path),
      );
      return extraMessageKeys(db, version.id);
    },
  });
}

/**
 * The directory of a Hugging Face export, whatever supplies its parts: `writeShard` writes the
 * Parquet shard to the path it is given and returns the extra message keys (the struct fields
 * besides role and content) for the card's features. Used in direct mode (above) and by
 * `qdc export --hf --server` (the shard downloaded, the report from GraphQL).
 */
export async function writeHfDirectory(
  dir: string,
  parts: {
    split: string | undefined;
    version: CardVersion;
    report: () => Promise<VersionReport>;
    scoreMetrics: readonly string[];
    writeShard: (path: string, report: VersionReport) => Promise<string[]>;
  },
): Promise<HfExportResult> {
  const split = parts.split ?? 'train';
  if (!SPLIT_NAME.test(split)) {
    throw new BadInputError(`split name "${split}" must be letters, digits, '_', '.', '-' (at most 64)`);
  }
  const existing = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  if (existing.length > 0)
    throw new BadInputError(
      `${dir} is not empty: export a Hugging Face directory into a new or empty folder`,
    );
  const report = await parts.report();
  const shard = `data/${split}-00000-of-00001.parquet`;
  const created: string[] = [];
  try {
    await mkdir(join(dir, 'data'), { recursive: true });
    created.push(shard);
    const extraKeys = await parts.writeShard(join(dir, shard), report);
    const card = cardYaml(parts.version, report, split, extraKeys, parts.scoreMetrics);
    created.push('README.md');
    await writeFile(
      join(dir, 'README.md'),
      `---\n${toYaml(card, { lineWidth: 0 })}---\n\n${cardBody(parts.version, report)}`,
    );
    return { files: created, card };
  } catch (error) {
    await rm(join(dir, 'data'), { recursive: true, force: true });
    await rm(join(dir, 'README.md'), { force: true });
    throw error;
  }
}

function cardYaml(
  version: CardVersion,
  report: VersionReport,
  split: string,
  extraKeys: readonly string[],
  scoreMetrics: readonly string[],
): Record<string, unknown> {
  const d = report.dataset;
  const text = (name: string) => ({ name, dtype: 'string' });
  const card: Record<string, unknown> = {
    pretty_name: d.name,
    ...(d.license ? { license: d.license } : {}),
    ...(d.task ? { task_categories: [d.task] } : {}),
    tags: [...new Set(['qdc-catalog', 'synthetic', ...(d.tags ?? [])])],
    configs: [{ config_name: 'default', data_files: [{ split, path: `data/${split}-*` }] }],
    dataset_info: {
      features: [
        text('prompt'),
        text('response'),
        text('reference'),
        { name: 'messages', list: [text('role'), text('content'), ...extraKeys.map(text)] },
        text('metadata'),
        ...scoreMetrics.map((metric) => ({ name: scoreColumnName(metric), dtype: 'float64' })),
      ],
      splits: [{ name: split, num_examples: version.sampleCount }],
    },
    qdc: {
      dataset: d.slug,
      version: version.version,
      version_id: version.id,
      content_hash: version.contentHash,
      sample_count: version.sampleCount,
      ...(d.sourceUri ? { source: d.sourceUri } : {}),
      ...(d.domain ? { domain: d.domain } : {}),
      metrics: report.metrics.map((m) => ({
        metric: m.metric,
        value: m.value,
        estimator: m.estimator,
        n: m.n,
        ...(m.seed === null ? {} : { seed: m.seed }),
        ...(m.sampleSize === null ? {} : { sample_size: m.sampleSize }),
        params: m.params,
        status: m.status,
        computed_at: m.computedAt,
      })),
      lineage: report.lineage && {
        algorithm: report.lineage.algorithm?.key ?? null,
        algorithm_name: report.lineage.algorithm?.name ?? null,
        generator_model: report.lineage.generatorModel,
        params: report.lineage.params,
        started_at: report.lineage.startedAt,
        finished_at: report.lineage.finishedAt,
        inputs: report.lineage.inputs.map((i) => ({
          version: i.version,
          role: i.role,
          content_hash: i.contentHash,
        })),
      },
    },
  };
  return card;
}

const cell = (value: unknown): string =>
  (value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value))
    .replaceAll('|', '\\|')
    .replaceAll('\n', ' ');

function cardBody(version: CardVersion, report: VersionReport): string {
  const d = report.dataset;
  const lines = [`# ${d.name}`, ''];
  if (d.description) lines.push(d.description, '');
  lines.push(
    `Exported from the QDC catalog: dataset \`${d.slug}\`, version ${version.version}, ${version.sampleCount} samples.`,
    '',
    `- Content hash: \`${version.contentHash}\``,
    '- Columns: `prompt`, `response`, `reference` (strings), `messages` (list of {role, content}), `metadata` (JSON text).',
    '',
    '## Quality, diversity and complexity metrics',
    '',
  );
  if (report.metrics.length === 0) lines.push('No metric has been computed on this version.', '');
  else {
    lines.push(
      '| metric | value | estimator | n | params | status |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const m of report.metrics) {
      lines.push(
        `| ${cell(m.metric)} | ${cell(m.value)} | ${cell(m.estimator)} | ${cell(m.n)} | \`${cell(m.params)}\` | ${cell(m.status)} |`,
      );
    }
    lines.push('');
  }
  lines.push('## Lineage', '');
  const l = report.lineage;
  if (!l) lines.push('No generation run is recorded for this version.', '');
  else {
    lines.push(
      `- Algorithm: ${l.algorithm ? `${l.algorithm.name} (\`${l.algorithm.key}\`)` : 'not recorded'}`,
      `- Generator model: ${l.generatorModel ?? 'not recorded'}`,
      `- Parameters: \`${cell(l.params)}\``,
      '',
      '| input | role | content hash |',
      '| --- | --- | --- |',
      ...l.inputs.map((i) => `| ${cell(i.version)} | ${cell(i.role)} | \`${i.contentHash}\` |`),
      '',
    );
  }
  return `${lines.join('\n')}`;
}
