/**
 * The version compare view in headless Chromium, on a raw -> filtered pair the test builds (a
 * quality filter that drops short answers and adds a few new samples): counts and the added and
 * removed lists equal a naive diff of the samples by content, the metric deltas equal head minus
 * base of each version's own results, the paired histogram equals the GraphQL answer, and every
 * request stays on the origin.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import type { RunningWorker } from '../src/jobs/worker.js';
import { idOf } from '../src/globalId.js';
import {
  ensureWebBuilt,
  foreignRequests,
  launchBrowser,
  openPage,
  screenshot,
  type RecordedPage,
  WITHOUT_CHROMIUM,
} from './helpers/browser.js';
import { createDataset, createVersion, recordRun } from './helpers/fixtures.js';
import { testWorker, waitForJob } from './helpers/jobs.js';
import { prng } from './helpers/prng.js';
import { startTestServer, type ResponseJson, type TestServer } from './helpers/testServer.js';

/** Browser globals of the callbacks that run inside the page. */
declare const document: ResponseJson;

const METRICS = ['complexity.length', 'quality.heuristic_quality', 'diversity.distinct_n'];

type Sample = {
  prompt: string;
  response: string;
};

function samples(n: number, seed: number, tag: string): Sample[] {
  const random = prng(seed);
  const words = 'node value list key step case rule graph edge path tree sort hash'.split(' ');
  return Array.from({ length: n }, (_, i) => ({
    prompt: `${tag} question ${i}: explain ${words[i % words.length]}.`,
    response:
      random() < 0.3
        ? 'ok'
        : Array.from(
            { length: 5 + Math.floor(random() * 40) },
            () => words[Math.floor(random() * words.length)],
          ).join(' ') + '.',
  }));
}

const key = (s: Sample) => `${s.prompt}\u0000${s.response}`;

describe('web explorer: version compare', { skip: WITHOUT_CHROMIUM }, () => {
  let server: TestServer;
  let worker: RunningWorker;
  let browser: Browser;
  const pages: RecordedPage[] = [];
  let raw: { id: string; samples: Sample[] };
  let filtered: { id: string; samples: Sample[] };

  before(async () => {
    ensureWebBuilt();
    server = await startTestServer();
    worker = testWorker(server.database);
    const rawSamples = samples(300, 5, 'raw');
    const filteredSamples = [
      ...rawSamples.filter((s) => s.response !== 'ok'),
      ...samples(30, 9, 'new').filter((s) => s.response !== 'ok'),
    ];
    await createDataset(server, 'cmp-raw');
    await createDataset(server, 'cmp-filtered');
    raw = { id: (await createVersion(server, 'cmp-raw', rawSamples)).version.id, samples: rawSamples };
    filtered = {
      id: (await createVersion(server, 'cmp-filtered', filteredSamples)).version.id,
      samples: filteredSamples,
    };
    await recordRun(server, filtered.id, [{ version: raw.id, role: 'FILTERED_FROM' }], {
      params: { minWords: 2 },
    });
    for (const version of [raw.id, filtered.id]) {
      const data = await server.ok(
        `mutation ($version: ID!, $metrics: [String!]) { computeMetrics(version: $version, metrics: $metrics) { id } }`,
        { version, metrics: METRICS },
      );
      const job = await waitForJob(server.database, idOf('Job', data.computeMetrics.id), 120_000);
      assert.equal(job.status, 'SUCCEEDED', job.error ?? '');
    }
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

  const ordinals = (page: Page, list: 'added' | 'removed') =>
    page.$$eval(`[data-testid="diff-${list}"] article.sample`, (cards) =>
      cards.map((c) => Number(c.getAttribute('data-ordinal'))),
    );

  it('opens from a parent diff link and shows counts, deltas, histograms and both lists', async () => {
    const inRaw = new Set(raw.samples.map(key));
    const inFiltered = new Set(filtered.samples.map(key));
    const added = filtered.samples.flatMap((s, i) => (inRaw.has(key(s)) ? [] : [i]));
    const removed = raw.samples.flatMap((s, i) => (inFiltered.has(key(s)) ? [] : [i]));
    assert.ok(added.length > 20 && removed.length > 40, `${added.length} added, ${removed.length} removed`);

    const page = await open('/datasets/cmp-filtered');
    await page.waitForSelector('a.diff-link');
    await page.click('a.diff-link');
    await page.waitForSelector('[data-testid="diff-counts"]');
    assert.equal(new URL(page.url()).pathname, '/compare');
    assert.equal(new URL(page.url()).searchParams.get('base'), raw.id);
    assert.equal(new URL(page.url()).searchParams.get('head'), filtered.id);
    const counts = await page.$$eval('[data-testid="diff-counts"] [data-count]', (cells) =>
      Object.fromEntries(
        cells.map((c) => [c.getAttribute('data-count'), Number(c.textContent!.replace(/,/g, ''))]),
      ),
    );
    assert.deepEqual(counts, {
      added: added.length,
      removed: removed.length,
      kept: filtered.samples.length - added.length,
    });

    // Deltas: head minus base of each version's own newest result.
    const values = async (id: string) =>
      new Map<string, number>(
        (
          await server.ok(`query ($id: ID!) { version(id: $id) { metrics { metric value } } }`, { id })
        ).version.metrics.map((m: ResponseJson) => [m.metric, m.value]),
      );
    const [baseValues, headValues] = [await values(raw.id), await values(filtered.id)];
    const shown = await page.$$eval('[data-testid="diff-deltas"] tr[data-metric]', (rows) =>
      rows.map((r) => ({
        metric: r.getAttribute('data-metric')!,
        delta: Number(r.querySelector('.delta')!.getAttribute('data-value')),
      })),
    );
    assert.deepEqual(shown.map((r) => r.metric).sort(), [...METRICS].sort());
    for (const row of shown) {
      const expected = headValues.get(row.metric)! - baseValues.get(row.metric)!;
      assert.ok(Math.abs(row.delta - expected) < 1e-9, `${row.metric}: ${row.delta} vs ${expected}`);
    }

    // The paired histogram's counts are the server's, and count every scored sample of each side.
    await page.waitForSelector('[data-testid="diff-histogram"] tbody tr');
    const metric = await page.$eval('select[name="histogram-metric"]', (s) => s.value);
    const { versionDiff } = await server.ok(
      `query ($b: ID!, $h: ID!, $m: String!) { versionDiff(base: $b, head: $h) { scoreHistograms(metric: $m, bins: 24) { base { counts } head { counts } } } }`,
      { b: raw.id, h: filtered.id, m: metric },
    );
    const table = await page.$$eval('[data-testid="diff-histogram"] tbody tr', (rows) => ({
      base: rows.map((r) => Number(r.querySelector('[data-side="base"]')!.textContent)),
      head: rows.map((r) => Number(r.querySelector('[data-side="head"]')!.textContent)),
    }));
    assert.deepEqual(table, {
      base: versionDiff.scoreHistograms.base.counts,
      head: versionDiff.scoreHistograms.head.counts,
    });
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    assert.equal(sum(table.base), raw.samples.length);
    assert.equal(sum(table.head), filtered.samples.length);
    assert.ok((await page.$$('.paired-histogram svg rect')).length > 24, 'bars are drawn');

    // The lists, paged by the server: first pages, then the next page of added samples.
    assert.deepEqual(await ordinals(page, 'added'), added.slice(0, 20));
    assert.deepEqual(await ordinals(page, 'removed'), removed.slice(0, 20));
    await screenshot(page, 'compare');
    await page.click('[data-pager="added"] button:nth-of-type(2)');
    await page.waitForFunction(
      (first: number) =>
        document.querySelector('[data-testid="diff-added"] article.sample')?.getAttribute('data-ordinal') ===
        String(first),
      {},
      added[20]!,
    );
    assert.deepEqual(await ordinals(page, 'added'), added.slice(20, 40));
    await page.click('[data-pager="added"] button:nth-of-type(1)');
    await page.waitForFunction(
      (first: number) =>
        document.querySelector('[data-testid="diff-added"] article.sample')?.getAttribute('data-ordinal') ===
        String(first),
      {},
      added[0]!,
    );
  });

  it('picks the other side from the version page, and swaps sides', async () => {
    const page = await open('/datasets/cmp-raw');
    await page.waitForSelector('select[name="compare"] option[value]');
    await page.select('select[name="compare"]', filtered.id);
    await page.waitForSelector('[data-testid="diff-counts"]');
    const params = new URL(page.url()).searchParams;
    assert.deepEqual([params.get('base'), params.get('head')], [filtered.id, raw.id]);
    // filtered -> raw: what raw "adds" is what the filter removed.
    const inFiltered = new Set(filtered.samples.map(key));
    const removedByFilter = raw.samples.filter((s) => !inFiltered.has(key(s))).length;
    assert.equal(
      await page.$eval('[data-testid="diff-counts"] [data-count="added"]', (e) => e.textContent),
      String(removedByFilter),
    );
    await page.click('.compare-page a[href^="/compare"]');
    await page.waitForFunction(
      (head: string) => new URLSearchParams(document.location.search).get('head') === head,
      {},
      filtered.id,
    );
  });

  it('shows not-found for an unknown version, and nothing leaves the origin', async () => {
    const page = await open(`/compare?base=${encodeURIComponent(raw.id)}&head=RGF0YXNldFZlcnNpb246OTk5OTk`);
    await page.waitForSelector('[data-testid="not-found"]');
    const origin = new URL(server.url).origin;
    for (const recorded of pages) {
      assert.deepEqual(foreignRequests(recorded.requests, origin), []);
      assert.deepEqual(recorded.errors, []);
    }
  });
});
