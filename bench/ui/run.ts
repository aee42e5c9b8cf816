/**
 * bench/ui: the web explorer against a bare GraphQL client, in one run.
 *   1. Time from navigation to the first rendered sample rows of a large version (default 1M
 *      samples) in headless Chromium, versus the same GraphQL page request (`sampleRows`, first
 *      page) made by a bare client (fetch): the ratio's goal is <= 1.5.
 *   2. JavaScript shipped for the first view (the catalog home) and for each other view, gzipped
 *      as the server sends it: the goal for the first view is <= 600 KB.
 * Each timing is the median of --rounds runs, each in a fresh browser context (cold cache), plus
 * a warm-cache figure (the same context navigating again: scripts from the HTTP cache). The page
 * is timed with the first view answered inside the HTML (src/http/firstView.ts: the rows drawn by
 * the server, then the app's) and without it (a second server on the same database with
 * webFirstView off), and broken down with the page's own Navigation and Resource Timing entries.
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
import { sql } from 'drizzle-orm';
import { idOf } from '../../src/globalId.js';
import type { Page } from 'puppeteer-core';
import { ensureWebBuilt, launchBrowser } from '../../test/helpers/browser.js';
import { testWorker, waitForJob } from '../../test/helpers/jobs.js';
import { startTestServer } from '../../test/helpers/testServer.js';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '7' },
    qd: { type: 'string', default: '10000' },
  },
});
const N = Number(args.n);
const ROUNDS = Number(args.rounds);
/** The sample browser's page size (web/src/views/Samples.tsx). */
const PAGE_SIZE = 200;
/** Versions on the QD plane of part 3. */
const QD_VERSIONS = Number(args.qd);
const DIST = join(import.meta.dirname, '../../web/dist');

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

ensureWebBuilt();
const server = await startTestServer({ tintMaxSamples: Math.max(N, 10) });
const plainServer = await startTestServer({ database: server.database, webFirstView: false });
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
  const shipped = new Map<string, Set<string>>();
  interface Timing {
    /** Navigation start -> the first [data-ordinal] (server-drawn or the app's). */
    rows: number;
    /** Navigation start -> the app's own rows (interactive). */
    appRows: number;
    /** Navigation start -> the request sent, the first byte of the HTML, its last byte. */
    request: number;
    ttfb: number;
    html: number;
    scripts: number;
    graphqlRequests: number;
    graphqlMs: number;
  }
  const timings = new Map<string, Timing[]>();
  let qd = { render: 0, frame: 0, points: 0 };
  const record = (name: string, t: Timing) => timings.set(name, [...(timings.get(name) ?? []), t]);
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
    /** One navigation to the samples URL, timed inside the page; `page` reused = warm cache. */
    const samplesTiming = async (base: string, page: Page): Promise<Timing> => {
      await page.goto(`${base}/versions/${version.id}/samples`);
      // Page-side code as strings: it runs in the browser (DOM types are not this file's). The
      // observer (installed by `watchRows` before any page script) noted when rows first appeared.
      await page.waitForFunction('window.__rows && window.__rows.app', { timeout: 120_000 });
      const { rows, appRows } = (await page.evaluate(
        '({ rows: window.__rows.first, appRows: window.__rows.app })',
      )) as { rows: number; appRows: number };
      const entries = (await page.evaluate(`(() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const resources = performance.getEntriesByType('resource');
        const js = resources.filter((r) => r.name.endsWith('.js'));
        const gql = resources.filter((r) => new URL(r.name).pathname === '/graphql');
        return {
          request: nav.requestStart,
          ttfb: nav.responseStart,
          html: nav.responseEnd,
          scripts: Math.max(0, ...js.map((r) => r.responseEnd)),
          graphqlRequests: gql.length,
          graphqlMs: gql.reduce((sum, r) => sum + (r.responseEnd - r.startTime), 0),
        };
      })()`)) as Omit<Timing, 'rows' | 'appRows'>;
      return { rows, appRows, ...entries };
    };
    /** Notes (performance.now) when the first [data-ordinal] and the app's first row appear. */
    const watchRows = (page: Page) =>
      page.evaluateOnNewDocument(`(() => {
        window.__rows = {};
        const check = () => {
          if (!window.__rows.first && document.querySelector('[data-ordinal]')) window.__rows.first = performance.now();
          if (!window.__rows.app && document.querySelector('.sample-row [data-ordinal]')) window.__rows.app = performance.now();
        };
        new MutationObserver(check).observe(document, { childList: true, subtree: true });
      })()`);
    const cold = async (name: string, base: string) => {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport({ width: 1400, height: 1000 });
      await watchRows(page);
      record(`${name}, cold`, await samplesTiming(base, page));
      record(`${name}, warm`, await samplesTiming(base, page));
      await context.close();
    };
    await measure(`/versions/${version.id}/samples`, '[data-ordinal]', 'samples'); // warm-up
    for (let i = 0; i < ROUNDS; i++) {
      await cold('first view in the HTML', server.url);
      await cold('app only (webFirstView off)', plainServer.url);
    }
    await measure('/', '[data-testid="datasets"] tbody tr', 'home (first view)');
    await measure(`/datasets/bench-ui`, '.version', 'version');
    await measure(`/versions/${version.id}/lineage`, '[data-testid="lineage-graph"] canvas', 'lineage');
    await measure('/qd', '[data-testid="qd-summary"], .error', 'qd plane');
    await measure('/taxonomy', '[data-testid="components"]', 'taxonomy');

    // 3. The QD plane with QD_VERSIONS versions: one made through the API (a version and two
    // pushed scores), the rest copied from it in SQL with other values (the API would take
    // minutes for 10k versions and this measures the page, not ingest).
    await server.ok(`mutation { createDataset(input: { slug: "bench-qd", name: "bench qd" }) { id } }`);
    const made = await server.ok(
      `mutation { createVersion(input: { dataset: "bench-qd", samples: [{ prompt: "p", response: "r" }] }) { version { id } } }`,
    );
    for (const name of ['qx', 'qy']) {
      await server.ok(
        `mutation ($v: ID!, $s: ScorerInput!) { recordSampleScores(version: $v, scorer: $s, scores: [{ ordinal: 0, value: 0.5 }]) { recorded } }`,
        { v: made.createVersion.version.id, s: { name } },
      );
    }
    const template = idOf('DatasetVersion', made.createVersion.version.id);
    const { db } = server.database;
    await db.execute(sql`insert into dataset_versions (dataset_id, version, content_hash, sample_count, byte_size)
      select dataset_id, 1 + i, 'qd-' || i, 1, 0 from dataset_versions, generate_series(1, ${QD_VERSIONS - 1}::int) i
      where id = ${template}`);
    await db.execute(sql`insert into metric_results (version_id, scorer_id, params, params_hash, status, value, n, samples_done, estimator, computed_at)
      select v.id, r.scorer_id, r.params, r.params_hash, r.status,
        case when s.name = 'qx' then (v.version * 0.6180339887) % 1 else ((v.version * 0.7548776662) % 1) * (1.2 - (v.version * 0.6180339887) % 1) end,
        r.n, r.samples_done, r.estimator, r.computed_at
      from dataset_versions v, metric_results r join scorers s on s.id = r.scorer_id
      where v.dataset_id = (select dataset_id from dataset_versions where id = ${template}) and v.id <> ${template}
        and r.version_id = ${template}`);
    const qdPath = '/qd?x=external:qx&y=external:qy&datasets=bench-qd&arrows=off';
    const qdRender: number[] = [];
    const qdFrames: number[] = [];
    let qdPoints = 0;
    for (let i = 0; i < Math.max(3, Math.ceil(ROUNDS / 2)); i++) {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport({ width: 1400, height: 1000 });
      const t = performance.now();
      await page.goto(`${server.url}${qdPath}`);
      await page.waitForSelector('[data-testid="qd-plot"] svg', { timeout: 300_000 });
      qdRender.push(performance.now() - t);
      qdPoints = (await page.$$('[data-testid="qd-plot"] svg circle')).length;
      // Frame time while the page scrolls past the plot and its tables (no pan/zoom exists).
      qdFrames.push(
        (await page.evaluate(`new Promise((resolve) => {
          const times = []; let last = performance.now(); let n = 0;
          const step = (now) => { times.push(now - last); last = now; window.scrollBy(0, 40);
            if (++n < 60) requestAnimationFrame(step); else resolve(times.sort((a, b) => a - b)[Math.floor(times.length / 2)]); };
          requestAnimationFrame(step);
        })`)) as number,
      );
      await context.close();
    }
    qd = { render: median(qdRender), frame: median(qdFrames), points: qdPoints };
  } finally {
    await browser.close();
  }

  const b = median(bare);
  console.log(
    '\n1. first sample rows of a %s-sample version (median of %d)',
    N.toLocaleString('en-US'),
    ROUNDS,
  );
  console.log(`   bare GraphQL client, first page of ${PAGE_SIZE}: ${b.toFixed(1)} ms`);
  console.log(
    '   | page | first rows | ratio | app rows | ratio | request sent | HTML first byte | HTML done | scripts done | GraphQL requests | their time |',
  );
  console.log('   | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [name, list] of timings) {
    const m = (key: keyof Timing) => median(list.map((t) => t[key]));
    console.log(
      `   | ${name} | ${m('rows').toFixed(0)} ms | ${(m('rows') / b).toFixed(2)} | ${m('appRows').toFixed(0)} ms | ${(m('appRows') / b).toFixed(2)} | ${m('request').toFixed(0)} ms | ${m('ttfb').toFixed(0)} ms | ${m('html').toFixed(0)} ms | ${m('scripts').toFixed(0)} ms | ${m('graphqlRequests')} | ${m('graphqlMs').toFixed(0)} ms |`,
    );
  }
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
  console.log(
    `\n3. QD plane, ${QD_VERSIONS.toLocaleString('en-US')} versions (${qd.points} dots drawn): navigation -> plot ${qd.render.toFixed(0)} ms; median frame while scrolling ${qd.frame.toFixed(1)} ms`,
  );
} finally {
  await worker.stop();
  await plainServer.stop();
  await server.stop();
}
