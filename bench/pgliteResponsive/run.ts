/**
 * bench/pgliteResponsive: does the embedded database keep answering while a big version is written?
 *
 * A real `qdc serve` on a fresh PGlite directory (a child process, as users run it) holds a small
 * dataset. A client reads it with a small GraphQL query (a dataset, its latest version and its first
 * versions), one read every --interval ms whether or not the previous one has been answered (open
 * loop: a stall delays every read issued during it, as it would users' requests), and records each
 * answer's latency:
 *   (a) idle     --idle-reads reads, nothing else running;
 *   (b) writing  while another client streams --rows NDJSON rows (~300 bytes each) into a second
 *                dataset through POST /v1/datasets/:slug/versions, until the version is created.
 * It prints p50/p95/p99/max of both phases, the ratio of the p95s (goal: writing <= 5 x idle) and
 * the write's rows/s. The bench prints; it never fails on timings.
 *
 *   npm run bench:pglite-responsive -- [--rows 200000] [--idle-reads 400] [--interval 20]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    'idle-reads': { type: 'string', default: '400' },
    interval: { type: 'string', default: '20' },
  },
});
const ROWS = Number(args.rows);
const IDLE_READS = Number(args['idle-reads']);
const INTERVAL_MS = Number(args.interval);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const READ = `{ dataset(slug: "bench-read") { name latestVersion { version sampleCount } versions(first: 5) { edges { node { version sampleCount } } } } }`;

const fmt = (n: number) => n.toLocaleString('en-US');

async function startServer(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const env: NodeJS.ProcessEnv = { ...process.env, QDC_LOG_LEVEL: 'info' };
  delete env.DATABASE_URL;
  const child = spawn(
    process.execPath,
    ['bin/qdc.mjs', 'serve', '--host', '127.0.0.1', '--port', '0', '--auth', 'off', '--data-dir', dataDir],
    { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`qdc serve did not start:\n${log}`)), 60_000);
    const onData = (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-20_000);
      const match = /serving GraphQL at (http:\/\/\S+?)\/graphql/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`qdc serve exited (${code}):\n${log}`)));
  });
  return { url, child };
}

async function gql(url: string, query: string): Promise<unknown> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  const body = (await res.json()) as { data?: unknown; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function timedRead(url: string): Promise<number> {
  const start = performance.now();
  await gql(url, READ);
  return performance.now() - start;
}

/** Issues a read every INTERVAL_MS until `more()` turns false; resolves with every read's latency. */
async function openLoop(url: string, more: (issued: number) => boolean): Promise<number[]> {
  const reads: Promise<number>[] = [];
  const start = performance.now();
  while (more(reads.length)) {
    reads.push(timedRead(url));
    const next = start + reads.length * INTERVAL_MS;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
  }
  return Promise.all(reads);
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function summary(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1]!,
  };
}

async function* rows(count: number): AsyncGenerator<Uint8Array> {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
  for (let start = 0; start < count; start += 1000) {
    let text = '';
    for (let i = start; i < Math.min(count, start + 1000); i++) {
      const w = words[i % words.length]!;
      text += `${JSON.stringify({
        prompt: `Question ${i}: explain ${w} in the context of item ${(i * 7919) % 100_003}.`,
        response: `${w} `.repeat(30 + (i % 40)) + `(answer ${i})`,
        metadata: { source: 'bench', index: i },
      })}\n`;
    }
    yield Buffer.from(text);
  }
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'qdc-bench-responsive-'));
  const { url, child } = await startServer(join(tmp, 'pglite'));
  try {
    await gql(url, `mutation { createDataset(input: { slug: "bench-read", name: "Read" }) { id } }`);
    await gql(url, `mutation { createDataset(input: { slug: "bench-write", name: "Write" }) { id } }`);
    for (let v = 0; v < 3; v++) {
      await gql(
        url,
        `mutation { createVersion(input: { dataset: "bench-read", samples: [{ prompt: "p${v}", response: "r" }] }) { created } }`,
      );
    }
    for (let i = 0; i < 50; i++) await timedRead(url); // warm-up (JIT, prepared statements)

    const idle = await openLoop(url, (issued) => issued < IDLE_READS);

    let writing = true;
    const started = performance.now();
    const upload = fetch(`${url}/v1/datasets/bench-write/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: rows(ROWS) as unknown as RequestInit['body'],
      duplex: 'half',
    } as RequestInit).then(async (res) => {
      const text = await res.text();
      writing = false;
      if (res.status !== 201) throw new Error(`ingest answered ${res.status}: ${text}`);
      return JSON.parse(text) as { version: { sampleCount: number } };
    });
    upload.catch(() => {
      writing = false;
    });
    const during = await openLoop(url, () => writing);
    const written = await upload;
    const writeMs = performance.now() - started;

    const a = summary(idle);
    const b = summary(during);
    const line = (name: string, s: ReturnType<typeof summary>) =>
      `${name.padEnd(8)} reads ${String(s.n).padStart(6)}  p50 ${s.p50.toFixed(1).padStart(7)} ms  p95 ${s.p95
        .toFixed(1)
        .padStart(7)} ms  p99 ${s.p99.toFixed(1).padStart(7)} ms  max ${s.max.toFixed(1).padStart(8)} ms`;
    process.stdout.write(
      `PGlite on disk, ${fmt(written.version.sampleCount)} rows written in ${(writeMs / 1000).toFixed(1)} s ` +
        `(${fmt(Math.round((written.version.sampleCount * 1000) / writeMs))} rows/s, reads running)\n` +
        `${line('idle', a)}\n${line('writing', b)}\n` +
        `p95 writing / idle: ${(b.p95 / a.p95).toFixed(2)} (goal <= 5)\n`,
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
