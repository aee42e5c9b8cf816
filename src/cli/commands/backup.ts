/**
 * `qdc backup FILE` and `qdc restore FILE`: the whole catalog as one dump (catalog/catalogDump.ts),
 * from the database or through a running server, and back into a fresh catalog on either backend.
 * `qdc export --all` writes the same dump.
 */
import { createReadStream } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { openCatalog, VERSION } from '../../app.js';
import { dumpCatalog, dumpLines, restoreCatalog } from '../../catalog/catalogDump.js';
import { loadConfig } from '../../config.js';
import { isDomainError } from '../../errors.js';
import { UsageError, type Command } from '../command.js';
import { describeFsError } from '../inputFiles.js';
import {
  API_KEY_ENV_DOC,
  CommandFailure,
  makeProgress,
  PROGRESS_ENV_DOC,
  remoteFetch,
  remoteFrom,
  remoteOptions,
  reportFailure,
  responseFailure,
} from '../remote.js';
import { connectOptions, fileDatabaseOptions } from './databaseOptions.js';

const DATABASE_ENV_DOC = [
  '  DATABASE_URL              PostgreSQL URL; unset: the embedded PGlite database.',
  '  QDC_DATA_DIR              PGlite data directory (default ./.qdc/pglite).',
];

export const backupCommand: Command = {
  name: 'backup',
  summary: 'Write the whole catalog to one dump file (consistent while the server runs).',
  usage:
    'qdc backup FILE [--no-progress] [--data-dir DIR | --database-url URL | --server URL [--api-key KEY]]',
  options: { ...remoteOptions, ...fileDatabaseOptions },
  epilog: [
    'FILE gets every table of the catalog (datasets, versions, samples, lineage, metric results,',
    'per-sample scores, embeddings, overlaps, jobs, API key hashes, judge templates, secrets and cached',
    'responses) as JSON lines, gzipped unless FILE ends in .jsonl. It is written next to FILE and',
    'renamed into place only when complete. Keep it as private as the database: it holds stored',
    'judge endpoint keys.',
    '',
    'The dump is read in one transaction, so it is consistent while the server keeps writing. On',
    'PostgreSQL, back up directly (--database-url) or through the server; a PGlite data directory is',
    'held by the server that has it open, so back that up with --server (an admin key when auth is',
    'on). "qdc restore FILE" loads it into a fresh catalog on either backend.',
    '',
    'Environment:',
    ...DATABASE_ENV_DOC,
    API_KEY_ENV_DOC,
    PROGRESS_ENV_DOC,
  ].join('\n'),
  async run({ values, positionals }) {
    if (positionals.length !== 1) throw new UsageError('expected the file to write the backup to');
    const file = positionals[0]!;
    try {
      const summary = await writeCatalogDump(values, file, !file.toLowerCase().endsWith('.jsonl'));
      process.stderr.write(`backup: ${summary.rows.toLocaleString('en-US')} rows written to ${file}\n`);
      return 0;
    } catch (error) {
      return reportFailure('backup', error);
    }
  },
};

export const restoreCommand: Command = {
  name: 'restore',
  summary: 'Load a dump made by "qdc backup" or "qdc export --all" into a fresh catalog.',
  usage: 'qdc restore FILE [--no-progress] [--data-dir DIR | --database-url URL]',
  options: { 'no-progress': remoteOptions['no-progress']!, ...fileDatabaseOptions },
  epilog: [
    'The target is migrated first and must hold no datasets (a new data directory or an empty',
    "PostgreSQL database); its seeded taxonomy is replaced by the dump's. The dump may come from",
    'either backend, gzipped or not. Everything is loaded in one transaction: a truncated or corrupt',
    'file is refused with its line number and leaves the target as it was. The dump must come from a',
    'release at the same schema migration: restore it with that release, then upgrade.',
    '',
    'Environment:',
    ...DATABASE_ENV_DOC,
    PROGRESS_ENV_DOC,
  ].join('\n'),
  async run({ values, positionals }) {
    if (positionals.length !== 1) throw new UsageError('expected the dump file to restore');
    const file = positionals[0]!;
    try {
      const handle = await open(file, 'r').catch((error: unknown) => {
        throw new CommandFailure(`${file}: ${describeFsError(error)}`);
      });
      const magic = Buffer.alloc(2);
      await handle.read(magic, 0, 2, 0);
      await handle.close();
      const raw = createReadStream(file);
      const bytes = magic[0] === 0x1f && magic[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
      const database = await openCatalog(connectOptions(loadConfig(), values));
      const progress = makeProgress(values, { label: 'restore', unit: 'rows' });
      try {
        const summary = await restoreCatalog(database, dumpLines(bytes), {
          onRows: (rows) => progress?.update(rows, raw.bytesRead),
        });
        progress?.finish();
        process.stderr.write(
          `restore: ${summary.rows.toLocaleString('en-US')} rows in ${summary.tables} tables into ${database.location}\n`,
        );
        return 0;
      } finally {
        raw.destroy();
        await database.close();
      }
    } catch (error) {
      return reportFailure('restore', error);
    }
  },
};

/**
 * Writes the catalog dump to `file` (via a temporary name, renamed when complete), from the
 * database or from the server's /v1/backup.
 */
export async function writeCatalogDump(
  values: Record<string, unknown>,
  file: string,
  gzip: boolean,
): Promise<{ rows: number }> {
  const remote = remoteFrom(values);
  const partial = `${file}.partial-${process.pid}`;
  const handle = await open(partial, 'wx').catch((error: unknown) => {
    throw new CommandFailure(`${partial}: ${describeFsError(error)}`);
  });
  const fileStream = handle.createWriteStream();
  let sink: Writable = fileStream;
  if (gzip) {
    const compressor = createGzip({ level: 6 });
    compressor.pipe(fileStream);
    sink = compressor;
  }
  const write = async (text: string | Uint8Array) => {
    if (!sink.write(text)) await once(sink, 'drain');
  };
  const progress = makeProgress(values, { label: 'backup', unit: 'rows' });
  try {
    let rows: number;
    if (remote) {
      const response = await remoteFetch(remote, '/v1/backup', {
        method: 'GET',
        headers: { accept: 'application/x-ndjson' },
      });
      if (!response.ok || !response.body) throw await responseFailure(response);
      rows = await copyServerDump(Readable.fromWeb(response.body as never), write, (n) =>
        progress?.update(n, 0),
      );
    } else {
      const database = await openCatalog(connectOptions(loadConfig(), values));
      try {
        ({ rows } = await dumpCatalog(database, {
          producer: `qdc-catalog ${VERSION}`,
          write,
          onRows: (n) => progress?.update(n, 0),
        }));
      } finally {
        await database.close();
      }
    }
    sink.end();
    await once(fileStream, 'close');
    await rename(partial, file);
    progress?.finish();
    return { rows };
  } catch (error) {
    fileStream.destroy();
    await unlink(partial).catch(() => undefined);
    throw error;
  }
}

/** Copies the server's dump, checking that it arrived whole (its last line is the end line). */
async function copyServerDump(
  body: Readable,
  write: (text: string) => Promise<void>,
  onRows: (rows: number) => void,
): Promise<number> {
  let last = '';
  let lines = 0;
  try {
    for await (const line of dumpLines(body)) {
      await write(`${line}\n`);
      last = line;
      lines += 1;
      if (lines % 10_000 === 0) onRows(lines);
    }
  } catch (error) {
    if (isDomainError(error)) throw error;
    throw new CommandFailure(`the server's dump broke off after ${lines} lines: ${(error as Error).message}`);
  }
  let end: { end?: unknown; rows?: unknown } = {};
  try {
    end = JSON.parse(last) as typeof end;
  } catch {
    // Not the end line: reported below.
  }
  if (end.end !== true || typeof end.rows !== 'number') {
    throw new CommandFailure(`the server's dump ended early (after ${lines} lines, no end line)`);
  }
  return end.rows;
}
