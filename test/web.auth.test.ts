/**
 * The web explorer with auth on, in headless Chromium: no key -> the key prompt; a bad key -> the
 * 401 shown as such; a reader sees the data but no write action; a writer sees the actions. The
 * key travels only as the bearer header of same-origin requests.
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
  screenshot,
  type RecordedPage,
  WITHOUT_CHROMIUM,
} from './helpers/browser.js';
import { startTestServer, type TestServer, type ResponseJson } from './helpers/testServer.js';

/** Browser globals of the callbacks that run inside the page (page.evaluate, waitForFunction). */
declare const document: ResponseJson;
declare const sessionStorage: ResponseJson;

describe('web explorer with API keys', { skip: WITHOUT_CHROMIUM }, () => {
  let server: TestServer;
  let browser: Browser;
  let reader: string;
  let writer: string;
  const pages: RecordedPage[] = [];

  before(async () => {
    ensureWebBuilt();
    server = await startTestServer({ auth: 'required' });
    reader = (await createApiKey(server.database.db, { role: 'reader' })).key;
    writer = (await createApiKey(server.database.db, { role: 'writer' })).key;
    for (const mutation of [
      `mutation { createDataset(input: { slug: "guarded", name: "Guarded" }) { slug } }`,
      `mutation { createVersion(input: { dataset: "guarded", samples: [{ prompt: "one" }, { prompt: "two" }] }) { created } }`,
    ]) {
      const result = await server.gql(mutation, {}, { key: writer });
      assert.equal(result.errors, undefined);
    }
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function open(path: string, apiKey?: string) {
    const recorded = await openPage(browser, { apiKey, origin: server.url });
    pages.push(recorded);
    await recorded.page.goto(`${server.url}${path}`, { waitUntil: 'networkidle0' });
    return recorded;
  }

  it('asks for a key when none is set, and keeps it in the tab after it is entered', async () => {
    const { page, requests } = await open('/datasets/guarded');
    await page.waitForSelector('[data-testid="key-prompt"]');
    assert.equal(await page.$('[data-testid="dataset-card"]'), null);
    await screenshot(page, 'auth-key-prompt');
    await page.type('input[name="apiKey"]', reader);
    await page.click('[data-testid="key-prompt"] button[type="submit"]');
    await page.waitForSelector('[data-testid="dataset-card"]');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('qdc.apiKey')), reader);
    assert.ok(requests.some((url) => url === `${server.url}/graphql`));
  });

  it('shows a revoked or wrong key as a 401', async () => {
    const { page } = await open('/', 'qdc_0123456789abcdef_notarealsecretnotarealsecret');
    await page.waitForSelector('[data-testid="key-prompt"] .error[data-code="UNAUTHENTICATED"]');
    assert.match(
      await page.$eval('.error[data-code]', (e) => e.textContent ?? ''),
      /401 Unauthenticated.*invalid or revoked/,
    );
  });

  it('shows a reader no write action and a writer the compute and embed actions', async () => {
    const asReader = await open('/datasets/guarded', reader);
    await asReader.page.waitForSelector('.version');
    await asReader.page.waitForFunction(() => !document.querySelector('.version .loading'));
    assert.equal(await asReader.page.$('[data-testid="write-actions"]'), null);
    assert.equal(await asReader.page.$('[data-action="compute"]'), null);
    assert.match(
      await asReader.page.$eval('[data-testid="session-badge"]', (e) => e.textContent ?? ''),
      /reader/,
    );
    await screenshot(asReader.page, 'auth-reader');

    const asWriter = await open('/datasets/guarded', writer);
    await asWriter.page.waitForSelector('[data-action="compute"]');
    await asWriter.page.waitForSelector('[data-action="embed"]');
    assert.match(
      await asWriter.page.$eval('[data-testid="session-badge"]', (e) => e.textContent ?? ''),
      /writer/,
    );
  });

  it('made no request to any other origin', () => {
    const all = pages.flatMap((p) => p.requests);
    assert.deepEqual(foreignRequests(all, server.url), []);
    assert.deepEqual(
      pages.flatMap((p) => p.errors),
      [],
    );
  });
});
