/**
 * The in-process server several benches measure: a fresh catalog (in-memory PGlite, or a scratch
 * database on the DATABASE_URL server), the lexical embedder, auth off, silent logs.
 */
import { openCatalog, VERSION } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { Database } from '../src/db/connect.js';
import { EmbedderRegistry } from '../src/embeddings/registry.js';
import { startHttpServer, type RunningServer } from '../src/http/server.js';
import { silentLogger } from '../src/logger.js';
import { createScratchDatabase } from './scratchDatabase.js';

export interface BenchServer {
  server: RunningServer;
  database: Database;
  /** Stops the server, closes the catalog and drops the scratch database. */
  close(): Promise<void>;
}

export async function startBenchServer(scratchPrefix: string): Promise<BenchServer> {
  const scratch = process.env.DATABASE_URL
    ? await createScratchDatabase(process.env.DATABASE_URL, scratchPrefix)
    : null;
  const database = await openCatalog(scratch ? { databaseUrl: scratch.url } : { dataDir: 'memory://' });
  const config = loadConfig({});
  const embedders = new EmbedderRegistry({ ...config.embedding, embedder: 'lexical' }, silentLogger);
  const server = await startHttpServer({
    database,
    embedders,
    auth: 'off',
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: config.maxBodyBytes,
    logger: silentLogger,
    version: VERSION,
  });
  return {
    server,
    database,
    async close() {
      await server.stop();
      await embedders.close();
      await database.close();
      await scratch?.drop();
    },
  };
}
