/** The table `qdc metrics` and `qdc compute` print: one line per (metric, parameters). */
import { findMetric } from '../metrics/registry.js';

export interface MetricTableRow {
  metric: string;
  value: number | null;
  n: number | null;
  estimator: string | null;
  status: string;
  statusReason: string | null;
  params: Record<string, unknown>;
  sampleSize?: number | null;
  seed?: number | null;
}

/** Significant digits that keep small ratios and large counts readable alike. */
export function formatValue(value: number | null): string {
  if (value === null) return '—';
  if (Number.isInteger(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(4);
  return value.toPrecision(4);
}

function describeEstimator(row: MetricTableRow): string {
  if (!row.estimator) return '—';
  if (row.estimator === 'SAMPLED') return `SAMPLED(${row.sampleSize ?? '?'}, seed ${row.seed ?? '?'})`;
  return row.estimator;
}

/** `field` and every parameter that differs from its default (all of them for unknown metrics); --json shows all. */
function describeParams(metric: string, params: Record<string, unknown>): string {
  const schema = findMetric(metric)?.params;
  return Object.entries(params)
    .filter(
      ([name, value]) =>
        name === 'field' ||
        !schema?.[name] ||
        !('default' in schema[name]!) ||
        schema[name]!.default !== value,
    )
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

export function formatMetricTable(rows: readonly MetricTableRow[]): string {
  if (rows.length === 0) return 'no metric results yet (run "qdc compute <version>")\n';
  const header = ['metric', 'value', 'n', 'estimator', 'status', 'params (non-default)'];
  const body = rows.map((r) => [
    r.metric,
    formatValue(r.value),
    r.n === null ? '—' : String(r.n),
    describeEstimator(r),
    r.status + (r.statusReason && r.status !== 'COMPLETE' ? ` (${r.statusReason})` : ''),
    describeParams(r.metric, r.params),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 1 || i === 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}
