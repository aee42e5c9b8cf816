/**
 * One ingest or export in its own process, so its peak RSS is its own; prints one JSON line
 * {rows, ms, maxRssMB, contentHash, bytes}. Used by bench/parquet/run.ts.
 *   node --import tsx bench/parquet/child.ts ingest <file> <slug> <database-url | pglite:dir>
 *   node --import tsx bench/parquet/child.ts export <slug@N> jsonl|parquet <out> <database-url | pglite:dir>
 */
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { openCatalog } from '../../src/app.js';
import { registerDataset } from '../../src/catalog/datasets.js';
import { exportVersionJsonl, requireVersionByRef } from '../../src/ingest/export.js';
import { exportVersionParquet } from '../../src/ingest/exportParquet.js';
import { ingestStream } from '../../src/ingest/ingest.js';
import { openParquetFile } from '../../src/ingest/parquetFile.js';

const [op, ...rest] = process.argv.slice(2);
const target = rest[rest.length - 1]!;
const database = await openCatalog(
  target.startsWith('pglite:') ? { dataDir: target.slice(7) } : { databaseUrl: target },
);
let cpuStart = process.cpuUsage();
const report = (fields: Record<string, unknown>) => {
  const cpu = process.cpuUsage(cpuStart);
  console.log(
    JSON.stringify({
      ...fields,
      cpuMs: (cpu.user + cpu.system) / 1000,
      maxRssMB: process.resourceUsage().maxRSS / 1024,
    }),
  );
};
try {
  if (op === 'ingest') {
    const [file, slug] = rest as [string, string];
    await registerDataset(database.db, { slug, name: slug });
    cpuStart = process.cpuUsage();
    const started = performance.now();
    const parquet = file.endsWith('.parquet') ? await openParquetFile(file) : null;
    const result = await ingestStream(
      database,
      slug,
      parquet ? { parquet: parquet.buffer } : createReadStream(file, { highWaterMark: 1 << 20 }),
    );
    const ms = performance.now() - started;
    await parquet?.close();
    report({ rows: result.version.sampleCount, ms, contentHash: result.version.contentHash });
  } else if (op === 'export') {
    const [ref, format, out] = rest as [string, string, string];
    const version = await requireVersionByRef(database.db, ref);
    cpuStart = process.cpuUsage();
    const started = performance.now();
    const chunks =
      format === 'parquet'
        ? exportVersionParquet(database.db, version.id, {
            versionId: String(version.id),
            dataset: ref,
            version: version.version,
            contentHash: version.contentHash,
          })
        : exportVersionJsonl(database.db, version.id);
    await pipeline(Readable.from(chunks), createWriteStream(out, { highWaterMark: 1 << 20 }));
    const ms = performance.now() - started;
    report({ rows: version.sampleCount, ms, bytes: statSync(out).size });
  } else {
    throw new Error(`unknown operation ${op}`);
  }
} finally {
  await database.close();
}
