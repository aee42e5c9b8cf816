/**
 * The QD plane at scale in headless Chromium: 2,000 versions (most copied in SQL), the frontier
 * dots the plot draws equal `paretoFrontier`'s, the version table holds only the rows in view,
 * and a wheel zoom and a drag pan change the plotted domains (d3-zoom), with the frontier dots of
 * the zoomed view still exactly `paretoFrontier`'s among the points in it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import {
  ensureWebBuilt,
  foreignRequests,
  launchBrowser,
  openPage,
  screenshot,
  type RecordedPage,
  WITHOUT_CHROMIUM,
} from './helpers/browser.js';
import { makeQdVersions, QD_X, QD_Y } from './helpers/qdVersions.js';
import { startTestServer, type ResponseJson, type TestServer } from './helpers/testServer.js';

/** Browser globals of the callbacks that run inside the page. */
declare const document: ResponseJson;

const COUNT = 2000;
const FRONTIER_FILL = '#d62728';

interface Dot {
  label: string;
  fill: string;
}

describe('the QD plane with thousands of versions', { skip: WITHOUT_CHROMIUM }, () => {
  let server: TestServer;
  let browser: Browser;
  let recorded: RecordedPage;
  let page: Page;
  let frontier: Set<string>;
  let points: Map<string, { x: number; y: number }>;

  before(async () => {
    ensureWebBuilt();
    server = await startTestServer();
    await makeQdVersions(server, 'qd-many', COUNT);
    const { paretoFrontier } = await server.ok(
      `query ($x: String!, $y: String!) { paretoFrontier(x: { metric: $x }, y: { metric: $y }, scope: { datasets: ["qd-many"] }) {
        points { x y version { version dataset { slug } } } frontier { version { version dataset { slug } } } } }`,
      { x: QD_X, y: QD_Y },
    );
    const name = (v: ResponseJson) => `${v.dataset.slug} v${v.version}`;
    frontier = new Set(paretoFrontier.frontier.map((p: ResponseJson) => name(p.version)));
    points = new Map(paretoFrontier.points.map((p: ResponseJson) => [name(p.version), { x: p.x, y: p.y }]));
    assert.equal(points.size, COUNT);
    assert.ok(frontier.size >= 3);
    browser = await launchBrowser();
    recorded = await openPage(browser);
    page = recorded.page;
    await page.goto(`${server.url}/qd?x=${QD_X}&y=${QD_Y}&datasets=qd-many&arrows=off`, {
      waitUntil: 'networkidle0',
    });
    await page.waitForSelector('[data-testid="qd-marks"] circle');
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const dots = (): Promise<Dot[]> =>
    page.$$eval('[data-testid="qd-marks"] circle', (circles) =>
      circles.map((c) => ({ label: c.getAttribute('aria-label') ?? '', fill: c.getAttribute('fill') ?? '' })),
    );
  const domains = async () => {
    const read = (name: string) =>
      page
        .$eval('[data-testid="qd-plot"]', (e, n) => e.getAttribute(n) ?? '', name)
        .then((text) => text.split(',').map(Number));
    return { x: await read('data-x-domain'), y: await read('data-y-domain') };
  };

  it('draws every version, with the frontier dots those of paretoFrontier', async () => {
    const drawn = await dots();
    assert.equal(drawn.length, COUNT);
    assert.deepEqual(new Set(drawn.map((d) => d.label)), new Set(points.keys()));
    assert.deepEqual(new Set(drawn.filter((d) => d.fill === FRONTIER_FILL).map((d) => d.label)), frontier);
  });

  it('keeps only the rows in view in the version table, and scrolls to the last', async () => {
    const table = '[data-testid="qd-points"]';
    assert.equal(await page.$eval(table, (e) => e.getAttribute('data-rows')), String(COUNT));
    const rows = () =>
      page.$$eval(`${table} tr[data-version-id] td:nth-child(2)`, (r) =>
        r.map((e) => (e.textContent ?? '').trim()),
      );
    const first = await rows();
    assert.ok(first.length > 5 && first.length < 100, `${first.length} rows in the DOM`);
    assert.equal(first[0], 'qd-many v1');
    await page.$eval('[data-testid="qd-points-scroll"]', (e) => e.scrollTo(0, e.scrollHeight));
    await page.waitForFunction(
      (t: string, n: number) =>
        [...document.querySelectorAll(`${t} tr[data-version-id]`)].some((r: ResponseJson) =>
          r.textContent.includes(`qd-many v${n}`),
        ),
      {},
      table,
      COUNT,
    );
    const last = await rows();
    assert.ok(last.length < 100);
    assert.equal(last.at(-1), `qd-many v${COUNT}`);
    // Frontier flags in the table are paretoFrontier's too (those rendered).
    const flagged = await page.$$eval(`${table} tr[data-frontier="true"] td:nth-child(2)`, (cells) =>
      cells.map((c) => (c.textContent ?? '').trim()),
    );
    for (const label of flagged) assert.ok(frontier.has(label), label);
  });

  it('zooms with the wheel and pans with a drag, changing the plotted domains', async () => {
    const whole = await domains();
    const svg = (await page.$('[data-testid="qd-plot"] figure > svg'))!;
    const box = (await svg.boundingBox())!;
    const centre = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    await page.mouse.move(centre.x, centre.y);
    for (let i = 0; i < 8; i++) await page.mouse.wheel({ deltaY: -120 });
    await page.waitForFunction(
      (before: string) =>
        document.querySelector('[data-testid="qd-plot"]').getAttribute('data-x-domain') !== before,
      {},
      whole.x.join(','),
    );
    const zoomed = await domains();
    const width = (d: number[]) => d[1]! - d[0]!;
    assert.ok(width(zoomed.x) < width(whole.x) / 2, `x zoomed in: ${zoomed.x} within ${whole.x}`);
    assert.ok(width(zoomed.y) < width(whole.y) / 2, `y zoomed in: ${zoomed.y} within ${whole.y}`);
    assert.ok(zoomed.x[0]! > whole.x[0]! && zoomed.x[1]! < whole.x[1]!);
    // Fewer dots drawn, each still the point it stands for, the frontier's still red.
    const drawn = await dots();
    assert.ok(drawn.length < COUNT, `${drawn.length} dots drawn when zoomed`);
    for (const dot of drawn) {
      assert.equal(dot.fill === FRONTIER_FILL, frontier.has(dot.label), dot.label);
    }
    const inside = [...points].filter(
      ([, p]) => p.x >= zoomed.x[0]! && p.x <= zoomed.x[1]! && p.y >= zoomed.y[0]! && p.y <= zoomed.y[1]!,
    );
    const labels = new Set(drawn.map((d) => d.label));
    for (const [label] of inside) assert.ok(labels.has(label), `${label} is in view and drawn`);
    await screenshot(page, 'qd-plane-zoomed');

    // A drag to the right shows what lies to the left: the same widths, lower values.
    await new Promise((resolve) => setTimeout(resolve, 400));
    await page.mouse.move(centre.x, centre.y);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(centre.x + i * 20, centre.y - i * 10);
    await page.mouse.up();
    await page.waitForFunction(
      (before: string) =>
        document.querySelector('[data-testid="qd-plot"]').getAttribute('data-x-domain') !== before,
      {},
      zoomed.x.join(','),
    );
    const panned = await domains();
    assert.ok(panned.x[0]! < zoomed.x[0]!, `panned left: ${panned.x} from ${zoomed.x}`);
    assert.ok(panned.y[0]! < zoomed.y[0]!, `panned down: ${panned.y} from ${zoomed.y}`);
    assert.ok(Math.abs(width(panned.x) - width(zoomed.x)) < 1e-9 * Math.max(1, width(zoomed.x)) + 1e-12);

    await page.click('[data-testid="qd-reset"]');
    await page.waitForFunction(
      (before: string) =>
        document.querySelector('[data-testid="qd-plot"]').getAttribute('data-x-domain') === before,
      {},
      whole.x.join(','),
    );
    assert.equal((await dots()).length, COUNT);
    assert.deepEqual(foreignRequests(recorded.requests, new URL(server.url).origin), []);
    assert.deepEqual(recorded.errors, []);
  });
});
