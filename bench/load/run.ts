/**
 * bench/load: many concurrent clients against a real `qdc serve` child process for a bounded time,
 * mixing list, lineage and search reads, small createVersion calls, bulk ingests and metric jobs.
 * Reports p50/p95 per operation and every error, then checks that every write is accounted for:
 * each version a client was told about exists with the sample count and content hash the client
 * computed itself, and no other version exists.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:load -- [--clients 50] [--seconds 60]
 *   npm run bench:load -- --pglite [--clients 10] [--seconds 60]
 *
 * PostgreSQL: a scratch database, dropped at the end. PGlite: a temporary data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { LoadMix, OPS } from '../../test/helpers/loadMix.js';
import { createScratchDatabase } from '../scratchDatabase.js';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string' },
    seconds: { type: 'string', default: '60' },
    pglite: { type: 'boolean', default: false },
    port: { type: 'string', default: '4791' },
  },
});
const PGLITE = args.pglite!;
const CLIENTS = Number(args.clients ?? (PGLITE ? 10 : 50));
const SECONDS = Number(args.seconds);
const PORT = Number(args.port);
const URL_BASE = `http://127.0.0.1:${PORT}`;
const QDC = join(import.meta.dirname, '..', '..', 'bin', 'qdc.mjs');

async function startServer(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [QDC, 'serve', '--port', String(PORT), '--workers', '1', '--auth', 'off'],
    {
      env: { ...process.env, QDC_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  for (let i = 0; i < 600; i += 1) {
    try {
      if ((await fetch(`${URL_BASE}/healthz`)).ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('the server did not start');
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const pgUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const scratch = PGLITE ? undefined : await createScratchDatabase(pgUrl, 'qdc_bench_load');
  const dataDir = PGLITE ? mkdtempSync(join(tmpdir(), 'qdc-bench-load-')) : undefined;
  const env: Record<string, string> = scratch
    ? { DATABASE_URL: scratch.url }
    : { QDC_DATA_DIR: join(dataDir!, 'pglite'), DATABASE_URL: '' };
  if (!scratch) delete process.env.DATABASE_URL;
  const server = await startServer(env);
  try {
    const mix = new LoadMix(URL_BASE);
    await mix.setup(CLIENTS);
    const began = performance.now();
    const deadline = began + SECONDS * 1000;
    await mix.run({ clients: CLIENTS, stop: () => performance.now() >= deadline });
    const elapsed = (performance.now() - began) / 1000;
    const verdict = await mix.verify();

    const backend = PGLITE ? 'PGlite' : 'PostgreSQL';
    console.log(
      `bench/load: ${CLIENTS} clients for ${elapsed.toFixed(1)} s on ${backend} (qdc serve, 1 job worker)`,
    );
    console.log('  operation        count   ops/s    p50 ms    p95 ms');
    let total = 0;
    for (const op of OPS) {
      const values = mix.latencies.get(op)!.sort((a, b) => a - b);
      total += values.length;
      console.log(
        `  ${op.padEnd(15)} ${String(values.length).padStart(6)} ${(values.length / elapsed).toFixed(1).padStart(7)} ${percentile(values, 50).toFixed(1).padStart(9)} ${percentile(values, 95).toFixed(1).padStart(9)}`,
      );
    }
    console.log(`  all             ${String(total).padStart(6)} ${(total / elapsed).toFixed(1).padStart(7)}`);
    console.log(`  errors: ${mix.errors.length}`);
    for (const e of mix.errors.slice(0, 10)) console.log(`    ${e.op}: ${e.message}`);
    console.log(`  metric jobs: ${JSON.stringify(verdict.jobStates)}`);
    console.log(
      `  writes: ${verdict.acknowledged} versions acknowledged, ${verdict.stored} stored, ${verdict.mismatched} with a wrong count or content hash`,
    );
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await scratch?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
