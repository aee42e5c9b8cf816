import { createJobHandlers, openCatalog, VERSION } from '../../app.js';
import { metricThreadsOf } from '../../metricRuns/metricThreads.js';
import { EmbedderRegistry } from '../../embeddings/registry.js';
import { startWorker } from '../../jobs/worker.js';
import { ENV_DOCS, environmentWith, loadConfig, resolveAuthMode } from '../../config.js';
import { startHttpServer } from '../../http/server.js';
import { createLogger } from '../../logger.js';
import { nodeFlags } from '../../nodeFlags.js';
import { UsageError, type Command } from '../command.js';
import { connectOptions, databaseOptions } from './databaseOptions.js';

/** What `npm start` and the Docker image pass to node (see the epilog). */
const YOUNG_GENERATION_FLAG = '--max-semi-space-size=32';

function youngGenerationConfigured(): boolean {
  return nodeFlags().some((arg) => arg.startsWith('--max-semi-space-size'));
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Serve the GraphQL API (and HTTP routes) on the embedded PGlite database or on PostgreSQL.',
  usage:
    'qdc serve [--port 4000] [--host 127.0.0.1] [--workers 1] [--memory | --data-dir DIR | --database-url URL]',
  options: {
    port: {
      type: 'string',
      short: 'p',
      description: 'Port to listen on (overrides QDC_PORT; default 4000).',
      valueName: 'n',
    },
    host: {
      type: 'string',
      description: 'Address to bind (overrides QDC_HOST; default 127.0.0.1).',
      valueName: 'addr',
    },
    auth: { type: 'string', description: 'required | off (overrides QDC_AUTH).', valueName: 'mode' },
    workers: {
      type: 'string',
      description: 'Jobs run at once in this process (overrides QDC_WORKERS; default 1, 0 = none).',
      valueName: 'n',
    },
    ...databaseOptions,
  },
  epilog:
    `Environment:\n${ENV_DOCS.map(([n, d]) => `  ${n.padEnd(20)}${d}`).join('\n')}\n\n` +
    `Node flags: \`npm start\` and the Docker image run node with ${YOUNG_GENERATION_FLAG}. A young\n` +
    `generation larger than V8's default 16 MB semi-spaces means fewer scavenges during large list\n` +
    `queries (bench/graphql). Elsewhere pass it as NODE_OPTIONS=${YOUNG_GENERATION_FLAG}.`,
  async run({ values }) {
    const config = loadConfig(
      environmentWith({
        ...(values.port !== undefined ? { QDC_PORT: String(values.port) } : {}),
        ...(values.host !== undefined ? { QDC_HOST: String(values.host) } : {}),
        ...(values.auth !== undefined ? { QDC_AUTH: String(values.auth) } : {}),
        ...(values.workers !== undefined ? { QDC_WORKERS: String(values.workers) } : {}),
        ...(values['database-url'] !== undefined ? { DATABASE_URL: String(values['database-url']) } : {}),
      }),
    );
    if (values.memory && config.databaseUrl)
      throw new UsageError('--memory cannot be combined with DATABASE_URL');
    const logger = createLogger({ level: config.logLevel, format: config.logFormat });
    const auth = resolveAuthMode(config);
    const database = await openCatalog(connectOptions(config, values), logger);
    const embedders = new EmbedderRegistry(config.embedding, logger);
    // Loads (or falls back from) the default embedding model in the background; the log says which.
    void embedders.defaultSpace();
    const running = await startHttpServer({
      database,
      embedders,
      auth: auth.mode,
      host: config.host,
      allowedHosts: config.allowedHosts,
      port: config.port,
      maxBodyBytes: config.maxBodyBytes,
      graphqlExecutor: config.graphqlExecutor,
      maxRecordBytes: config.maxRecordBytes,
      tintMaxSamples: config.tintMaxSamples,
      timeouts: config.http,
      graphqlLimits: config.graphqlLimits,
      rateLimits: config.rateLimits,
      gunzip: config.gunzip,
      introspection: config.introspection,
      logger,
      version: VERSION,
    });
    logger.info(`qdc-catalog ${VERSION} serving GraphQL at ${running.url}/graphql`, {
      database: database.location,
    });
    if (!youngGenerationConfigured()) {
      logger.info(
        `node runs with V8's default young generation; ${YOUNG_GENERATION_FLAG} lowers list-query latency (see qdc serve --help)`,
      );
    }
    if (auth.mode === 'required')
      logger.info(
        `auth: API keys REQUIRED (${auth.reason}); create one with "qdc keys create --role writer"`,
      );
    else logger.warn(`auth: OFF (${auth.reason}); anyone who can reach ${running.url} can read and write`);
    const worker =
      config.workers > 0
        ? startWorker(database, {
            handlers: createJobHandlers({ embedders, metricThreads: metricThreadsOf(config) }),
            concurrency: config.workers,
            leaseMs: config.jobLeaseMs,
            pollMs: config.jobPollMs,
            logger,
          })
        : null;
    logger.info(
      worker
        ? `running up to ${config.workers} job(s) in-process (${worker.owner})`
        : 'in-process jobs are off (QDC_WORKERS=0); run "qdc worker"',
    );

    await new Promise<void>((resolve) => {
      const shutdown = (signal: string) => {
        logger.info(`received ${signal}, shutting down`);
        resolve();
      };
      process.once('SIGINT', () => shutdown('SIGINT'));
      process.once('SIGTERM', () => shutdown('SIGTERM'));
    });
    await worker?.stop();
    await running.stop();
    await embedders.close();
    await database.close();
    return 0;
  },
};
