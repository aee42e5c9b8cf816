/**
 * How `qdc serve` answers the web explorer's paths over real HTTP: the app and its client-side
 * routes for browsers, the bundled GraphiQL for browser navigations to /graphql (and only those),
 * hashed assets cached and gzipped, and a clear page when the app has not been built.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createWebRoutes } from '../src/http/webRoutes.js';
import { ensureWebBuilt } from './helpers/browser.js';
import { startTestServer, type TestServer, type ResponseJson } from './helpers/testServer.js';

const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describe('web explorer routes', () => {
  let server: TestServer;
  before(async () => {
    ensureWebBuilt();
    server = await startTestServer();
  });
  after(() => server.stop());

  it('serves the app at / and at client-side routes, with a same-origin CSP', async () => {
    for (const path of ['/', '/datasets/x/v/2', '/qd?x=a']) {
      const res = await fetch(`${server.url}${path}`, { headers: { accept: HTML } });
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type')!, /^text\/html/);
      assert.match(res.headers.get('content-security-policy')!, /default-src 'self'.*connect-src 'self'/);
      const body = await res.text();
      assert.match(body, /<div id="root"><\/div>/);
      // Every script and stylesheet is a path on this origin.
      for (const [, url] of body.matchAll(/(?:src|href)="([^"]+)"/g)) assert.match(url!, /^\/[^/]/, url);
    }
  });

  it('serves GraphiQL to a browser at /graphql, and leaves API requests to GraphQL', async () => {
    const ide = await fetch(`${server.url}/graphql`, { headers: { accept: HTML } });
    assert.equal(ide.status, 200);
    assert.match(await ide.text(), /<div id="graphiql"><\/div>/);

    const post = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: HTML },
      body: JSON.stringify({ query: '{ serverInfo { auth } }' }),
    });
    assert.deepEqual(await post.json(), { data: { serverInfo: { auth: 'off' } } });

    // A GET carrying an operation is the API's, whatever the Accept header says.
    const get = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ serverInfo { auth } }')}`, {
      headers: { accept: HTML, 'apollo-require-preflight': 'true' },
    });
    assert.doesNotMatch(await get.text(), /id="graphiql"/);
  });

  it('serves hashed assets gzipped and immutable, and 404s unknown ones and server paths as JSON', async () => {
    const index = await (await fetch(`${server.url}/`, { headers: { accept: HTML } })).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index)![1]!;
    const res = await fetch(`${server.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/javascript/);
    assert.match(res.headers.get('cache-control')!, /immutable/);
    assert.equal(res.headers.get('content-encoding'), 'gzip');
    assert.ok((await res.text()).length > 1000);

    const missing = await fetch(`${server.url}/assets/nope.js`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as ResponseJson).errors[0].extensions.code, 'NOT_FOUND');
    const api = await fetch(`${server.url}/v1/nowhere`, { headers: { accept: HTML } });
    assert.equal(api.status, 404);
    assert.equal(((await api.json()) as ResponseJson).errors[0].extensions.code, 'NOT_FOUND');
    const traversal = await fetch(`${server.url}/assets/..%2f..%2fpackage.json`);
    assert.equal(traversal.status, 404);
  });

  it('answers 503 with how to build when web/dist is missing', async () => {
    const routes = createWebRoutes(mkdtempSync(join(tmpdir(), 'qdc-web-')));
    const plain = createServer((req, res) => {
      void routes.handle(req, res, new URL(req.url!, 'http://x')).then((handled) => {
        if (!handled) res.writeHead(418).end();
      });
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
      const res = await fetch(`${url}/`, { headers: { accept: HTML } });
      assert.equal(res.status, 503);
      assert.match(await res.text(), /npm run build:web/);
      const gz = await fetch(`${url}/assets/app.js`);
      assert.equal(gz.status, 418);
    } finally {
      plain.close();
    }
  });
});
