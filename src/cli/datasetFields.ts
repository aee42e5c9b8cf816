/**
 * The dataset fields `qdc datasets create|update` and `qdc ingest --create` take as options, and
 * the one JSON shape (the GraphQL `Dataset` fields) both direct and --server mode print.
 */
import type { DatasetFields } from '../catalog/datasets.js';
import type { DatasetRow } from '../db/schema.js';
import { toGlobalId } from '../globalId.js';
import { UsageError, type OptionSpec } from './command.js';

export const datasetFieldOptions: Record<string, OptionSpec> = {
  name: {
    type: 'string',
    description: 'Display name, 1 to 200 characters (create: default the slug).',
    valueName: 'text',
  },
  description: { type: 'string', description: 'Free-text description.', valueName: 'text' },
  task: { type: 'string', description: 'Task the data trains, e.g. math-reasoning.', valueName: 'task' },
  domain: { type: 'string', description: 'Subject domain, e.g. code.', valueName: 'domain' },
  license: {
    type: 'string',
    description: 'License identifier, preferably SPDX (e.g. MIT).',
    valueName: 'id',
  },
  source: { type: 'string', description: 'Where the data came from (URL or URI).', valueName: 'uri' },
  tag: {
    type: 'string',
    multiple: true,
    description: 'A tag; repeat for several (update: replaces all tags).',
    valueName: 'tag',
  },
};

/** The GraphQL selection that yields a DatasetJson. */
export const DATASET_FIELDS =
  'id slug name description task domain license sourceUri tags createdAt updatedAt';

export interface DatasetJson {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  task: string | null;
  domain: string | null;
  license: string | null;
  sourceUri: string | null;
  tags: string[];
  createdAt: string;
  updatedAt: string;
}

export function datasetJson(row: DatasetRow): DatasetJson {
  return {
    id: toGlobalId('Dataset', row.id),
    slug: row.slug,
    name: row.name,
    description: row.description,
    task: row.task,
    domain: row.domain,
    license: row.license,
    sourceUri: row.sourceUri,
    tags: row.tags,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The fields given on the command line (absent options are left out, so update keeps them). */
export function datasetFieldsFrom(values: Record<string, unknown>): DatasetFields {
  const fields: DatasetFields = {};
  const text = (option: string): string | undefined => {
    const value = values[option];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new UsageError(`--${option} takes a value`);
    return value;
  };
  const name = text('name');
  if (name !== undefined) fields.name = name;
  const description = text('description');
  if (description !== undefined) fields.description = description;
  const task = text('task');
  if (task !== undefined) fields.task = task;
  const domain = text('domain');
  if (domain !== undefined) fields.domain = domain;
  const license = text('license');
  if (license !== undefined) fields.license = license;
  const source = text('source');
  if (source !== undefined) fields.sourceUri = source;
  if (values.tag !== undefined) fields.tags = (values.tag as string[]).map(String);
  return fields;
}

/** The command-line option that sets a DatasetFields key (`sourceUri` is --source, `tags` --tag). */
export function optionOf(field: string): string {
  return field === 'sourceUri' ? 'source' : field === 'tags' ? 'tag' : field;
}

/** Lines `key: value` for a terminal, in the order a reader scans a card. */
export function formatDataset(
  d: DatasetJson,
  latest?: { version: number; sampleCount: number } | null,
): string {
  const rows: [string, string][] = [
    ['slug', d.slug],
    ['name', d.name],
    ['id', d.id],
    ['description', d.description ?? '-'],
    ['task', d.task ?? '-'],
    ['domain', d.domain ?? '-'],
    ['license', d.license ?? '-'],
    ['source', d.sourceUri ?? '-'],
    ['tags', d.tags.length > 0 ? d.tags.join(', ') : '-'],
    ['created', d.createdAt],
    ['updated', d.updatedAt],
  ];
  if (latest !== undefined) {
    rows.push([
      'latest',
      latest ? `version ${latest.version} (${latest.sampleCount} samples)` : 'no versions yet',
    ]);
  }
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return `${rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`).join('\n')}\n`;
}
