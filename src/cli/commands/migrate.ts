import { openCatalog } from '../../app.js';
import { loadConfig } from '../../config.js';
import { createLogger } from '../../logger.js';
import type { Command } from '../command.js';
import { connectOptions, databaseOptions } from './databaseOptions.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply pending database migrations and seed the taxonomy (safe to run repeatedly).',
  usage: 'qdc migrate [--data-dir DIR | --database-url URL]',
  options: { ...databaseOptions },
  async run({ values }) {
    const config = loadConfig();
    const logger = createLogger({ level: config.logLevel, format: config.logFormat });
    const database = await openCatalog(connectOptions(config, values), logger);
    logger.info(`database is up to date (${database.location})`);
    await database.close();
    return 0;
  },
};
