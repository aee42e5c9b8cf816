/**
 * `qdc search "<text>"`: the samples nearest to a text in an embedding space, within a scope
 * (datasets, versions, descendants of a version, score predicates), or with --datasets the
 * datasets whose descriptions are nearest.
 */
import { UsageError, type Command } from '../command.js';
import {
  refOf,
  resolveDatasetId,
  resolveVersion,
  withCatalogClient,
  type CatalogClient,
} from '../catalogClient.js';
import { CommandFailure, API_KEY_ENV_DOC, remoteOptions, reportFailure } from '../remote.js';
import { VERSION_REF_HELP } from '../versionRef.js';
import { fileDatabaseOptions } from './databaseOptions.js';
import { intOption } from './lineage.js';

const { 'no-progress': _noProgress, ...serverOptions } = remoteOptions;

const SPACE = 'space { key dims }';
const SAMPLE_QUERY = `query ($q: String!, $k: Int, $scope: SampleSearchScope, $space: String, $exact: Boolean) {
  searchSamples(query: $q, k: $k, scope: $scope, space: $space, exact: $exact) {
    ${SPACE} exact
    hits { distance similarity sample { id ordinal prompt response } version { id version dataset { slug } } }
  }
}`;
const DATASET_QUERY = `query ($q: String!, $k: Int, $space: String) {
  searchDatasets(query: $q, k: $k, space: $space) { ${SPACE} hits { distance similarity dataset { id slug name } } }
}`;

const OPS: [string, string][] = [
  ['>=', 'GTE'],
  ['<=', 'LTE'],
  ['>', 'GT'],
  ['<', 'LT'],
];

export const searchCommand: Command = {
  name: 'search',
  summary: 'Find the samples (or, with --datasets, the datasets) nearest to a text.',
  usage:
    'qdc search "<text>" [-k N] [--scope KIND:VALUE]... [--space SPACE] [--exact | --approximate]\n' +
    '                  [--datasets] [--json] [--data-dir DIR | --database-url URL | --server URL [--api-key KEY]]',
  options: {
    k: {
      type: 'string',
      short: 'k',
      description: 'Number of results, 1 to 100 (default 10).',
      valueName: 'n',
    },
    scope: {
      type: 'string',
      multiple: true,
      description:
        'Restrict samples; repeatable, all must hold: dataset:SLUG, version:VERSION, descendants:VERSION, score:METRIC>=VALUE (also >, <, <=).',
      valueName: 'kind:value',
    },
    space: {
      type: 'string',
      short: 's',
      description: 'Embedding space as model@revision:dtype (default: the server default).',
      valueName: 'space',
    },
    exact: { type: 'boolean', description: 'Force an exact scan.' },
    approximate: { type: 'boolean', description: "Force the space's HNSW index." },
    datasets: { type: 'boolean', description: 'Search dataset names and descriptions instead of samples.' },
    json: { type: 'boolean', description: 'Print the result (space, exact, hits) as JSON.' },
    ...serverOptions,
    ...fileDatabaseOptions,
  },
  epilog: [
    VERSION_REF_HELP,
    'Samples are only found in versions embedded in the space (see "qdc embed").',
    '',
    'Environment:',
    '  DATABASE_URL              PostgreSQL URL; unset: the embedded PGlite database.',
    '  QDC_DATA_DIR              PGlite data directory (default ./.qdc/pglite).',
    '  QDC_EMBEDDER              Default embedder in this process (direct mode).',
    API_KEY_ENV_DOC,
  ].join('\n'),
  async run({ values, positionals }) {
    if (positionals.length !== 1) throw new UsageError('expected exactly one search text (quote it)');
    const k = intOption(values, 'k', 10);
    if (values.exact && values.approximate)
      throw new UsageError('--exact and --approximate exclude each other');
    const scopes = (values.scope as string[] | undefined) ?? [];
    if (values.datasets && (scopes.length > 0 || values.exact || values.approximate)) {
      throw new UsageError('--datasets takes no --scope, --exact or --approximate');
    }
    const space = (values.space as string | undefined) ?? null;
    try {
      const output = await withCatalogClient(values, async (client) => {
        if (values.datasets) {
          const data = await client.request<{ searchDatasets: DatasetSearchJson }>(DATASET_QUERY, {
            q: positionals[0],
            k,
            space,
          });
          return { kind: 'datasets' as const, result: data.searchDatasets };
        }
        const scope = await parseScope(client, scopes);
        const data = await client.request<{ searchSamples: SampleSearchJson }>(SAMPLE_QUERY, {
          q: positionals[0],
          k,
          scope,
          space,
          exact: values.exact ? true : values.approximate ? false : null,
        });
        const result = data.searchSamples;
        return {
          kind: 'samples' as const,
          result: {
            ...result,
            hits: result.hits.map((h) => ({ ...h, version: { ...h.version, ref: refOf(h.version) } })),
          },
        };
      });
      if (values.json) process.stdout.write(`${JSON.stringify(output.result, null, 2)}\n`);
      else
        process.stdout.write(
          output.kind === 'datasets' ? formatDatasets(output.result) : formatSamples(output.result),
        );
      return 0;
    } catch (error) {
      return reportFailure('search', error);
    }
  },
};

interface SampleSearchJson {
  space: { key: string; dims: number };
  exact: boolean;
  hits: {
    distance: number;
    similarity: number;
    sample: { id: string; ordinal: number; prompt: string | null; response: string | null };
    version: { id: string; version: number; dataset: { slug: string }; ref?: string };
  }[];
}

interface DatasetSearchJson {
  space: { key: string; dims: number };
  hits: { distance: number; similarity: number; dataset: { id: string; slug: string; name: string } }[];
}

/** `--scope` items as a SampleSearchScope (slugs and refs resolved to ids). */
async function parseScope(client: CatalogClient, items: string[]): Promise<Record<string, unknown> | null> {
  if (items.length === 0) return null;
  const datasets: string[] = [];
  const versions: string[] = [];
  const scores: { metric: string; op: string; value: number }[] = [];
  let descendantsOf: string | null = null;
  for (const item of items) {
    const colon = item.indexOf(':');
    const kind = colon < 0 ? '' : item.slice(0, colon);
    const value = item.slice(colon + 1);
    if (kind === 'dataset') datasets.push(await resolveDatasetId(client, value));
    else if (kind === 'version') versions.push((await resolveVersion(client, value)).id);
    else if (kind === 'descendants') {
      if (descendantsOf !== null) throw new CommandFailure('--scope descendants: may be given once');
      descendantsOf = (await resolveVersion(client, value)).id;
    } else if (kind === 'score') {
      const op = OPS.find(([symbol]) => value.includes(symbol));
      if (!op) throw new CommandFailure(`--scope "${item}": expected score:METRIC>=VALUE (or >, <, <=)`);
      const at = value.indexOf(op[0]);
      const number = Number(value.slice(at + op[0].length));
      if (!Number.isFinite(number) || value.slice(at + op[0].length).trim() === '') {
        throw new CommandFailure(`--scope "${item}": "${value.slice(at + op[0].length)}" is not a number`);
      }
      scores.push({ metric: value.slice(0, at), op: op[1], value: number });
    } else {
      throw new CommandFailure(
        `--scope "${item}": expected dataset:SLUG, version:VERSION, descendants:VERSION or score:METRIC>=VALUE`,
      );
    }
  }
  return {
    ...(datasets.length > 0 ? { datasets } : {}),
    ...(versions.length > 0 ? { versions } : {}),
    ...(descendantsOf ? { descendantsOf } : {}),
    ...(scores.length > 0 ? { scores } : {}),
  };
}

function snippet(text: string | null, width = 60): string {
  const flat = (text ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

function formatSamples(r: SampleSearchJson): string {
  const lines = [`space ${r.space.key} (${r.exact ? 'exact scan' : 'HNSW index, approximate'})`];
  if (r.hits.length === 0) lines.push('no samples found');
  r.hits.forEach((h, i) => {
    lines.push(
      `${String(i + 1).padStart(3)}  ${h.similarity.toFixed(4)}  ${`${h.version.ref}#${h.sample.ordinal}`.padEnd(24)}  ${snippet(h.sample.prompt ?? h.sample.response)}`,
    );
  });
  return `${lines.join('\n')}\n`;
}

function formatDatasets(r: DatasetSearchJson): string {
  const lines = [`space ${r.space.key}`];
  if (r.hits.length === 0) lines.push('no datasets found');
  r.hits.forEach((h, i) => {
    lines.push(
      `${String(i + 1).padStart(3)}  ${h.similarity.toFixed(4)}  ${h.dataset.slug.padEnd(24)}  ${h.dataset.name}`,
    );
  });
  return `${lines.join('\n')}\n`;
}
