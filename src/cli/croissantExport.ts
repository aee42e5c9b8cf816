/**
 * `qdc export <version> --croissant`: the version's Croissant 1.1 description (JSON-LD) on stdout
 * or in -o FILE, built from the database or fetched from `--server`'s
 * `GET /v1/versions/{id}/croissant.json`.
 */
import { writeFile } from 'node:fs/promises';
import { openCatalog } from '../app.js';
import { loadConfig } from '../config.js';
import { buildCroissant } from '../interop/croissant.js';
import { UsageError, type OptionSpec } from './command.js';
import { connectOptions } from './commands/databaseOptions.js';
import { remoteFetch, responseFailure, type Remote } from './remote.js';
import { resolveDirect, resolveRemote } from './versionRef.js';

export const croissantExportOptions: Record<string, OptionSpec> = {
  croissant: {
    type: 'boolean',
    description: 'Write the Croissant 1.1 description (JSON-LD) of the version instead of its samples.',
  },
  'base-url': {
    type: 'string',
    description:
      'With --croissant and no --server: the server URL its links point at (default: links relative to /v1/versions/<id>/).',
    valueName: 'url',
  },
};

export async function exportCroissant(
  ref: string,
  remote: Remote | null,
  values: Record<string, unknown>,
): Promise<void> {
  for (const option of ['gzip', 'scores']) {
    if (values[option] !== undefined) throw new UsageError(`--${option} does not apply with --croissant`);
  }
  if (remote && values['base-url'] !== undefined)
    throw new UsageError('--base-url does not apply with --server');
  let text: string;
  if (remote) {
    const version = await resolveRemote(remote, ref);
    const response = await remoteFetch(
      remote,
      `/v1/versions/${encodeURIComponent(version.id)}/croissant.json`,
      {
        headers: { accept: 'application/ld+json' },
      },
    );
    if (!response.ok) throw await responseFailure(response);
    text = await response.text();
  } else {
    const base = values['base-url'] as string | undefined;
    const database = await openCatalog(connectOptions(loadConfig(), values));
    try {
      const version = await resolveDirect(database.db, ref);
      const doc = await buildCroissant(database.db, version.id, {
        baseUrl: base ? base.replace(/\/+$/, '') : null,
      });
      text = `${JSON.stringify(doc, null, 2)}\n`;
    } finally {
      await database.close();
    }
  }
  const output = values.output as string | undefined;
  if (output === undefined || output === '-') process.stdout.write(text);
  else await writeFile(output, text);
}
