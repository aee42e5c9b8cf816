/**
 * The embedding map in a real browser (Debian's headless Chromium with software WebGL, through
 * puppeteer-core), on a small catalog built here: a version embedded with the lexical embedder,
 * scored, checked for near-duplicates and projected by the real job. The map draws every point
 * (regl-scatterplot's own count), a box drawn with the mouse selects exactly the points under it
 * (worked out from the binary coordinates), the table lists them with their text, text is fetched
 * only for rows in view, and no request leaves the origin.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import type { RunningWorker } from '../src/jobs/worker.js';
import { idOf } from '../src/globalId.js';
import { ensureWebBuilt, foreignRequests, screenshot, WITHOUT_CHROMIUM } from './helpers/browser.js';
import { createDataset, createVersion } from './helpers/fixtures.js';
import { testWorker, waitForJob } from './helpers/jobs.js';
import { launchWebGlBrowser } from './helpers/webglBrowser.js';
import { prng } from './helpers/prng.js';
import { startTestServer, type ResponseJson, type TestServer } from './helpers/testServer.js';

declare const document: ResponseJson;

const TOPICS = {
  bread: 'sourdough starter flour dough knead proof loaf oven crust yeast',
  quantum: 'quantum entanglement particle state measurement spin qubit superposition photon',
  python: 'python function list slicing lambda generator iterator dictionary import',
  garden: 'tomato seedlings garden soil frost water compost mulch harvest',
  tax: 'income tax salary brackets deductions allowances return refund payroll',
};
const N = 250;
const MARGIN = 1.05;

function samples() {
  const random = prng(21);
  const names = Object.keys(TOPICS) as (keyof typeof TOPICS)[];
  return Array.from({ length: N }, (_, i) => {
    const topic = names[i % names.length]!;
    const words = TOPICS[topic].split(' ');
    const pick = (k: number) =>
      Array.from({ length: k }, () => words[Math.floor(random() * words.length)]).join(' ');
    // Every 25th sample repeats its neighbour's text: near-duplicates for the overlap colouring.
    const body =
      i % 25 === 1 ? `${topic}: about ${pick(0)}` : `${topic}: ${pick(4 + Math.floor(random() * 12))}`;
    return { prompt: `Tell me about ${topic} (${i})`, response: body };
  });
}

describe('embedding map in headless Chromium', { skip: WITHOUT_CHROMIUM }, () => {
  let server: TestServer;
  let worker: RunningWorker;
  let browser: Browser;
  let versionId: string;
  let pca: { id: string; coordinatesUrl: string; ordinalsUrl: string; bounds: ResponseJson };

  const finish = async (id: string) => {
    const job = await waitForJob(server.database, idOf('Job', id), 300_000);
    assert.equal(job.status, 'SUCCEEDED', job.error ?? '');
  };

  before(async () => {
    ensureWebBuilt();
    server = await startTestServer();
    worker = testWorker(server.database);
    await createDataset(server, 'map-chat', { task: 'chat' });
    versionId = (await createVersion(server, 'map-chat', samples())).version.id;
    const metrics = await server.ok(
      `mutation ($v: ID!) { computeMetrics(version: $v, metrics: ["complexity.length"]) { id } }`,
      { v: versionId },
    );
    const embed = await server.ok(`mutation ($v: ID!) { embedVersion(version: $v) { id } }`, {
      v: versionId,
    });
    await finish(metrics.computeMetrics.id);
    await finish(embed.embedVersion.id);
    const overlap = await server.ok(
      `mutation ($v: ID!) { findOverlap(version: $v, threshold: 0.9) { id } }`,
      {
        v: versionId,
      },
    );
    await finish(overlap.findOverlap.id);
    const umap = await server.ok(
      `mutation ($v: ID!) { projectVersion(version: $v, method: UMAP, umap: { epochs: 100, seed: 3 }) { id } }`,
      { v: versionId },
    );
    await finish(umap.projectVersion.id);
    const projected = await server.ok(
      `mutation ($v: ID!) { projectVersion(version: $v, method: PCA) { id } }`,
      {
        v: versionId,
      },
    );
    await finish(projected.projectVersion.id);
    const list = await server.ok(
      `query ($v: ID!) { version(id: $v) { projections { id method coordinatesUrl ordinalsUrl bounds { minX minY maxX maxY } } } }`,
      { v: versionId },
    );
    pca = list.version.projections.find((p: { method: string }) => p.method === 'PCA');
    browser = await launchWebGlBrowser();
  });
  after(async () => {
    await browser?.close();
    await worker?.stop();
    await server?.stop();
  });

  async function points(page: Page, errors: string[] = []): Promise<number> {
    await page
      .waitForFunction(() => document.querySelector('[data-testid="embedding-map"]')?.dataset.points, {
        timeout: 30_000,
      })
      .catch(async (error: Error) => {
        await screenshot(page, 'embedding-map-failed');
        throw new Error(`${error.message}; page errors: ${errors.join(' | ')}`);
      });
    return Number(await page.$eval('[data-testid="embedding-map"]', (e) => e.getAttribute('data-points')));
  }

  it('draws every point, box-selects exactly the points under the box, and lists them with lazy text', async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 1500 });
    const requests: string[] = [];
    const textAsked: number[][] = [];
    let textRequests = 0;
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push((e as Error).message));
    page.on('console', (m) => {
      // Chromium's software GL reports its own performance notes (e.g. "GPU stall due to
      // ReadPixels") as warnings; they come from the driver, not from the page.
      if (m.type() === 'warn' && /^\[\.WebGL-[^\]]*\]GL Driver Message \([^)]*, Performance,/.test(m.text()))
        return;
      if (m.type() === 'error' || m.type() === 'warn') errors.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('request', (request) => {
      requests.push(request.url());
      const body = request.postData();
      // The table's text requests; the hover card's (MapHoveredSample) load one point each.
      if (body?.includes('MapSelectedSamples')) textAsked.push(JSON.parse(body).variables.ordinals);
      if (body?.includes('samplesAt') && !body.includes('MapHoveredSample')) textRequests++;
    });
    // The newest map (PCA) opens first.
    await page.goto(`${server.url}/versions/${encodeURIComponent(versionId)}/map`, {
      waitUntil: 'networkidle0',
    });
    assert.equal(await points(page, errors), N);
    const provenance = await page.$eval('[data-testid="map-provenance"]', (e) => e.textContent ?? '');
    assert.match(provenance, /^PCA of 250 vectors in qdc\/lexical-hash@v1:fp32 by ml-matrix@/);
    assert.equal(textRequests, 0, 'no text is loaded before a point is hovered or selected');

    // The points' place in the view, from the binary route and the documented fit.
    const xy = new Float32Array(await (await fetch(server.url + pca.coordinatesUrl)).arrayBuffer());
    const ordinals = new Uint32Array(await (await fetch(server.url + pca.ordinalsUrl)).arrayBuffer());
    const b = pca.bounds;
    const half = (Math.max(b.maxX - b.minX, b.maxY - b.minY) / 2) * MARGIN;
    const ndcX = (i: number) => (xy[2 * i]! - (b.minX + b.maxX) / 2) / half;

    const canvas = (await page.$('[data-testid="embedding-map"] canvas'))!;
    const box = (await canvas.boundingBox())!;
    assert.ok(Math.abs(box.width - box.height) < 1, 'the map is square');
    const tools = await page.$$('[data-testid="embedding-map"] .map-tools button');
    assert.equal(await tools[1]!.evaluate((e) => e.textContent), 'Box select');
    await tools[1]!.click();
    // A box over the left part of the map: x from the left edge to NDC -0.1, y over the whole height.
    const cutNdc = -0.1;
    const cutPx = box.x + ((cutNdc + 1) / 2) * box.width;
    // The lasso samples the pointer at most every 15 ms (lassoMinDelay): move slowly, and linger
    // at both corners so the first and last positions are recorded.
    const path = [
      [box.x + 2, box.y + 2],
      [box.x + 3, box.y + 3],
      ...Array.from({ length: 12 }, (_, k) => [
        box.x + 3 + ((cutPx - box.x - 3) * (k + 1)) / 12,
        box.y + 3 + ((box.height - 5) * (k + 1)) / 12,
      ]),
      [cutPx, box.y + box.height - 2],
    ];
    await page.mouse.move(path[0]![0]!, path[0]![1]!);
    await page.mouse.down();
    for (const [x, y] of path) {
      await page.mouse.move(x!, y!);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    await page.mouse.up();
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="embedding-map"]')?.dataset.selected) > 0,
    );
    const selected = Number(
      await page.$eval('[data-testid="embedding-map"]', (e) => e.getAttribute('data-selected')),
    );

    const tolerance = 4 / box.width; // two pixels, in NDC
    const surelyIn = [...ordinals].filter((_, i) => ndcX(i) < cutNdc - tolerance);
    const surelyOut = [...ordinals].filter((_, i) => ndcX(i) > cutNdc + tolerance);
    assert.ok(
      surelyIn.length > 20 && surelyOut.length > 20,
      `${surelyIn.length} in, ${surelyOut.length} out`,
    );
    assert.ok(
      selected >= surelyIn.length && selected <= N - surelyOut.length,
      `selected ${selected}, surely in ${surelyIn.length}, surely out ${surelyOut.length}`,
    );

    // The table lists the selection (ordinal order), fetching text for the rows in view only.
    await page.waitForSelector('[data-testid="map-selection"] article pre.prompt');
    assert.equal(
      Number(await page.$eval('[data-testid="map-selection"]', (e) => e.getAttribute('data-count'))),
      selected,
    );
    const rowOrdinals = await page.$$eval('[data-testid="map-selection"] article', (rows) =>
      rows.map((r) => Number(r.getAttribute('data-ordinal'))),
    );
    for (const o of rowOrdinals) assert.ok(!surelyOut.includes(o), `ordinal ${o} is outside the box`);
    assert.equal(rowOrdinals[0], Math.min(...surelyIn, ...rowOrdinals));
    const firstText = await page.$eval(
      '[data-testid="map-selection"] article pre.prompt',
      (e) => e.textContent,
    );
    assert.equal(firstText, `Tell me about ${Object.keys(TOPICS)[rowOrdinals[0]! % 5]} (${rowOrdinals[0]})`);
    const asked = new Set(textAsked.flat());
    assert.ok(asked.size < selected, `text asked for ${asked.size} of ${selected} selected samples`);
    for (const o of asked) assert.ok(!surelyOut.includes(o), `text of ${o}, outside the box, was fetched`);
    assert.ok(
      rowOrdinals.every((o) => asked.has(o)),
      'the rows in view have their text',
    );
    await screenshot(page, 'embedding-map-selection');

    // Colour by a per-sample score: the legend shows its range and every point is still drawn.
    await page.select('select[name="colour"]', 'metric:complexity.length');
    await page.waitForSelector('[data-testid="map-legend"]');
    assert.match(
      await page.$eval('[data-testid="map-legend"]', (e) => e.textContent ?? ''),
      /complexity\.length/,
    );
    assert.equal(await points(page), N);
    await screenshot(page, 'embedding-map');

    // Hovering a point (in pan mode) loads that one sample's text.
    await tools[0]!.click();
    const ndcY = (i: number) => (xy[2 * i + 1]! - (b.minY + b.maxY) / 2) / half;
    const target = 0;
    await page.mouse.move(
      box.x + ((ndcX(target) + 1) / 2) * box.width,
      box.y + ((1 - ndcY(target)) / 2) * box.height,
    );
    await page.waitForFunction(() => document.querySelector('[data-testid="map-hover"] pre'));
    assert.equal(
      await page.$eval('[data-testid="map-hover"] pre', (e) => e.textContent),
      `Tell me about bread (${ordinals[target]})`,
    );

    // The UMAP map of the same version, coloured by near-duplicates.
    const umapOption = await page.$$eval('select[name="projection"] option', (options) =>
      options.filter((o) => (o.textContent ?? '').startsWith('UMAP')).map((o) => o.getAttribute('value')),
    );
    await page.select('select[name="projection"]', umapOption[0]!);
    await page.select('select[name="colour"]', 'overlap');
    await page.waitForFunction(() =>
      /near-duplicate/.test(document.querySelector('[data-testid="map-legend"]')?.textContent ?? ''),
    );
    assert.equal(await points(page), N);
    assert.match(
      await page.$eval('[data-testid="map-provenance"]', (e) => e.textContent ?? ''),
      /UMAP of 250 vectors .* by umap-js@.*, seed 3/,
    );
    await screenshot(page, 'embedding-map-umap');

    // A writer queues a projection from the page; the new map appears when its job is done.
    const before = (await page.$$('select[name="projection"] option')).length;
    const [pcaButton] = await page.$$('.write-actions button');
    assert.equal(await pcaButton!.evaluate((e) => e.textContent), 'Project with PCA');
    await pcaButton!.click();
    await page.waitForFunction(
      (count: number) => document.querySelectorAll('select[name="projection"] option').length === count + 1,
      { timeout: 120_000 },
      before,
    );

    assert.deepEqual(foreignRequests(requests, server.url), []);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('relaxes the page policy for code generation on the map pages only', async () => {
    const policy = async (path: string) =>
      (await fetch(server.url + path, { headers: { accept: 'text/html' } })).headers.get(
        'content-security-policy',
      ) ?? '';
    assert.match(await policy('/map'), /script-src 'self' 'unsafe-eval';/);
    assert.match(await policy(`/versions/${encodeURIComponent(versionId)}/map`), /'unsafe-eval'/);
    for (const path of ['/', '/qd', `/versions/${encodeURIComponent(versionId)}/samples`, '/mapx']) {
      const p = await policy(path);
      assert.match(p, /script-src 'self';/, path);
      assert.doesNotMatch(p, /unsafe-eval/, path);
    }
  });

  it('shows a not-found page for an unknown version and lists the versions that have maps', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/versions/nope/map`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('[data-testid="not-found"]');
    assert.match(await page.$eval('main', (e) => e.textContent ?? ''), /not a valid id|no version/i);
    await page.goto(`${server.url}/map`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('[data-testid="map-index"] a');
    assert.deepEqual(
      await page.$$eval('[data-testid="map-index"] a', (links) => links.map((a) => a.getAttribute('href'))),
      [`/versions/${encodeURIComponent(versionId)}/map`],
    );
    await page.close();
  });
});
