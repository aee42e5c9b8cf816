import type { Config } from '../../config.js';
import type { ConnectOptions } from '../../db/connect.js';
import type { OptionSpec } from '../command.js';

/** Options every command that opens the database accepts; they override the environment. */
export const databaseOptions: Record<string, OptionSpec> = {
  'database-url': {
    type: 'string',
    description: 'PostgreSQL URL (overrides DATABASE_URL).',
    valueName: 'url',
  },
  'data-dir': {
    type: 'string',
    description: 'PGlite data directory (overrides QDC_DATA_DIR).',
    valueName: 'dir',
  },
  memory: { type: 'boolean', description: 'Use an in-memory PGlite database (nothing is kept).' },
};

/** The database options without --memory, for commands whose work must outlive the process. */
const { memory: _memory, ...withoutMemory } = databaseOptions;
export const fileDatabaseOptions: Record<string, OptionSpec> = withoutMemory;

export function connectOptions(config: Config, values: Record<string, unknown>): ConnectOptions {
  const databaseUrl = (values['database-url'] as string | undefined) ?? config.databaseUrl;
  if (databaseUrl) {
    return {
      databaseUrl,
      statementTimeoutMs: config.postgres.statementMs,
      idleInTransactionTimeoutMs: config.postgres.idleInTransactionMs,
    };
  }
  return {
    dataDir: values.memory ? 'memory://' : ((values['data-dir'] as string | undefined) ?? config.dataDir),
  };
}
