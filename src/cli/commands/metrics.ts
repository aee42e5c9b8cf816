/** `qdc metrics <version>`: the newest result of every metric computed on a version, as a table or JSON. */
import { openCatalog } from '../../app.js';
import { loadConfig } from '../../config.js';
import type { Executor } from '../../db/connect.js';
import { latestResultsOfVersions } from '../../metricRuns/results.js';
import { UsageError, type Command } from '../command.js';
import { formatMetricTable, type MetricTableRow } from '../metricTable.js';
import { remoteFrom, remoteGraphQL, remoteOptions, reportFailure, type Remote } from '../remote.js';
import { resolveDirect, resolveRemote, VERSION_REF_HELP } from '../versionRef.js';
import { connectOptions, fileDatabaseOptions } from './databaseOptions.js';

const { 'no-progress': _noProgress, ...serverOptions } = remoteOptions;

export const RESULT_FIELDS = 'metric value n estimator status statusReason params sampleSize seed';

export const metricsCommand: Command = {
  name: 'metrics',
  summary:
    'Print the newest result of every metric computed on a version (value, n, estimator, status, params).',
  usage:
    'qdc metrics <version-id | slug@N | slug> [--json] [--data-dir DIR | --database-url URL | --server URL]',
  options: {
    json: { type: 'boolean', description: 'Print the results as JSON instead of a table.' },
    ...serverOptions,
    ...fileDatabaseOptions,
  },
  epilog: VERSION_REF_HELP,
  async run({ values, positionals }) {
    if (positionals.length !== 1) throw new UsageError('expected exactly one version');
    try {
      const remote = remoteFrom(values);
      const rows = remote
        ? await remoteMetricRows(remote, positionals[0]!)
        : await directMetricRows(positionals[0]!, values);
      process.stdout.write(values.json ? `${JSON.stringify(rows, null, 2)}\n` : formatMetricTable(rows));
      return 0;
    } catch (error) {
      return reportFailure('metrics', error);
    }
  },
};

export async function metricRowsOf(db: Executor, versionId: number): Promise<MetricTableRow[]> {
  const latest = await latestResultsOfVersions(db, [versionId]);
  return (latest.get(versionId) ?? []).map((r) => ({
    metric: r.metric,
    value: r.value,
    n: r.n,
    estimator: r.estimator,
    status: r.status,
    statusReason: r.statusReason,
    params: r.params,
    sampleSize: r.sampleSize,
    seed: r.seed,
  }));
}

async function directMetricRows(ref: string, values: Record<string, unknown>): Promise<MetricTableRow[]> {
  const database = await openCatalog(connectOptions(loadConfig(), values));
  try {
    const version = await resolveDirect(database.db, ref);
    return await metricRowsOf(database.db, version.id);
  } finally {
    await database.close();
  }
}

export async function remoteMetricRows(remote: Remote, ref: string): Promise<MetricTableRow[]> {
  const version = await resolveRemote(remote, ref);
  const data = await remoteGraphQL<{ version: { metrics: MetricTableRow[] } }>(
    remote,
    `query ($id: ID!) { version(id: $id) { metrics { ${RESULT_FIELDS} } } }`,
    { id: version.id },
  );
  return data.version.metrics;
}
