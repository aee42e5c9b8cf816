/**
 * The web explorer in a real browser (Debian's headless Chromium through puppeteer-core), on a
 * catalog built here: what each view shows is checked against the GraphQL API's own answers, every
 * request the pages make stays on the server's origin, and each view is saved as a screenshot in
 * test/artifacts/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import type { RunningWorker } from '../src/jobs/worker.js';
import {
  ensureWebBuilt,
  foreignRequests,
  launchBrowser,
  openPage,
  screenshot,
  texts,
  type RecordedPage,
  WITHOUT_CHROMIUM,
} from './helpers/browser.js';
import { testWorker } from './helpers/jobs.js';
import { startTestServer, type TestServer, type ResponseJson } from './helpers/testServer.js';
import { buildWebCatalog, TINT_SAMPLES, type WebCatalog } from './helpers/webCatalog.js';

/** Browser globals of the callbacks that run inside the page (page.evaluate, waitForFunction). */
declare const document: ResponseJson;

describe('web explorer in headless Chromium', { skip: WITHOUT_CHROMIUM }, () => {
  let server: TestServer;
  let worker: RunningWorker;
  let catalog: WebCatalog;
  let browser: Browser;
  const pages: RecordedPage[] = [];

  before(async () => {
    ensureWebBuilt();
    server = await startTestServer({ tintMaxSamples: 50_000 });
    worker = testWorker(server.database);
    catalog = await buildWebCatalog(server);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await worker?.stop();
    await server?.stop();
  });

  async function open(path: string): Promise<Page> {
    const recorded = await openPage(browser);
    pages.push(recorded);
    await recorded.page.goto(`${server.url}${path}`, { waitUntil: 'networkidle0' });
    return recorded.page;
  }

  it('lists the datasets with their count, and finds them by text and by semantic search', async () => {
    const page = await open('/');
    await page.waitForSelector('[data-testid="datasets"] tbody tr');
    const { datasets } = await server.ok(`{ datasets(first: 20) { totalCount edges { node { slug } } } }`);
    assert.equal(datasets.totalCount, 6);
    assert.equal(await page.$eval('[data-testid="dataset-count"]', (e) => e.textContent), '6 datasets');
    assert.deepEqual(
      await page.$$eval('[data-testid="datasets"] tbody tr', (rows) =>
        rows.map((r) => r.getAttribute('data-slug')),
      ),
      datasets.edges.map((e: ResponseJson) => e.node.slug),
    );
    await screenshot(page, 'home');

    await page.type('input[name="q"]', 'Self-Instruct');
    await page.click('form.search button[type="submit"]');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="dataset-count"]')?.textContent === '1 datasets',
    );
    assert.deepEqual(
      await page.$$eval('[data-testid="datasets"] tbody tr', (rows) =>
        rows.map((r) => r.getAttribute('data-slug')),
      ),
      ['chat-raw'],
    );

    const expected = await server.ok(
      `{ searchDatasets(query: "arithmetic addition traces", k: 20) { hits { dataset { slug } } } }`,
    );
    await page.goto(`${server.url}/?q=${encodeURIComponent('arithmetic addition traces')}&mode=semantic`, {
      waitUntil: 'networkidle0',
    });
    await page.waitForSelector('[data-testid="datasets"] tbody tr');
    assert.deepEqual(
      await page.$$eval('[data-testid="datasets"] tbody tr', (rows) =>
        rows.map((r) => r.getAttribute('data-slug')),
      ),
      expected.searchDatasets.hits.map((h: ResponseJson) => h.dataset.slug),
    );
  });

  it("shows a version's metric results by axis exactly as GraphQL gives them, with deltas", async () => {
    const page = await open(`/datasets/${catalog.filtered.slug}/v/1`);
    await page.waitForSelector('[data-testid="metrics"] tr[data-metric]');
    const { version } = await server.ok(
      `query ($id: ID!) { version(id: $id) { metrics { metric value status definition { axis } } metricDeltas { metric delta } } }`,
      { id: catalog.filtered.id },
    );
    const shown = await page.$$eval('[data-testid="metrics"] table', (tables) =>
      tables.flatMap((table) =>
        [...table.querySelectorAll('tr[data-metric]')].map((row) => ({
          axis: table.getAttribute('data-axis'),
          metric: row.getAttribute('data-metric'),
          value: Number(row.querySelector('.value')!.getAttribute('data-value')),
          status: row.getAttribute('data-status'),
        })),
      ),
    );
    const expected = version.metrics
      .map((m: ResponseJson) => ({
        axis: m.definition.axis,
        metric: m.metric,
        value: m.value,
        status: m.status,
      }))
      .sort(
        (x: ResponseJson, y: ResponseJson) =>
          ['QUALITY', 'DIVERSITY', 'COMPLEXITY'].indexOf(x.axis) -
          ['QUALITY', 'DIVERSITY', 'COMPLEXITY'].indexOf(y.axis),
      );
    assert.equal(shown.length, 3);
    assert.deepEqual(shown, expected);
    assert.deepEqual(
      (
        await page.$$eval('[data-testid="deltas"] tr[data-metric]', (rows) =>
          rows.map((r) => r.getAttribute('data-metric')),
        )
      ).sort(),
      version.metricDeltas.map((d: ResponseJson) => d.metric).sort(),
    );
    await screenshot(page, 'version');

    // The raw version's duplicates, side by side, with the overlap run's figures.
    await page.goto(`${server.url}/datasets/${catalog.raw.slug}`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('[data-testid="overlaps"] table.pairs tbody tr');
    const { version: raw } = await server.ok(
      `query ($id: ID!) { version(id: $id) { overlaps { matchedSamples pairs(first: 10) { edges { node { sample { ordinal } matched { ordinal } } } } } } }`,
      { id: catalog.raw.id },
    );
    assert.ok(raw.overlaps.matchedSamples > 0);
    assert.match(
      await page.$eval('[data-testid="overlaps"] p', (e) => e.textContent ?? ''),
      new RegExp(`^${raw.overlaps.matchedSamples} of 600 samples`),
    );
    assert.deepEqual(
      await texts(page, '[data-testid="overlaps"] tbody td .ordinal'),
      raw.overlaps.pairs.edges.flatMap((e: ResponseJson) => [
        `#${e.node.sample.ordinal}`,
        `#${e.node.matched.ordinal}`,
      ]),
    );
  });

  it('draws the lineage graph with the expected nodes and edge labels, and shows a partial walk', async () => {
    const page = await open(
      `/versions/${catalog.filtered.id}/lineage?direction=BOTH&metric=complexity.length`,
    );
    await page.waitForSelector('[data-testid="lineage-graph"] canvas');
    const ids = await page.$$eval('[data-testid="lineage-nodes"] tr[data-version-id]', (rows) =>
      rows.map((r) => r.getAttribute('data-version-id')),
    );
    assert.deepEqual(
      new Set(ids),
      new Set([catalog.filtered.id, catalog.raw.id, catalog.dedup.id, catalog.seed.id]),
    );
    assert.deepEqual((await texts(page, '[data-testid="lineage-edges"] .edge-label')).sort(), [
      'DEDUPLICATED_FROM · {"rougeL":0.7}',
      'FILTERED_FROM · alpagasus · {"minScore":4.5}',
      'SEED · self-instruct · gpt-4-0613 · {"topP":0.95,"temperature":0.7}',
    ]);
    assert.equal(await page.$('[data-testid="lineage-partial"]'), null);
    await screenshot(page, 'lineage');

    // Clicking a node opens its version.
    const graph = (await page.$('[data-testid="lineage-graph"]'))!;
    const box = (await graph.boundingBox())!;
    // dagre lays the chain out left to right: seed, raw, filtered, dedup.
    await page.mouse.click(box.x + box.width * 0.1, box.y + box.height / 2);
    await page.waitForSelector('[data-testid="dataset-card"]');
    assert.equal(new URL(page.url()).pathname, `/datasets/${catalog.seed.slug}/v/1`);

    await page.goto(`${server.url}/versions/${catalog.filtered.id}/lineage?direction=UPSTREAM&depth=1`, {
      waitUntil: 'networkidle0',
    });
    await page.waitForSelector('[data-testid="lineage-partial"]');
    assert.deepEqual(
      await page.$$eval('[data-testid="lineage-nodes"] tr[data-truncated="true"]', (rows) =>
        rows.map((r) => r.getAttribute('data-version-id')),
      ),
      [catalog.raw.id],
    );
  });

  it('places versions on the QD plane with the frontier points of paretoFrontier', async () => {
    const page = await open('/qd?x=quality.heuristic_quality&y=diversity.distinct_n');
    await page.waitForSelector('[data-testid="qd-points"] tr[data-version-id]');
    await page.waitForSelector('[data-testid="qd-plot"] svg');
    const { paretoFrontier } =
      await server.ok(`{ paretoFrontier(x: { metric: "quality.heuristic_quality" }, y: { metric: "diversity.distinct_n" }) {
      points { version { id } } frontier { version { id } } excluded { version { id } reason } } }`);
    const onFrontier = await page.$$eval('[data-testid="qd-points"] tr[data-frontier="true"]', (rows) =>
      rows.map((r) => r.getAttribute('data-version-id')),
    );
    assert.ok(paretoFrontier.frontier.length >= 1);
    assert.deepEqual(
      new Set(onFrontier),
      new Set(paretoFrontier.frontier.map((p: ResponseJson) => p.version.id)),
    );
    assert.equal(
      await page.$$eval('[data-testid="qd-points"] tr[data-version-id]', (rows) => rows.length),
      paretoFrontier.points.length,
    );
    assert.deepEqual(
      (await texts(page, '[data-testid="qd-excluded"] tbody td:nth-child(2)')).sort(),
      paretoFrontier.excluded.map((e: ResponseJson) => e.reason).sort(),
    );
    // One dot per point, each a link to its version.
    assert.equal(
      await page.$$eval('[data-testid="qd-plot"] svg a', (links) => links.length),
      paretoFrontier.points.length,
    );
    await page.waitForSelector('[data-testid="qd-compare"] td[data-comparable]');
    await screenshot(page, 'qd-plane');
  });

  it('pages through a 20k-sample version to the end with every ordinal once, in order', async () => {
    const { page } = pages[pages.push(await openPage(browser)) - 1]!;
    const ordinals: number[] = [];
    page.on('response', async (response) => {
      if (response.request().resourceType() === 'document') {
        // The first page comes inside the HTML (src/http/firstView.ts), the others from SampleRows.
        const html = await response.text();
        const json = /id="qdc-first-view">(.*?)<\/script>/s.exec(html)?.[1];
        for (const op of json ? JSON.parse(json) : []) {
          for (const edge of op.result.data.version?.firstRows?.edges ?? []) ordinals.push(edge.node.ordinal);
        }
        return;
      }
      if (!response.url().endsWith('/graphql') || response.request().method() !== 'POST') return;
      const body = response.request().postData() ?? '';
      // Without the first view in the HTML, the first page comes with the version (firstRows).
      if (!body.includes('SampleRows') && !body.includes('SampleBrowserVersion')) return;
      const json = await response.json();
      const page = json.data.version.sampleRows ?? json.data.version.firstRows;
      for (const edge of page?.edges ?? []) ordinals.push(edge.node.ordinal);
    });
    await page.goto(`${server.url}/versions/${catalog.tint.id}/samples`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('[data-testid="sample-scroller"] [data-ordinal]');
    await screenshot(page, 'samples');
    for (let i = 0; i < 2000; i++) {
      const text = await page.$eval('[data-testid="rows-loaded"]', (e) => e.textContent ?? '');
      if (text.includes('(end)')) break;
      await page.$eval('[data-testid="sample-scroller"]', (e) => e.scrollTo(0, e.scrollHeight));
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="rows-loaded"]')?.textContent?.includes('(end)'),
    );
    assert.equal(ordinals.length, TINT_SAMPLES);
    ordinals.forEach((ordinal, i) => assert.equal(ordinal, i));
    await page.$eval('[data-testid="sample-scroller"]', (e) => e.scrollTo(0, e.scrollHeight));
    await page.waitForFunction(() => document.querySelector('[data-ordinal="19999"]'));
    // Virtualised: only the rows in view are in the DOM.
    assert.ok((await page.$$('[data-testid="sample-scroller"] [data-ordinal]')).length < 60);
  });

  it('sorts samples by a per-sample score and filters them by a range', async () => {
    const metric = 'complexity.length';
    const page = await open(`/versions/${catalog.tint.id}/samples?columns=${metric}&sort=${metric}&desc=1`);
    await page.waitForSelector('[data-testid="sample-scroller"] [data-ordinal]');
    const rowsOf = async () =>
      page.$$eval('[data-testid="sample-scroller"] article[data-ordinal]', (rows) =>
        rows.map((r) => ({
          ordinal: Number(r.getAttribute('data-ordinal')),
          value: Number(r.querySelector('.score')!.getAttribute('data-value')),
        })),
      );
    const query = `query ($id: ID!, $orderBy: SampleRowOrder, $ranges: [ScoreRangeInput!]) { version(id: $id) {
      sampleRows(first: 10, columns: ["${metric}"], orderBy: $orderBy, ranges: $ranges) { edges { node { ordinal scores } } } } }`;
    const sorted = await server.ok(query, { id: catalog.tint.id, orderBy: { metric, descending: true } });
    const shown = (await rowsOf()).slice(0, 5);
    assert.deepEqual(
      shown,
      sorted.version.sampleRows.edges
        .slice(0, 5)
        .map((e: ResponseJson) => ({ ordinal: e.node.ordinal, value: e.node.scores[0] })),
    );
    for (let i = 1; i < shown.length; i++) assert.ok(shown[i - 1]!.value >= shown[i]!.value);

    await page.waitForSelector(`.facet[data-metric="${metric}"] svg`);
    await screenshot(page, 'samples-sorted');
    await page.type(`input[name="min:${metric}"]`, '20');
    await page.type(`input[name="max:${metric}"]`, '30');
    await page.click('h1');
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('article[data-ordinal] .score')].every((s) => {
          const v = Number(s.getAttribute('data-value'));
          return v >= 20 && v <= 30;
        }) && document.querySelectorAll('article[data-ordinal]').length > 0,
    );
    const filtered = await server.ok(query, {
      id: catalog.tint.id,
      orderBy: { metric, descending: true },
      ranges: [{ metric, min: 20, max: 30 }],
    });
    assert.deepEqual(
      (await rowsOf()).slice(0, 5),
      filtered.version.sampleRows.edges
        .slice(0, 5)
        .map((e: ResponseJson) => ({ ordinal: e.node.ordinal, value: e.node.scores[0] })),
    );
  });

  it('runs a semantic search over a version and shows the GraphQL hits, then similar samples', async () => {
    const page = await open(`/versions/${catalog.raw.id}/samples`);
    await page.waitForSelector('input[name="semantic"]');
    await page.type('input[name="semantic"]', 'explain graphs and recursion');
    await page.click('.semantic button[type="submit"]');
    await page.waitForSelector('[data-testid="search-hits"] article');
    const expected = await server.ok(
      `query ($v: ID!) { searchSamples(query: "explain graphs and recursion", k: 20, scope: { versions: [$v] }) { hits { sample { ordinal } } } }`,
      { v: catalog.raw.id },
    );
    assert.deepEqual(
      await page.$$eval('[data-testid="search-hits"] article', (rows) =>
        rows.map((r) => Number(r.getAttribute('data-ordinal'))),
      ),
      expected.searchSamples.hits.map((h: ResponseJson) => h.sample.ordinal),
    );
    await screenshot(page, 'semantic-search');
    await page.click('[data-testid="sample-scroller"] [data-action="similar"]');
    await page.waitForSelector('[data-testid="similar-hits"] article');
    assert.equal(await page.$$eval('[data-testid="similar-hits"] article', (rows) => rows.length), 10);
  });

  it('queues a metric job from the version page and follows it to SUCCEEDED', async () => {
    const page = await open(`/datasets/${catalog.seed.slug}`);
    await page.waitForSelector('[data-action="compute"]');
    await page.click('.write-actions summary');
    await page.click('input[value="complexity.steps"]');
    await page.click('[data-action="compute"]');
    await page.waitForSelector('[data-testid="followed-job"] [data-job-status="SUCCEEDED"]', {
      timeout: 120_000,
    });
    await page.waitForSelector('tr[data-metric="complexity.steps"]');
    const { version } = await server.ok(
      `query ($id: ID!) { version(id: $id) { metrics(keys: ["complexity.steps"]) { value } } }`,
      {
        id: catalog.seed.id,
      },
    );
    assert.equal(
      Number(
        await page.$eval('tr[data-metric="complexity.steps"] .value', (e) => e.getAttribute('data-value')),
      ),
      version.metrics[0].value,
    );
    await screenshot(page, 'compute-job');
  });

  it('shows the taxonomy and, from an algorithm, the versions generated with it', async () => {
    const page = await open('/taxonomy');
    await page.waitForSelector('[data-testid="components"] tr[data-key]');
    const { components } = await server.ok(`{ components { key } }`);
    assert.equal(
      await page.$$eval('[data-testid="components"] tr[data-key]', (r) => r.length),
      components.length,
    );
    await screenshot(page, 'taxonomy');
    await page.click('[data-testid="algorithms"] tr[data-key="self-instruct"] a');
    await page.waitForSelector('[data-testid="algorithm-runs"]');
    assert.deepEqual(await texts(page, '[data-testid="algorithm-runs"] tbody td:first-child'), [
      'chat-raw v1',
    ]);
  });

  it('serves the bundled GraphiQL at /graphql to a browser', async () => {
    const page = await open('/graphql');
    await page.waitForSelector('.graphiql-container');
    await page.waitForSelector('.graphiql-execute-button');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await page.click('.graphiql-execute-button');
    await page.waitForFunction(() =>
      document.querySelector('.graphiql-response')?.textContent?.includes('totalCount'),
    );
    assert.match(await page.$eval('.graphiql-response', (e) => e.textContent ?? ''), /"backend"/);
    await screenshot(page, 'graphiql');
  });

  it('shows not-found pages, GraphQL errors with their code, and a retry after a network loss', async () => {
    const page = await open('/datasets/no-such-dataset');
    await page.waitForSelector('[data-testid="not-found"]');
    assert.match(
      await page.$eval('[data-testid="not-found"]', (e) => e.textContent ?? ''),
      /no-such-dataset/,
    );
    await screenshot(page, 'not-found');
    for (const path of [
      '/versions/garbage/lineage',
      `/versions/${catalog.raw.id.slice(0, -2)}zz/samples`,
      '/nowhere',
    ]) {
      await page.goto(`${server.url}${path}`, { waitUntil: 'networkidle0' });
      await page.waitForSelector('[data-testid="not-found"]');
    }
    await page.goto(`${server.url}/qd?x=nope.metric`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('.error[data-code="BAD_USER_INPUT"]');
    assert.match(
      await page.$eval('.error[data-code]', (e) => e.textContent ?? ''),
      /unknown metric "nope.metric"/,
    );

    await page.goto(`${server.url}/taxonomy`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('[data-testid="components"]');
    await page.setOfflineMode(true);
    await page.click('header.top a[href="/"]');
    await page.waitForSelector('.error[data-kind="network"] button');
    await screenshot(page, 'network-error');
    await page.setOfflineMode(false);
    await page.click('.error[data-kind="network"] button');
    await page.waitForSelector('[data-testid="datasets"] tbody tr');
  });

  it('made no request to any other origin', () => {
    const all = pages.flatMap((p) => p.requests);
    assert.ok(all.length > 50, `${all.length} requests recorded`);
    assert.deepEqual(foreignRequests(all, server.url), []);
    assert.deepEqual(
      pages.flatMap((p) => p.errors),
      [],
    );
  });
});
