/**
 * `qdc compare <version>... -m metric,...`: a versions x metrics table of each version's newest
 * finished result; cells that cannot be compared with the column's first result are flagged.
 */
import { UsageError, type Command } from '../command.js';
import { refOf, resolveVersion, withCatalogClient } from '../catalogClient.js';
import { API_KEY_ENV_DOC, remoteOptions, reportFailure } from '../remote.js';
import { VERSION_REF_HELP } from '../versionRef.js';
import { fileDatabaseOptions } from './databaseOptions.js';

const { 'no-progress': _noProgress, ...serverOptions } = remoteOptions;

export interface ComparisonJson {
  metrics: string[];
  rows: {
    version: { id: string; ref: string; version: number; sampleCount: number; dataset: { slug: string } };
    cells: {
      metric: string;
      value: number | null;
      n: number | null;
      estimator: string | null;
      comparable: boolean;
      note: string | null;
      result: { id: string; params: unknown; status: string } | null;
    }[];
  }[];
  warnings: string[];
}

const COMPARE_QUERY = `query ($versions: [ID!]!, $metrics: [String!], $params: JSON) {
  compareVersions(versions: $versions, metrics: $metrics, params: $params) {
    metrics warnings
    rows { version { id version sampleCount dataset { slug } }
           cells { metric value n estimator comparable note result { id params status } } }
  }
}`;

export const compareCommand: Command = {
  name: 'compare',
  summary: 'Compare versions on metrics in a table, flagging values that are not comparable.',
  usage:
    'qdc compare <version> [<version>...] [-m METRIC,...] [--params JSON] [--json]\n' +
    '                   [--data-dir DIR | --database-url URL | --server URL [--api-key KEY]]',
  options: {
    metrics: {
      type: 'string',
      short: 'm',
      description:
        'Comma-separated metric keys (external:<scorer> for pushed scores); default: all with a result.',
      valueName: 'keys',
    },
    params: {
      type: 'string',
      description: 'Only results with these parameters, as computeMetrics takes them (JSON object).',
      valueName: 'json',
    },
    json: { type: 'boolean', description: 'Print the comparison (metrics, rows, warnings) as JSON.' },
    ...serverOptions,
    ...fileDatabaseOptions,
  },
  epilog: [
    VERSION_REF_HELP,
    'A cell shows value (n); "*" marks a value not comparable with the column\'s first result (other',
    'parameters, definition version or estimator) and "-" a missing one. The warnings say why.',
    '',
    'Environment:',
    '  DATABASE_URL              PostgreSQL URL; unset: the embedded PGlite database.',
    '  QDC_DATA_DIR              PGlite data directory (default ./.qdc/pglite).',
    API_KEY_ENV_DOC,
  ].join('\n'),
  async run({ values, positionals }) {
    if (positionals.length === 0) throw new UsageError('expected at least one version');
    const metrics =
      values.metrics === undefined
        ? null
        : String(values.metrics)
            .split(',')
            .map((m) => m.trim())
            .filter(Boolean);
    if (metrics && metrics.length === 0) throw new UsageError('--metrics names no metric');
    let params: unknown = null;
    if (values.params !== undefined) {
      try {
        params = JSON.parse(String(values.params));
      } catch (error) {
        throw new UsageError(`--params is not valid JSON: ${(error as Error).message}`);
      }
    }
    try {
      const comparison = await withCatalogClient(values, async (client) => {
        const ids = [];
        for (const ref of positionals) ids.push((await resolveVersion(client, ref)).id);
        const data = await client.request<{ compareVersions: ComparisonJson }>(COMPARE_QUERY, {
          versions: ids,
          metrics,
          params,
        });
        const c = data.compareVersions;
        return {
          ...c,
          rows: c.rows.map((r) => ({ ...r, version: { ...r.version, ref: refOf(r.version) } })),
        };
      });
      process.stdout.write(
        values.json ? `${JSON.stringify(comparison, null, 2)}\n` : formatComparison(comparison),
      );
      return 0;
    } catch (error) {
      return reportFailure('compare', error);
    }
  },
};

/** Compact significant digits, like the metrics table. */
function formatValue(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Number(value.toPrecision(4)).toString();
}

export function formatComparison(c: ComparisonJson): string {
  const rows = [
    ['VERSION', ...c.metrics],
    ...c.rows.map((r) => [
      r.version.ref,
      ...r.cells.map((cell) =>
        cell.value === null
          ? '-'
          : `${formatValue(cell.value)} (${cell.n ?? '?'})${cell.comparable ? '' : ' *'}`,
      ),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]! + 2))
      .join('')
      .trimEnd(),
  );
  return `${[...table, ...c.warnings.map((w) => `* ${w}`)].join('\n')}\n`;
}
