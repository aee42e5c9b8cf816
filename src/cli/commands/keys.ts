import { createApiKey, listApiKeys, parseRole, revokeApiKey } from '../../auth/apiKeys.js';
import { openCatalog } from '../../app.js';
import { loadConfig } from '../../config.js';
import { UsageError, type Command } from '../command.js';
import { connectOptions, databaseOptions } from './databaseOptions.js';

export const keysCommand: Command = {
  name: 'keys',
  summary: 'Manage API keys: create (the key is printed once), list, revoke.',
  usage:
    'qdc keys create --role reader|writer|admin [--name NAME]\n       qdc keys list\n       qdc keys revoke <key-id>',
  options: {
    role: { type: 'string', description: 'Role of a new key: reader, writer or admin.', valueName: 'role' },
    name: {
      type: 'string',
      description: 'A label for the new key (who or what uses it).',
      valueName: 'name',
    },
    ...databaseOptions,
  },
  epilog:
    'Keys look like qdc_<key-id>_<secret>; only a salted hash of the secret is stored.\nSend them as "Authorization: Bearer <key>".',
  async run({ values, positionals }) {
    const [action, ...rest] = positionals;
    if (!action || !['create', 'list', 'revoke'].includes(action)) {
      throw new UsageError('expected an action: create, list or revoke');
    }
    if (action === 'create' && !values.role)
      throw new UsageError('keys create needs --role reader|writer|admin');
    if (action === 'revoke' && rest.length !== 1)
      throw new UsageError('keys revoke needs exactly one key id');
    const role = action === 'create' ? parseRole(String(values.role)) : null;

    const database = await openCatalog(connectOptions(loadConfig(), values));
    try {
      if (action === 'create') {
        const { key, row } = await createApiKey(database.db, {
          role: role!,
          name: (values.name as string) ?? null,
        });
        process.stderr.write(`created ${row.role} key ${row.keyId}; it is shown once, store it now:\n`);
        process.stdout.write(`${key}\n`);
      } else if (action === 'list') {
        const rows = await listApiKeys(database.db);
        process.stdout.write(
          `${'KEY ID'.padEnd(18)}${'ROLE'.padEnd(8)}${'CREATED'.padEnd(26)}${'REVOKED'.padEnd(26)}NAME\n`,
        );
        for (const r of rows) {
          process.stdout.write(
            `${r.keyId.padEnd(18)}${r.role.padEnd(8)}${r.createdAt.toISOString().padEnd(26)}${(r.revokedAt?.toISOString() ?? '-').padEnd(26)}${r.name ?? ''}\n`,
          );
        }
      } else {
        const row = await revokeApiKey(database.db, rest[0]!);
        process.stdout.write(`revoked key ${row.keyId}\n`);
      }
    } finally {
      await database.close();
    }
    return 0;
  },
};
