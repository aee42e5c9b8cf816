/**
 * One ingest in its own process, so its peak RSS is its own: prints one JSON line
 * {rows, ms, maxRssMB, contentHash}. Used by bench/ingest/run.ts.
 *   node --import tsx bench/ingest/child.ts <file> <slug> (<database-url> | pglite:<dir>)
 */
import { createReadStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { openCatalog } from '../../src/app.js';
import { registerDataset } from '../../src/catalog/datasets.js';
import { ingestStream } from '../../src/ingest/ingest.js';

const [file, slug, target] = process.argv.slice(2);
if (!file || !slug || !target) throw new Error('usage: child.ts <file> <slug> <database-url | pglite:dir>');
const database = await openCatalog(
  target.startsWith('pglite:') ? { dataDir: target.slice(7) } : { databaseUrl: target },
);
try {
  await registerDataset(database.db, { slug, name: slug });
  const started = performance.now();
  const result = await ingestStream(database, slug, createReadStream(file, { highWaterMark: 1 << 20 }));
  const ms = performance.now() - started;
  console.log(
    JSON.stringify({
      rows: result.version.sampleCount,
      ms,
      maxRssMB: process.resourceUsage().maxRSS / 1024,
      cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
      contentHash: result.version.contentHash,
      duplicates: result.duplicateSamples,
    }),
  );
} finally {
  await database.close();
}
