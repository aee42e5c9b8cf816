/**
 * The sample browser's first view answered inside its HTML (src/http/firstView.ts): the page of a
 * plain samples URL carries the session check and the first page of rows as JSON, draws the first
 * rows as escaped HTML, and the app shows its rows without a single GraphQL request. Nothing is
 * embedded with auth required (a navigation carries no key), for a filtered URL, or for an
 * unknown version. The samples are the test's own, so the rows are checked against them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'puppeteer-core';
import { createApiKey } from '../src/auth/apiKeys.js';
import {
  ensureWebBuilt,
  foreignRequests,
  launchBrowser,
  openPage,
  WITHOUT_CHROMIUM,
} from './helpers/browser.js';
import { createDataset, createVersion } from './helpers/fixtures.js';
import { startTestServer, type ResponseJson, type TestServer } from './helpers/testServer.js';

const N = 450;
const TRICKY = 'ends a script: </script><script>alert(1)</script> & <!-- "quotes" \u2028';

function sample(i: number) {
  return { prompt: i === 3 ? TRICKY : `prompt ${i}`, response: `response ${i}\n  indented` };
}

async function navigation(server: TestServer, path: string): Promise<{ status: number; html: string }> {
  const response = await fetch(`${server.url}${path}`, { headers: { accept: 'text/html' } });
  return { status: response.status, html: await response.text() };
}

function embedded(html: string): ResponseJson[] | null {
  const match = /<script type="application\/json" id="qdc-first-view">(.*?)<\/script>/s.exec(html);
  return match ? JSON.parse(match[1]!) : null;
}

describe('the sample browser answered inside its HTML', () => {
  let server: TestServer;
  let versionId: string;

  before(async () => {
    ensureWebBuilt();
    server = await startTestServer();
    await createDataset(server, 'first-view');
    versionId = (
      await createVersion(
        server,
        'first-view',
        Array.from({ length: N }, (_, i) => sample(i)),
      )
    ).version.id;
  });
  after(() => server.stop());

  it('embeds the session check, the first page of rows and the version, and draws the rows escaped', async () => {
    const { status, html } = await navigation(server, `/versions/${encodeURIComponent(versionId)}/samples`);
    assert.equal(status, 200);
    const operations = embedded(html);
    assert.ok(operations, 'the page carries the first view');
    assert.equal(operations.length, 3);
    assert.deepEqual(operations[0].result.data.serverInfo.auth, 'off');
    const rows = operations[1].result.data.version.firstRows;
    assert.equal(operations[2].result.data.version.sampleCount, N);
    // The view's own chunk is preloaded from the head, which is sent before the answers.
    assert.match(html, /<link rel="modulepreload" crossorigin href="\/assets\/Samples-[\w-]+\.js"><\/head>/);
    assert.equal(rows.edges.length, 200);
    assert.equal(rows.pageInfo.hasNextPage, true);
    rows.edges.forEach((edge: ResponseJson, i: number) => {
      assert.equal(edge.node.ordinal, i);
      assert.deepEqual({ prompt: edge.node.sample.prompt, response: edge.node.sample.response }, sample(i));
    });
    // The script element cannot be closed early by a sample's text, and the drawn rows are escaped.
    const json = /id="qdc-first-view">(.*?)<\/script>/s.exec(html)![1]!;
    assert.ok(!/[<>&\u2028]/.test(json), 'the embedded JSON holds no <, >, & or line separator');
    assert.ok(!html.includes('<script>alert(1)'), 'no sample text is markup');
    assert.ok(
      html.includes(
        'ends a script: &#60;/script&#62;&#60;script&#62;alert(1)&#60;/script&#62; &#38; &#60;!-- &#34;quotes&#34;',
      ),
    );
    const drawn = [...html.matchAll(/<article class="sample" data-ordinal="(\d+)">/g)].map((m) =>
      Number(m[1]),
    );
    assert.deepEqual(
      drawn,
      Array.from({ length: 30 }, (_, i) => i),
    );
  });

  it('embeds nothing for a filtered or sorted URL, an unknown version, or the home page', async () => {
    for (const path of [
      `/versions/${encodeURIComponent(versionId)}/samples?sort=external:x`,
      `/versions/${encodeURIComponent(versionId)}/samples?ranges=a:1:2`,
      '/versions/RGF0YXNldFZlcnNpb246OTk5OTk/samples',
      '/versions/nonsense/samples',
      '/',
    ]) {
      const { status, html } = await navigation(server, path);
      assert.equal(status, 200, path);
      // An unknown version: its answer (null) is embedded, so the app shows not-found at once; a
      // malformed id is an error, left out (the app asks again and shows it).
      const operations = embedded(html) ?? [];
      assert.ok(
        operations.every((op) => op.result.data.serverInfo || op.result.data.version === null),
        `${path}: the session check, an unknown version's null, or nothing`,
      );
      assert.ok(!html.includes('data-first-view'), `${path}: no rows drawn`);
    }
  });

  it('embeds nothing when auth is required: a navigation carries no key', async () => {
    const secured = await startTestServer({ auth: 'required', database: server.database });
    try {
      await createApiKey(server.database.db, { role: 'reader' });
      const { status, html } = await navigation(
        secured,
        `/versions/${encodeURIComponent(versionId)}/samples`,
      );
      assert.equal(status, 200);
      assert.equal(embedded(html), null);
      assert.ok(!html.includes('prompt 1'));
    } finally {
      await secured.stop();
    }
  });

  it('the app shows the rows without a GraphQL request', { skip: WITHOUT_CHROMIUM }, async () => {
    const browser: Browser = await launchBrowser();
    try {
      const { page, requests, errors } = await openPage(browser);
      await page.goto(`${server.url}/versions/${encodeURIComponent(versionId)}/samples`, {
        waitUntil: 'networkidle0',
      });
      await page.waitForSelector('.sample-row [data-ordinal]');
      assert.equal(await page.$('[data-first-view]'), null, 'the app replaced the drawn rows');
      const ordinals = await page.$$eval('.sample-row [data-ordinal]', (cards) =>
        cards.map((c) => Number(c.getAttribute('data-ordinal'))),
      );
      assert.ok(ordinals.length >= 3);
      assert.deepEqual(
        ordinals,
        Array.from({ length: ordinals.length }, (_, i) => i),
      );
      const rowText = await page.$eval(
        '.sample-row [data-ordinal="3"] .field-prompt pre',
        (e) => e.textContent,
      );
      assert.equal(rowText, TRICKY);
      assert.equal(await page.$eval('[data-testid="rows-loaded"]', (e) => e.textContent), '200 rows loaded');
      assert.deepEqual(
        requests.filter((url) => new URL(url).pathname === '/graphql'),
        [],
        'no GraphQL request: both first operations came with the page',
      );
      assert.deepEqual(foreignRequests(requests, new URL(server.url).origin), []);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
});
