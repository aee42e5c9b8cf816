/** Keeps `metric_definitions` in step with the metric registry in code. */
import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { metricDefinitions, type MetricDefinitionRow } from '../db/schema.js';
import { METRICS } from '../metrics/registry.js';
import type { MetricDefinition } from '../metrics/types.js';

/**
 * Inserts each built-in definition (key, version) that is missing and refreshes the text of
 * existing ones. A changed definition gets a new version number in code, so old results keep
 * pointing at the definition they were computed with.
 */
export async function syncMetricDefinitions(
  db: Executor,
  metrics: readonly MetricDefinition[] = METRICS,
): Promise<void> {
  if (metrics.length === 0) return;
  await db
    .insert(metricDefinitions)
    .values(metrics.map(definitionRow))
    .onConflictDoUpdate({
      target: [metricDefinitions.key, metricDefinitions.version],
      set: {
        axis: sql`excluded.axis`,
        direction: sql`excluded.direction`,
        description: sql`excluded.description`,
        citation: sql`excluded.citation`,
        params: sql`excluded.params`,
        sampleValue: sql`excluded.sample_value`,
      },
    });
}

function definitionRow(metric: MetricDefinition) {
  return {
    key: metric.key,
    version: metric.version,
    axis: metric.axis,
    direction: metric.direction,
    description: metric.description,
    citation: metric.citation,
    params: metric.params,
    sampleValue: metric.sampleValue ?? null,
  };
}

export async function definitionRowFor(db: Executor, metric: MetricDefinition): Promise<MetricDefinitionRow> {
  const [row] = await db
    .select()
    .from(metricDefinitions)
    .where(and(eq(metricDefinitions.key, metric.key), eq(metricDefinitions.version, metric.version)));
  if (row) return row;
  await syncMetricDefinitions(db, [metric]);
  return definitionRowFor(db, metric);
}
