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
import { sampleCanonicalJson, sha256Hex, VersionHasher } from '../../src/catalog/contentHash.js';
import { mulberry32 } from '../../src/mulberry32.js';
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

/** Operation mix: relative weights. */
const MIX = { list: 30, lineage: 20, search: 20, createVersion: 15, ingest: 5, computeMetrics: 10 } as const;
type Op = keyof typeof MIX;
const INGEST_ROWS = 2000;
const CREATE_ROWS = 20;

interface Expected {
  id: string;
  count: number;
  hash: string;
}

const latencies = new Map<Op, number[]>(Object.keys(MIX).map((op) => [op as Op, []]));
const errors: { op: Op; message: string }[] = [];
const written: Expected[] = [];
const jobs: string[] = [];

async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(`${URL_BASE}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(`GraphQL: ${body.errors.map((e) => e.message).join('; ')}`);
  return body.data!;
}

interface PlainSample {
  prompt: string;
  response: string;
}

function samplesFor(tag: string, n: number, random: () => number): PlainSample[] {
  return Array.from({ length: n }, (_, i) => ({
    prompt: `${tag} question ${i}: what is ${Math.floor(random() * 1000)} plus ${Math.floor(random() * 1000)}?`,
    response: `answer ${i} of ${tag}: ${random().toString(36).slice(2, 12)}`,
  }));
}

function expectedHash(samples: PlainSample[]): string {
  const hasher = new VersionHasher();
  for (const s of samples) {
    hasher.add(sha256Hex(sampleCanonicalJson({ ...s, reference: null, messages: null, metadata: null })));
  }
  return hasher.digest();
}

async function createVersion(dataset: string, samples: PlainSample[]): Promise<string> {
  const data = await gql<{ createVersion: { version: { id: string }; created: boolean } }>(
    `mutation ($input: CreateVersionInput!) { createVersion(input: $input) { created version { id } } }`,
    { input: { dataset, samples } },
  );
  return data.createVersion.version.id;
}

async function ingest(dataset: string, samples: PlainSample[]): Promise<string> {
  const response = await fetch(`${URL_BASE}/v1/datasets/${dataset}/versions?format=prompt_response`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: samples.map((s) => JSON.stringify(s)).join('\n'),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { version: { id: string } }).version.id;
}

async function waitForJobs(ids: string[]): Promise<Record<string, number>> {
  const states: Record<string, number> = {};
  for (const id of ids) {
    for (;;) {
      const { job } = await gql<{ job: { status: string } }>(`query ($id: ID!) { job(id: $id) { status } }`, {
        id,
      });
      if (!['QUEUED', 'RUNNING'].includes(job.status)) {
        states[job.status] = (states[job.status] ?? 0) + 1;
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return states;
}

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
    // A lineage chain and an embedded version to read from, and one dataset per client to write to.
    const random = mulberry32(7);
    await gql(`mutation { createDataset(input: { slug: "seed", name: "seed" }) { id } }`);
    const seedSamples = samplesFor('seed', 300, random);
    const chain = [await createVersion('seed', seedSamples)];
    written.push({ id: chain[0]!, count: seedSamples.length, hash: expectedHash(seedSamples) });
    for (let step = 1; step <= 5; step += 1) {
      const kept = seedSamples.slice(0, 300 - step * 40);
      const id = await createVersion('seed', kept);
      written.push({ id, count: kept.length, hash: expectedHash(kept) });
      await gql(
        `mutation ($out: ID!, $in: ID!) { recordGenerationRun(input: { output: $out, inputs: [{ version: $in, role: FILTERED_FROM }], params: { step: ${step} } }) { id } }`,
        { out: id, in: chain.at(-1) },
      );
      chain.push(id);
    }
    const embed = await gql<{ embedVersion: { id: string } }>(
      `mutation ($v: ID!) { embedVersion(version: $v) { id } }`,
      {
        v: chain[0],
      },
    );
    await waitForJobs([embed.embedVersion.id]);
    for (let c = 0; c < CLIENTS; c += 1) {
      await gql(`mutation ($slug: String!) { createDataset(input: { slug: $slug, name: $slug }) { id } }`, {
        slug: `client-${c}`,
      });
    }

    const ops = Object.keys(MIX) as Op[];
    const totalWeight = ops.reduce((sum, op) => sum + MIX[op], 0);
    const deadline = performance.now() + SECONDS * 1000;
    const client = async (c: number) => {
      const rng = mulberry32(1000 + c);
      let n = 0;
      while (performance.now() < deadline) {
        let pick = rng() * totalWeight;
        const op = ops.find((o) => (pick -= MIX[o]) < 0) ?? 'list';
        const started = performance.now();
        try {
          if (op === 'list') {
            await gql(
              `{ datasets(first: 20) { totalCount edges { node { slug versions(first: 5) { edges { node { id sampleCount contentHash } } } } } } }`,
            );
          } else if (op === 'lineage') {
            await gql(
              `query ($v: ID!) { lineage(input: { version: $v, depth: 5 }) { isPartial nodes { degree version { id } } edges { role } } }`,
              {
                v: chain[Math.floor(rng() * chain.length)],
              },
            );
          } else if (op === 'search') {
            await gql(
              `query ($q: String!) { searchSamples(query: $q, k: 10) { hits { distance sample { id ordinal } } } }`,
              {
                q: `question ${Math.floor(rng() * 300)} plus`,
              },
            );
          } else if (op === 'createVersion' || op === 'ingest') {
            const rows = op === 'ingest' ? INGEST_ROWS : CREATE_ROWS;
            const samples = samplesFor(`client ${c} write ${n}`, rows, rng);
            n += 1;
            const id =
              op === 'ingest'
                ? await ingest(`client-${c}`, samples)
                : await createVersion(`client-${c}`, samples);
            written.push({ id, count: rows, hash: expectedHash(samples) });
          } else {
            const data = await gql<{ computeMetrics: { id: string } }>(
              `mutation ($v: ID!) { computeMetrics(version: $v, metrics: ["complexity.length", "diversity.distinct_n"]) { id } }`,
              { v: chain[Math.floor(rng() * chain.length)] },
            );
            jobs.push(data.computeMetrics.id);
          }
          latencies.get(op)!.push(performance.now() - started);
        } catch (error) {
          errors.push({ op, message: (error as Error).message });
        }
      }
    };
    const began = performance.now();
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    const elapsed = (performance.now() - began) / 1000;
    const jobStates = await waitForJobs(jobs);

    // Every write accounted for: the versions the clients were told about, and nothing else.
    let mismatched = 0;
    for (const expected of written) {
      const { node } = await gql<{ node: { sampleCount: number; contentHash: string } | null }>(
        `query ($id: ID!) { node(id: $id) { ... on DatasetVersion { sampleCount contentHash } } }`,
        { id: expected.id },
      );
      if (!node || node.sampleCount !== expected.count || node.contentHash !== expected.hash) mismatched += 1;
    }
    // Version numbers are taken in the publishing transaction, so a dataset's latest number is how
    // many versions it holds.
    const { datasets } = await gql<{
      datasets: { edges: { node: { latestVersion: { version: number } | null } }[] };
    }>(`{ datasets(first: 100) { edges { node { latestVersion { version } } } } }`);
    const stored = datasets.edges.reduce((sum, e) => sum + (e.node.latestVersion?.version ?? 0), 0);

    const backend = PGLITE ? 'PGlite' : 'PostgreSQL';
    console.log(
      `bench/load: ${CLIENTS} clients for ${elapsed.toFixed(1)} s on ${backend} (qdc serve, 1 job worker)`,
    );
    console.log('  operation        count   ops/s    p50 ms    p95 ms');
    let total = 0;
    for (const op of ops) {
      const values = latencies.get(op)!.sort((a, b) => a - b);
      total += values.length;
      console.log(
        `  ${op.padEnd(15)} ${String(values.length).padStart(6)} ${(values.length / elapsed).toFixed(1).padStart(7)} ${percentile(values, 50).toFixed(1).padStart(9)} ${percentile(values, 95).toFixed(1).padStart(9)}`,
      );
    }
    console.log(`  all             ${String(total).padStart(6)} ${(total / elapsed).toFixed(1).padStart(7)}`);
    console.log(`  errors: ${errors.length}`);
    for (const e of errors.slice(0, 10)) console.log(`    ${e.op}: ${e.message}`);
    console.log(`  metric jobs: ${JSON.stringify(jobStates)}`);
    console.log(
      `  writes: ${written.length} versions acknowledged, ${stored} stored, ${mismatched} with a wrong count or content hash`,
    );
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await scratch?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
