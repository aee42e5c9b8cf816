/** Opening the catalog: connect, migrate, seed. Shared by `qdc serve`, `qdc migrate` and tests. */
import { createRequire } from 'node:module';
import { seedTaxonomy } from './catalog/taxonomy/seedTaxonomy.js';
import { connect, type ConnectOptions, type Database } from './db/connect.js';
import { migrate } from './db/migrate.js';
import type { Logger } from './logger.js';

export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

export async function openCatalog(options: ConnectOptions, logger?: Logger): Promise<Database> {
  const database = await connect(options);
  try {
    await migrate(database);
    const seeded = await seedTaxonomy(database.db);
    if (seeded.components + seeded.algorithms > 0) {
      logger?.info('seeded the generation taxonomy', seeded);
    }
    return database;
  } catch (error) {
    await database.close();
    throw error;
  }
}
