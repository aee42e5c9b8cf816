/**
 * Brushing a score histogram in the sample browser (headless Chromium): dragging across score a's
 * histogram sets a range filter on a; the sample list then holds exactly the samples whose a lies
 * in it (counted here from the scores the test pushed), score b's histogram follows the filter,
 * and a's own histogram does not (faceted).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import {
  ensureWebBuilt,
  foreignRequests,
  launchBrowser,
  openPage,
  screenshot,
  WITHOUT_CHROMIUM,
} from './helpers/browser.js';
import { createDataset, createVersion } from './helpers/fixtures.js';
import { prng } from './helpers/prng.js';
import { startTestServer, type ResponseJson, type TestServer } from './helpers/testServer.js';

declare const document: ResponseJson;

const N = 300;

describe('web explorer: brushing a score histogram', { skip: WITHOUT_CHROMIUM }, () => {
  let server: TestServer;
  let browser: Browser;
  let versionId: string;
  const a: number[] = [];
  const b: number[] = [];

  before(async () => {
    ensureWebBuilt();
    server = await startTestServer();
    await createDataset(server, 'brushed');
    const samples = Array.from({ length: N }, (_, i) => ({ prompt: `q ${i}`, response: `a ${i}` }));
    versionId = (await createVersion(server, 'brushed', samples)).version.id;
    const random = prng(21);
    for (let i = 0; i < N; i++) {
      a.push(Math.round(random() * 1000) / 10);
      b.push(Math.round(random() * 100) / 10);
    }
    for (const [name, values] of [
      ['a', a],
      ['b', b],
    ] as const) {
      await server.ok(
        `mutation ($v: ID!, $s: ScorerInput!, $scores: [SampleScoreInput!]!) {
          recordSampleScores(version: $v, scorer: $s, scores: $scores) { recorded } }`,
        { v: versionId, s: { name }, scores: values.map((value, ordinal) => ({ ordinal, value })) },
      );
    }
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('filters by the dragged range; the other histogram follows, its own does not', async () => {
    const { page, requests, errors } = await openPage(browser);
    await page.goto(
      `${server.url}/versions/${encodeURIComponent(versionId)}/samples?columns=external:a,external:b`,
      {
        waitUntil: 'networkidle0',
      },
    );
    const facetA = '.facet[data-metric="external:a"]';
    const facetB = '.facet[data-metric="external:b"]';
    await page.waitForSelector(`${facetA} svg rect`);
    const box = (await (await page.$(`${facetA} svg`))!.boundingBox())!;
    const y = box.y + box.height * 0.5;
    await page.mouse.move(box.x + box.width * 0.3, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.45, y, { steps: 5 });
    await page.mouse.move(box.x + box.width * 0.62, y, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(() => new URLSearchParams(document.location.search).get('ranges'));
    const ranges = new URL(page.url()).searchParams.get('ranges')!;
    const [scorer, name, min, max] = ranges.split(':');
    assert.equal(`${scorer}:${name}`, 'external:a');
    const [lo, hi] = [Number(min), Number(max)];
    assert.ok(lo > 0 && hi < 100 && hi - lo > 5, `brushed [${lo}, ${hi}]`);

    const kept = a.flatMap((v, i) => (v >= lo && v <= hi ? [i] : []));
    assert.ok(kept.length > 10 && kept.length < N, `${kept.length} kept`);
    await page.waitForFunction(
      (n: number) =>
        document.querySelector('[data-testid="rows-loaded"]')?.textContent === `${n} rows loaded (end)`,
      {},
      kept.length,
    );
    const title = (facet: string) => page.$eval(`${facet} .facet-title .sub`, (e) => e.textContent ?? '');
    await page.waitForFunction(
      (facet: string, n: number) =>
        document.querySelector(`${facet} .facet-title .sub`)?.textContent === ` · ${n} samples`,
      {},
      facetB,
      kept.length,
    );
    assert.equal(await title(facetA), ` · ${N} samples`, "a's own filter leaves its histogram whole");
    const shown = await page.$$eval('[data-testid="sample-scroller"] article[data-ordinal]', (cards) =>
      cards.map((c) => Number(c.getAttribute('data-ordinal'))),
    );
    assert.ok(shown.length > 0);
    assert.deepEqual(shown, kept.slice(0, shown.length));
    // b's histogram under the filter equals GraphQL's with the same range.
    const { version } = await server.ok(
      `query ($id: ID!, $r: [ScoreRangeInput!]) { version(id: $id) { scoreHistogram(metric: "external:b", bins: 24, ranges: $r) { counts total } } }`,
      { id: versionId, r: [{ metric: 'external:a', min: lo, max: hi }] },
    );
    assert.equal(version.scoreHistogram.total, kept.length);
    await screenshot(page, 'samples-brushed');
    assert.deepEqual(foreignRequests(requests, new URL(server.url).origin), []);
    assert.deepEqual(errors, []);
  });

  it('downloads the whole version as Parquet from the bulk route, with the score columns', async () => {
    const { page, requests, errors } = await openPage(browser);
    await page.goto(`${server.url}/versions/${encodeURIComponent(versionId)}/samples?columns=external:a`, {
      waitUntil: 'networkidle0',
    });
    await page.waitForSelector('button[data-action="export-parquet"]');
    // Keep the downloaded blob to read its bytes (page-side code as a string).
    await page.evaluate(
      '(() => { const make = URL.createObjectURL; URL.createObjectURL = (blob) => { window.__blob = blob; return make(blob); }; })()',
    );
    const [response] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/samples.parquet')),
      page.click('button[data-action="export-parquet"]'),
    ]);
    assert.equal(response.status(), 200);
    assert.equal(new URL(response.url()).searchParams.get('scores'), 'external:a');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="export-status"]')?.textContent === 'Parquet file written',
    );
    const bytes = (await page.evaluate(
      'window.__blob.arrayBuffer().then((b) => Array.from(new Uint8Array(b)))',
    )) as number[];
    // Read the downloaded file with DuckDB (an independent reader): the samples and their scores.
    const file = join(mkdtempSync(join(tmpdir(), 'qdc-brush-')), 'export.parquet');
    writeFileSync(file, Buffer.from(bytes));
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const read = (
      await duck.runAndReadAll(`select prompt, "scores.external:a" as a from read_parquet('${file}')`)
    )
      .getRowObjectsJson()
      .map((row) => ({ prompt: row.prompt, a: Number(row.a) }));
    duck.closeSync();
    assert.deepEqual(
      read,
      a.map((value, i) => ({ prompt: `q ${i}`, a: value })),
    );
    // With a range filter the route cannot export the selection, so the button is not offered.
    await page.goto(
      `${server.url}/versions/${encodeURIComponent(versionId)}/samples?columns=external:a&ranges=external:a:10:20`,
      { waitUntil: 'networkidle0' },
    );
    await page.waitForSelector('button[data-action="export"]');
    assert.equal(await page.$('button[data-action="export-parquet"]'), null);
    assert.deepEqual(foreignRequests(requests, new URL(server.url).origin), []);
    assert.deepEqual(errors, []);
  });
});
