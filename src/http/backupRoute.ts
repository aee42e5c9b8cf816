/**
 * GET /v1/backup (admin): the whole catalog as a dump (catalog/catalogDump.ts), streamed as JSON
 * lines, gzipped when the client accepts it. This is how a catalog on embedded PGlite is backed up
 * while `qdc serve` holds its data directory; on PostgreSQL `qdc backup` can also read the database
 * directly. The dump holds one transaction for as long as it streams; on PGlite that is the only
 * connection, so other requests wait for it.
 */
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { dumpCatalog } from '../catalog/catalogDump.js';
import type { Database } from '../db/connect.js';
import { HttpError } from './readBody.js';

export const BACKUP_PATH = /^\/v1\/backup$/;

export async function handleBackup(
  req: IncomingMessage,
  res: ServerResponse,
  database: Database,
  producer: string,
): Promise<void> {
  if (req.method !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'use GET to download a backup');
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  res.writeHead(200, {
    'content-type': 'application/x-ndjson; charset=utf-8',
    'content-disposition': `attachment; filename="qdc-catalog-${stamp}.jsonl"`,
    'cache-control': 'no-store',
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
  });
  let sink: Writable = res;
  if (gzip) {
    const compressor = createGzip({ level: 6 });
    compressor.pipe(res);
    sink = compressor;
  }
  try {
    await dumpCatalog(database, {
      producer,
      async write(line) {
        if (res.destroyed) throw new Error('the client went away');
        if (!sink.write(line)) await once(sink, 'drain');
      },
    });
    sink.end();
    await once(res, 'finish');
  } catch (error) {
    // The status is sent: cut the body short, so the client sees an incomplete dump (no end line)
    // that restore refuses, and nothing that looks whole.
    res.destroy(error as Error);
  }
}
