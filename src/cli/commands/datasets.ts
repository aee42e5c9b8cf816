/**
 * `qdc datasets create|list|show|update`: register and describe datasets from the shell, straight
 * in the database or through a running server (`--server`), so a first session needs no GraphQL.
 */
import { openCatalog } from '../../app.js';
import {
  datasetCursorKind,
  findDatasetBySlug,
  listDatasets,
  registerDataset,
  updateDataset,
  type DatasetFields,
  type DatasetFilter,
} from '../../catalog/datasets.js';
import { pageRequest } from '../../catalog/pagination.js';
import { latestVersionsOfDatasets } from '../../catalog/versions.js';
import { loadConfig } from '../../config.js';
import type { Executor } from '../../db/connect.js';
import { NotFoundError } from '../../errors.js';
import { UsageError, type Command } from '../command.js';
import {
  DATASET_FIELDS,
  datasetFieldOptions,
  datasetFieldsFrom,
  datasetJson,
  formatDataset,
  optionOf,
  type DatasetJson,
} from '../datasetFields.js';
import {
  API_KEY_ENV_DOC,
  remoteFrom,
  remoteGraphQL,
  remoteOptions,
  reportFailure,
  type Remote,
} from '../remote.js';
import { connectOptions, fileDatabaseOptions } from './databaseOptions.js';

const { 'no-progress': _noProgress, ...serverOptions } = remoteOptions;

/** A dataset with the number and size of its newest version (null: none yet). */
export interface ListedDataset extends DatasetJson {
  latestVersion: { version: number; sampleCount: number } | null;
}

const ACTIONS = ['create', 'list', 'show', 'update'] as const;
type Action = (typeof ACTIONS)[number];

export const datasetsCommand: Command = {
  name: 'datasets',
  summary: 'Create, list, show and update datasets.',
  usage:
    'qdc datasets create <slug> [--name TEXT] [--description TEXT] [--task T] [--domain D] [--license ID]\n' +
    '                           [--source URI] [--tag T]...\n' +
    '       qdc datasets list [--task T] [--domain D] [--tag T] [--text TEXT] [--limit N]\n' +
    '       qdc datasets show <slug>\n' +
    '       qdc datasets update <slug> [--name TEXT] [--description TEXT] [--task T] ... [--tag T]...\n' +
    '       (each with [--json] [--data-dir DIR | --database-url URL | --server URL [--api-key KEY]])',
  options: {
    ...datasetFieldOptions,
    text: {
      type: 'string',
      description: 'list: only datasets whose name or description contains this text (any case).',
      valueName: 'text',
    },
    limit: {
      type: 'string',
      description: 'list: print at most this many datasets (default: all, newest first).',
      valueName: 'n',
    },
    json: { type: 'boolean', description: 'Print JSON on stdout (list: an array) instead of text.' },
    ...serverOptions,
    ...fileDatabaseOptions,
  },
  epilog: [
    'A slug is 2 to 64 lowercase letters, digits or "-", starting with a letter or digit; it never',
    'changes. create refuses a slug that is taken; update changes only the fields given (--tag',
    'replaces the whole tag list). list filters combine: all given conditions must hold.',
    'Exit codes: 0 done, 1 refused (taken or unknown slug, invalid field, server error), 2 usage error.',
    '',
    'Environment:',
    '  DATABASE_URL              PostgreSQL URL; unset: the embedded PGlite database.',
    '  QDC_DATA_DIR              PGlite data directory (default ./.qdc/pglite).',
    API_KEY_ENV_DOC,
  ].join('\n'),
  async run({ values, positionals }) {
    const [actionText, ...rest] = positionals;
    if (actionText === undefined) throw new UsageError(`expected an action: ${ACTIONS.join(', ')}`);
    if (!(ACTIONS as readonly string[]).includes(actionText)) {
      throw new UsageError(`unknown action "${actionText}" (expected ${ACTIONS.join(', ')})`);
    }
    const action = actionText as Action;
    if (action === 'list') {
      if (rest.length > 0)
        throw new UsageError('list takes no slug; filter with --task, --domain, --tag, --text');
    } else if (rest.length !== 1) {
      throw new UsageError(`${action} takes exactly one slug`);
    }
    const request = parseRequest(action, rest[0], values);
    try {
      const remote = remoteFrom(values);
      const output = remote ? await runRemote(remote, request) : await runDirect(request, values);
      process.stdout.write(values.json ? `${JSON.stringify(output, null, 2)}\n` : formatOutput(output));
      return 0;
    } catch (error) {
      return reportFailure('datasets', error);
    }
  },
};

type Request =
  | { action: 'create'; slug: string; fields: DatasetFields & { name: string } }
  | { action: 'update'; slug: string; fields: DatasetFields }
  | { action: 'show'; slug: string }
  | { action: 'list'; filter: DatasetFilter; limit: number };

type Output = ListedDataset | ListedDataset[];

function parseRequest(action: Action, slug: string | undefined, values: Record<string, unknown>): Request {
  const fields = datasetFieldsFrom(values);
  const given = Object.keys(fields);
  const listOnly = ['text', 'limit'].filter((o) => values[o] !== undefined);
  if (action !== 'list' && listOnly.length > 0) {
    throw new UsageError(`--${listOnly[0]} only applies to list`);
  }
  switch (action) {
    case 'create':
      return { action, slug: slug!, fields: { ...fields, name: fields.name ?? slug! } };
    case 'update':
      if (given.length === 0) throw new UsageError('update needs at least one field to change (e.g. --name)');
      return { action, slug: slug!, fields };
    case 'show':
      if (given.length > 0)
        throw new UsageError(`show takes no field options (got --${optionOf(given[0]!)})`);
      return { action, slug: slug! };
    case 'list': {
      const unfilterable = given.filter((f) => !['task', 'domain', 'tags'].includes(f));
      if (unfilterable.length > 0)
        throw new UsageError(`list cannot filter by --${optionOf(unfilterable[0]!)}`);
      const tags = fields.tags ?? [];
      if (tags.length > 1) throw new UsageError('list filters by one --tag');
      const limitText = values.limit as string | undefined;
      const limit = limitText === undefined ? Infinity : Number(limitText);
      if (limitText !== undefined && (!Number.isInteger(limit) || limit < 1)) {
        throw new UsageError(`--limit must be a positive integer (got "${limitText}")`);
      }
      const filter: DatasetFilter = {};
      if (fields.task != null) filter.task = fields.task;
      if (fields.domain != null) filter.domain = fields.domain;
      if (tags[0] !== undefined) filter.tag = tags[0];
      if (values.text !== undefined) filter.text = String(values.text);
      return { action, filter, limit };
    }
  }
}

const PAGE = 100;

async function runDirect(request: Request, values: Record<string, unknown>): Promise<Output> {
  const database = await openCatalog(connectOptions(loadConfig(), values));
  try {
    const db = database.db;
    switch (request.action) {
      case 'create':
        return withLatest(db, [await registerDataset(db, { slug: request.slug, ...request.fields })]).then(
          (l) => l[0]!,
        );
      case 'update':
        return withLatest(db, [await updateDataset(db, request.slug, request.fields)]).then((l) => l[0]!);
      case 'show': {
        const row = await findDatasetBySlug(db, request.slug);
        if (!row) throw new NotFoundError(`no dataset with slug "${request.slug}"`);
        return (await withLatest(db, [row]))[0]!;
      }
      case 'list': {
        const listed: ListedDataset[] = [];
        let after: string | null = null;
        while (listed.length < request.limit) {
          const first = Math.min(PAGE, request.limit - listed.length);
          const page = await listDatasets(db, {
            filter: request.filter,
            page: pageRequest(datasetCursorKind('CREATED_AT_DESC'), first, after),
          });
          listed.push(...(await withLatest(db, page.items)));
          const last = page.items[page.items.length - 1];
          if (!page.hasNextPage || !last) break;
          after = page.cursorOf(last);
        }
        return listed;
      }
    }
  } finally {
    await database.close();
  }
}

async function withLatest(db: Executor, rows: Parameters<typeof datasetJson>[0][]): Promise<ListedDataset[]> {
  const latest = await latestVersionsOfDatasets(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((row) => {
    const v = latest.get(row.id);
    return {
      ...datasetJson(row),
      latestVersion: v ? { version: v.version, sampleCount: v.sampleCount } : null,
    };
  });
}

interface RemoteDatasetPage {
  edges: { node: ListedDataset }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const LISTED_FIELDS = `${DATASET_FIELDS} latestVersion { version sampleCount }`;

async function runRemote(remote: Remote, request: Request): Promise<Output> {
  switch (request.action) {
    case 'create':
      return (
        await remoteGraphQL<{ createDataset: ListedDataset }>(
          remote,
          `mutation ($in: CreateDatasetInput!) { createDataset(input: $in) { ${LISTED_FIELDS} } }`,
          { in: { slug: request.slug, ...request.fields } },
        )
      ).createDataset;
    case 'update':
      return (
        await remoteGraphQL<{ updateDataset: ListedDataset }>(
          remote,
          `mutation ($in: UpdateDatasetInput!) { updateDataset(input: $in) { ${LISTED_FIELDS} } }`,
          { in: { slug: request.slug, ...request.fields } },
        )
      ).updateDataset;
    case 'show': {
      const { dataset } = await remoteGraphQL<{ dataset: ListedDataset | null }>(
        remote,
        `query ($slug: String!) { dataset(slug: $slug) { ${LISTED_FIELDS} } }`,
        { slug: request.slug },
      );
      if (!dataset) throw new NotFoundError(`no dataset with slug "${request.slug}"`);
      return dataset;
    }
    case 'list': {
      const listed: ListedDataset[] = [];
      let after: string | null = null;
      while (listed.length < request.limit) {
        const first = Math.min(PAGE, request.limit - listed.length);
        const { datasets }: { datasets: RemoteDatasetPage } = await remoteGraphQL<{
          datasets: RemoteDatasetPage;
        }>(
          remote,
          `query ($first: Int!, $after: String, $filter: DatasetFilter) {
            datasets(first: $first, after: $after, filter: $filter) {
              edges { node { ${LISTED_FIELDS} } } pageInfo { hasNextPage endCursor }
            }
          }`,
          { first, after, filter: request.filter },
        );
        listed.push(...datasets.edges.map((e) => e.node));
        if (!datasets.pageInfo.hasNextPage || !datasets.pageInfo.endCursor) break;
        after = datasets.pageInfo.endCursor;
      }
      return listed;
    }
  }
}

function formatOutput(output: Output): string {
  if (!Array.isArray(output)) return formatDataset(output, output.latestVersion);
  if (output.length === 0) return 'no datasets\n';
  const rows = [
    ['SLUG', 'NAME', 'TASK', 'LATEST', 'TAGS'],
    ...output.map((d) => [
      d.slug,
      d.name,
      d.task ?? '-',
      d.latestVersion ? `v${d.latestVersion.version} (${d.latestVersion.sampleCount})` : '-',
      d.tags.join(',') || '-',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return `${rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 2))).join('')).join('\n')}\n`;
}
