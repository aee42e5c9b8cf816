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
import { idOf } from '../../src/globalId.js';
import type { Page } from 'puppeteer-core';
import { ensureWebBuilt, launchBrowser } from '../../test/helpers/browser.js';
import { testWorker, waitForJob } from '../../test/helpers/jobs.js';
import { makeQdVersions } from '../../test/helpers/qdVersions.js';
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
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!;

/**
 * Page-side: a wheel zoom over the QD plot (40 wheel events, one per animation frame), then, once
 * the chart has been drawn again at the new domains, a drag pan (40 moves, one per frame), as
 * d3-zoom receives them from a mouse. Resolves the frame times (requestAnimationFrame deltas) of
 * each and the redraw time (the gesture's end mark to the next drawn mark).
 */
const QD_GESTURES = `(async () => {
  const svg = document.querySelector('[data-testid="qd-plot"] figure > svg');
  const box = svg.getBoundingClientRect();
  const cx = box.left + box.width / 2, cy = box.top + box.height / 2;
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  const run = async (steps, act) => {
    const deltas = [];
    let last = await frame();
    for (let i = 0; i < steps; i++) {
      act(i);
      const now = await frame();
      deltas.push(now - last);
      last = now;
    }
    return deltas;
  };
  const mouse = (type, x, y) => new MouseEvent(type, { clientX: x, clientY: y, bubbles: true, cancelable: true, view: window, button: 0 });
  const drawn = () => performance.getEntriesByName('qdc-qd-drawn').length;
  const before = drawn();
  const wheel = await run(40, () => svg.dispatchEvent(new WheelEvent('wheel', { deltaY: -40, clientX: cx, clientY: cy, bubbles: true, cancelable: true, view: window })));
  while (drawn() === before) await frame();
  const end = performance.getEntriesByName('qdc-qd-gesture-end').at(-1).startTime;
  const redraw = performance.getEntriesByName('qdc-qd-drawn').at(-1).startTime - end;
  const zoomed = document.querySelector('[data-testid="qd-plot"] figure > svg');
  zoomed.dispatchEvent(mouse('mousedown', cx, cy));
  const pan = await run(40, (i) => window.dispatchEvent(mouse('mousemove', cx + (i + 1) * 6, cy + (i + 1) * 3)));
  window.dispatchEvent(mouse('mouseup', cx + 240, cy + 120));
  return { wheel, pan, redraw };
})()`;

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
    /** Navigation start -> the first contentful paint (the drawn rows, stylesheet applied). */
    paint: number;
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
  let qd = {
    bare: 0,
    render: 0,
    request: 0,
    answered: 0,
    wheel: 0,
    wheel90: 0,
    pan: 0,
    pan90: 0,
    redraw: 0,
    points: 0,
  };
  const qdBare: number[] = [];
  const qdRender: number[] = [];
  const qdRequest: number[] = [];
  const qdAnswered: number[] = [];
  const qdWheel: number[] = [];
  const qdPan: number[] = [];
  const qdRedraw: number[] = [];
  let qdPoints = 0;
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
          paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
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

    // 3. The QD plane with QD_VERSIONS versions (most made in SQL: test/helpers/qdVersions.ts).
    await makeQdVersions(server, 'bench-qd', QD_VERSIONS);
    const qdPath = '/qd?x=external:qx&y=external:qy&datasets=bench-qd&arrows=off';
    // The page's own request (web/src/views/QdPlane.tsx, FRONTIER), made by a bare client.
    const frontierQuery = `query QdPlane($x: MetricAxisInput!, $y: MetricAxisInput!, $scope: VersionScopeInput) {
  paretoFrontier(x: $x, y: $y, scope: $scope) {
    xDirection yDirection
    points { x y onFrontier version { id version dataset { slug } parents { role version { id } } } }
    frontier { x y version { id } }
    excluded { reason version { id version dataset { slug } } }
  }
}`;
    const qdRounds = Math.max(3, Math.ceil(ROUNDS / 2));
    for (let i = 0; i < qdRounds + 1; i++) {
      const t = performance.now();
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: frontierQuery,
          variables: {
            x: { metric: 'external:qx' },
            y: { metric: 'external:qy' },
            scope: { datasets: ['bench-qd'] },
          },
        }),
      });
      const body = (await res.json()) as { data: { paretoFrontier: { points: unknown[] } } };
      if (body.data.paretoFrontier.points.length !== QD_VERSIONS) throw new Error('short frontier');
      if (i > 0) qdBare.push(performance.now() - t);
    }
    for (let i = 0; i < qdRounds; i++) {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport({ width: 1400, height: 1000 });
      await page.goto(`${server.url}${qdPath}`);
      await page.waitForFunction(`performance.getEntriesByName('qdc-qd-drawn').length > 0`, {
        timeout: 300_000,
      });
      const drawn = (await page.evaluate(`(() => {
        const gql = performance.getEntriesByType('resource').filter((r) => new URL(r.name).pathname === '/graphql');
        const frontier = gql.reduce((a, b) => (b.responseEnd - b.startTime > a.responseEnd - a.startTime ? b : a));
        return { at: performance.getEntriesByName('qdc-qd-drawn')[0].startTime, frontier: frontier.responseEnd - frontier.startTime, answered: frontier.responseEnd };
      })()`)) as { at: number; frontier: number; answered: number };
      qdRender.push(drawn.at);
      qdRequest.push(drawn.frontier);
      qdAnswered.push(drawn.answered);
      qdPoints = Number(await page.$eval('[data-testid="qd-plot"]', (e) => e.getAttribute('data-drawn')));
      const frames = (await page.evaluate(QD_GESTURES)) as { wheel: number[]; pan: number[]; redraw: number };
      qdWheel.push(...frames.wheel);
      qdPan.push(...frames.pan);
      qdRedraw.push(frames.redraw);
      await context.close();
    }
    qd = {
      bare: median(qdBare),
      render: median(qdRender),
      request: median(qdRequest),
      answered: median(qdAnswered),
      wheel: median(qdWheel),
      wheel90: percentile(qdWheel, 0.9),
      pan: median(qdPan),
      pan90: percentile(qdPan, 0.9),
      redraw: median(qdRedraw),
      points: qdPoints,
    };
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
    '   | page | first rows | ratio | first paint | ratio | app rows | ratio | request sent | HTML first byte | HTML done | scripts done | GraphQL requests | their time |',
  );
  console.log(
    '   | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const [name, list] of timings) {
    const m = (key: keyof Timing) => median(list.map((t) => t[key]));
    console.log(
      `   | ${name} | ${m('rows').toFixed(0)} ms | ${(m('rows') / b).toFixed(2)} | ${m('paint').toFixed(0)} ms | ${(m('paint') / b).toFixed(2)} | ${m('appRows').toFixed(0)} ms | ${(m('appRows') / b).toFixed(2)} | ${m('request').toFixed(0)} ms | ${m('ttfb').toFixed(0)} ms | ${m('html').toFixed(0)} ms | ${m('scripts').toFixed(0)} ms | ${m('graphqlRequests')} | ${m('graphqlMs').toFixed(0)} ms |`,
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
    `\n3. QD plane, ${QD_VERSIONS.toLocaleString('en-US')} versions (${qd.points} dots drawn), median of ${Math.max(3, Math.ceil(ROUNDS / 2))} cold navigations`,
  );
  console.log(`   bare GraphQL client, the page's paretoFrontier request: ${qd.bare.toFixed(0)} ms`);
  console.log(
    `   navigation -> plot drawn: ${qd.render.toFixed(0)} ms (${(qd.render / qd.bare).toFixed(2)}x bare); the page's own paretoFrontier request ${qd.request.toFixed(0)} ms, answered at ${qd.answered.toFixed(0)} ms`,
  );
  console.log(
    `   frame time, wheel zoom over all ${qd.points} dots: median ${qd.wheel.toFixed(1)} ms, p90 ${qd.wheel90.toFixed(1)} ms; drag pan (zoomed in): median ${qd.pan.toFixed(1)} ms, p90 ${qd.pan90.toFixed(1)} ms; redraw after the zoom: ${qd.redraw.toFixed(0)} ms`,
  );
} finally {
  await worker.stop();
  await plainServer.stop();
  await server.stop();
}
