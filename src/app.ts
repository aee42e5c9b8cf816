/** Opening the catalog (connect, migrate, seed) and the job kinds. Shared by `qdc serve`, `qdc worker`, `qdc migrate` and tests. */
import { createRequire } from 'node:module';
import { seedTaxonomy } from './catalog/taxonomy/seedTaxonomy.js';
import { removeAbandonedVersions } from './catalog/versionWriter.js';
import { connect, type ConnectOptions, type Database } from './db/connect.js';
import { migrate } from './db/migrate.js';
import type { Logger } from './logger.js';
import type { JobHandler } from './jobs/worker.js';
import { COMPUTE_METRICS_JOB, computeMetricsHandler } from './metricRuns/computeJob.js';
import { EMBED_VERSION_JOB, embedVersionHandler } from './embeddings/embedJob.js';
import { FIND_OVERLAP_JOB, findOverlapHandler } from './embeddings/overlapJob.js';
import { PROJECT_VERSION_JOB, projectVersionHandler } from './embeddings/projections.js';
import type { EmbedderRegistry } from './embeddings/registry.js';
import { syncMetricDefinitions } from './metricRuns/definitions.js';
import type { MetricThreads } from './metricRuns/metricThreads.js';
import { seedJudgeTemplates } from './judges/templates.js';
import { runTIntGenerationJob, TINT_GENERATE_JOB } from './generation/tintJob.js';

/** What the job handlers share: the embedders (and causal language models) loaded in this process. */
export interface JobServices {
  embedders: EmbedderRegistry;
  /** The worker threads text metrics run in, with their per-sample budget (default: on, 10 s). */
  metricThreads?: MetricThreads;
}

/** What each job kind runs; every worker (in `qdc serve` or `qdc worker`) handles all of them. */
export function createJobHandlers(services: JobServices): Record<string, JobHandler> {
  return {
    [COMPUTE_METRICS_JOB]: computeMetricsHandler(services.embedders, services.metricThreads),
    [TINT_GENERATE_JOB]: runTIntGenerationJob,
    [EMBED_VERSION_JOB]: embedVersionHandler(services.embedders),
    [FIND_OVERLAP_JOB]: findOverlapHandler(services.embedders),
    [PROJECT_VERSION_JOB]: projectVersionHandler(),
  };
}

export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;

export async function openCatalog(options: ConnectOptions, logger?: Logger): Promise<Database> {
  const database = await connect(options);
  try {
    await migrate(database);
    const abandoned = await removeAbandonedVersions(database);
    if (abandoned > 0) {
      logger?.warn('removed versions left half-written by a stopped process', { versions: abandoned });
    }
    const seeded = await seedTaxonomy(database.db);
    await syncMetricDefinitions(database.db);
    await seedJudgeTemplates(database.db);
    if (seeded.components + seeded.algorithms > 0) {
      logger?.info('seeded the generation taxonomy', seeded);
    }
    return database;
  } catch (error) {
    await database.close();
    throw error;
  }
}
