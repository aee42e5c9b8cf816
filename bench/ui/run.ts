/**
 * bench/ui: the web explorer against a bare GraphQL client, in one run.
 *   1. Time from navigation to the first rendered sample rows of a large version (default 1M
 *      samples) in headless Chromium, versus the same GraphQL page request (`sampleRows`, first
 *      page) made by a bare client (fetch): the ratio's goal is <= 1.5.
 *   2. JavaScript shipped for the first view (the catalog home) and for each other view, gzipped
 *      as the server sends it: the goal for the first view is <= 600 KB.
 * Each timing is the median of --rounds runs, each in a fresh browser context (cold cache).
 *
 *   npm run bench:ui -- [--n 1000000] [--rounds 7]
 *   (DATABASE_URL: PostgreSQL server to use, else embedded PGlite)
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { idOf } from '../../src/globalId.js';
import { ensureWebBuilt, launchBrowser } from '../../test/helpers/browser.js';
import { testWorker, waitForJob } from '../../test/helpers/jobs.js';
import { startTestServer } from '../../test/helpers/testServer.js';

const { values: args } = parseArgs({
  options: { n: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '7' } },
});
const N = Number(args.n);
const ROUNDS = Number(args.rounds);
/** The sample browser's page size (web/src/views/Samples.tsx). */
const PAGE_SIZE = 200;
const DIST = join(import.meta.dirname, '../../web/dist');

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

ensureWebBuilt();
const server = await startTestServer({ tintMaxSamples: Math.max(N, 10) });
const worker = testWorker(server.database);
try {
  const started = performance.now();
  const queued = await server.ok(
    `mutation ($input: TIntGenerationInput!) { generateTIntDataset(input: $input) { id } }`,
    { input: { dataset: 'bench-ui', op: 'ADD', digits: { min: 1, max: 6 }, n: N, seed: 1 } },
  );
  const job = await waitForJob(server.database, idOf('Job', queued.generateTIntDataset.id), 3_600_000);
  if (job.status !== 'SUCCEEDED') throw new Error(`generation ${job.status}: ${job.error}`);
  const { job: done } = await server.ok(`query ($id: ID!) { job(id: $id) { versions { id sampleCount } } }`, {
    id: queued.generateTIntDataset.id,
  });
  const version = done.versions[0] as { id: string; sampleCount: number };
  console.log(
    `backend ${server.database.backend}, ${version.sampleCount.toLocaleString('en-US')} samples generated in ${((performance.now() - started) / 1000).toFixed(0)} s; load ${loadavg()[0]!.toFixed(1)}`,
  );

  // The app's own first-page request, made by a bare client.
  const query = `query SampleRows($id: ID!, $first: Int) { version(id: $id) { sampleRows(first: $first) {
    pageInfo { hasNextPage endCursor } edges { node { ordinal scores sample { id ordinal prompt response reference messages { role content } metadata } } } } } }`;
  const bare: number[] = [];
  for (let i = 0; i < ROUNDS + 1; i++) {
    const t = performance.now();
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables: { id: version.id, first: PAGE_SIZE } }),
    });
    const body = (await res.json()) as { data: { version: { sampleRows: { edges: unknown[] } } } };
    if (body.data.version.sampleRows.edges.length !== PAGE_SIZE) throw new Error('short page');
    if (i > 0) bare.push(performance.now() - t); // the first warms the server's caches
  }

  const browser = await launchBrowser();
  const ui: number[] = [];
  const shipped = new Map<string, Set<string>>();
  try {
    const measure = async (path: string, ready: string, view: string) => {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport({ width: 1400, height: 1000 });
      const scripts = new Set<string>();
      page.on('request', (r) => {
        if (r.resourceType() === 'script' || r.url().endsWith('.js')) scripts.add(new URL(r.url()).pathname);
      });
      const t = performance.now();
      await page.goto(`${server.url}${path}`);
      await page.waitForSelector(ready, { timeout: 120_000 });
      const ms = performance.now() - t;
      shipped.set(view, new Set([...(shipped.get(view) ?? []), ...scripts]));
      await context.close();
      return ms;
    };
    await measure(`/versions/${version.id}/samples`, '[data-ordinal]', 'samples'); // warm-up
    for (let i = 0; i < ROUNDS; i++)
      ui.push(await measure(`/versions/${version.id}/samples`, '[data-ordinal]', 'samples'));
    await measure('/', '[data-testid="datasets"] tbody tr', 'home (first view)');
    await measure(`/datasets/bench-ui`, '.version', 'version');
    await measure(`/versions/${version.id}/lineage`, '[data-testid="lineage-graph"] canvas', 'lineage');
    await measure('/qd', '[data-testid="qd-summary"], .error', 'qd plane');
    await measure('/taxonomy', '[data-testid="components"]', 'taxonomy');
  } finally {
    await browser.close();
  }

  const b = median(bare);
  const u = median(ui);
  console.log(
    '\n1. first sample rows of a %s-sample version (median of %d)',
    N.toLocaleString('en-US'),
    ROUNDS,
  );
  console.log(`   bare GraphQL client, first page of ${PAGE_SIZE}: ${b.toFixed(1)} ms`);
  console.log(
    `   explorer, navigation -> first rows rendered: ${u.toFixed(1)} ms (cold cache: HTML, JS, session check, page)`,
  );
  console.log(`   ratio explorer / bare: ${(u / b).toFixed(2)} (goal <= 1.5)`);
  console.log('\n2. JavaScript per view, gzipped (level 9, as served)');
  for (const [view, scripts] of shipped) {
    let raw = 0;
    let gz = 0;
    for (const path of scripts) {
      const body = readFileSync(join(DIST, path));
      raw += body.length;
      gz += gzipSync(body, { level: 9 }).length;
    }
    console.log(
      `   ${view.padEnd(18)} ${scripts.size} files, ${(raw / 1024).toFixed(0)} KB raw, ${(gz / 1024).toFixed(0)} KB gzipped`,
    );
  }
} finally {
  await worker.stop();
  await server.stop();
}
