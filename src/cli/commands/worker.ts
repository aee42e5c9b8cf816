import { createJobHandlers, openCatalog } from '../../app.js';
import { metricThreadsOf } from '../../metricRuns/metricThreads.js';
import { EmbedderRegistry } from '../../embeddings/registry.js';
import { environmentWith, loadConfig } from '../../config.js';
import { startWorker } from '../../jobs/worker.js';
import { createLogger } from '../../logger.js';
import { UsageError, type Command } from '../command.js';
import { connectOptions, fileDatabaseOptions } from './databaseOptions.js';

/** An in-memory database would have no jobs to run. */

export const workerCommand: Command = {
  name: 'worker',
  summary:
    'Run queued jobs (metric computations) against the catalog database; run as many as you like, anywhere.',
  usage: 'qdc worker [--concurrency 1] [--drain] [--database-url URL | --data-dir DIR]',
  options: {
    concurrency: { type: 'string', short: 'c', description: 'Jobs run at once (default 1).', valueName: 'n' },
    drain: {
      type: 'boolean',
      description: 'Exit once the queue has nothing left to claim instead of waiting for more.',
    },
    'lease-ms': {
      type: 'string',
      description: 'Lease length (overrides QDC_JOB_LEASE_MS; default 30000).',
      valueName: 'ms',
    },
    ...fileDatabaseOptions,
  },
  epilog:
    'Workers coordinate only through the database: each claims a job with FOR UPDATE SKIP LOCKED and renews a lease while it\n' +
    'runs it. If a worker dies, its job is claimed again once the lease runs out. SIGINT/SIGTERM stop the running jobs at the\n' +
    'next batch, record their partial results and hand them back to the queue.\n' +
    'With the embedded database (no DATABASE_URL) only one process can open the data directory: use the in-process workers\n' +
    'of "qdc serve" instead.',
  async run({ values }) {
    const config = loadConfig(
      environmentWith({
        ...(values['lease-ms'] !== undefined ? { QDC_JOB_LEASE_MS: String(values['lease-ms']) } : {}),
        ...(values['database-url'] !== undefined ? { DATABASE_URL: String(values['database-url']) } : {}),
      }),
    );
    const concurrency = values.concurrency === undefined ? 1 : Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
      throw new UsageError(
        `--concurrency must be an integer from 1 to 64 (got "${String(values.concurrency)}")`,
      );
    }
    const logger = createLogger({ level: config.logLevel, format: config.logFormat });
    const database = await openCatalog(connectOptions(config, values), logger);
    const embedders = new EmbedderRegistry(config.embedding, logger);
    const worker = startWorker(database, {
      handlers: createJobHandlers({ embedders, metricThreads: metricThreadsOf(config) }),
      concurrency,
      leaseMs: config.jobLeaseMs,
      pollMs: config.jobPollMs,
      logger,
    });
    logger.info(`worker ${worker.owner} running up to ${concurrency} job(s)`, {
      database: database.location,
    });
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
      if (values.drain) void worker.idle().then(resolve);
    });
    logger.info('worker stopping');
    await worker.stop();
    await database.close();
    return 0;
  },
};
