/**
 * CSRF and DNS rebinding (security review F8): a /v1 write with a content type a web page can send
 * cross-site without a preflight is refused, and a request naming a host the server is not
 * configured for is refused whatever route it asks for.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { allowedHostsFor } from '../src/config.js';
import { rowsOf } from '../src/db/sqlHelpers.js';
import { makeVersion } from './helpers/fixtures.js';
import { testBackend } from './helpers/testDatabase.js';
import { startTestServer, type TestServer, type ResponseJson } from './helpers/testServer.js';

/** node:http rather than fetch, which does not let a caller choose the Host header. */
function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: ResponseJson }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : null });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('allowedHostsFor', () => {
  it('answers the loopback names and the bound host, any host on a wildcard bind, or the given list', () => {
    assert.deepEqual(allowedHostsFor('127.0.0.1'), ['localhost', '127.0.0.1', '[::1]']);
    assert.deepEqual(allowedHostsFor('catalog.lan'), ['localhost', '127.0.0.1', '[::1]', 'catalog.lan']);
    assert.deepEqual(allowedHostsFor('::1'), ['localhost', '127.0.0.1', '[::1]']);
    assert.deepEqual(allowedHostsFor('10.0.0.5'), ['localhost', '127.0.0.1', '[::1]', '10.0.0.5']);
    assert.equal(allowedHostsFor('0.0.0.0'), '*');
    assert.equal(allowedHostsFor('::'), '*');
    assert.deepEqual(allowedHostsFor('0.0.0.0', ' Catalog.Example , other '), ['catalog.example', 'other']);
    assert.equal(allowedHostsFor('127.0.0.1', 'a,*'), '*');
  });
});

describe(`CSRF and Host checks (${testBackend})`, () => {
  let server: TestServer;
  let versionId: string;
  let port: string;
  before(async () => {
    server = await startTestServer();
    versionId = await makeVersion(server, 'csrf', 2);
    port = new URL(server.url).port;
  });
  after(() => server.stop());

  const scoreCount = async () =>
    Number(
      rowsOf<{ n: number }>(
        await server.database.db.execute(sql`select count(*)::int as n from sample_scores`),
      )[0]!.n,
    );

  it('refuses a scorer name PostgreSQL cannot store or that is not Unicode, and stores nothing', async () => {
    const body = '{"ordinal":0,"value":0.5}\n';
    for (const [scorer, problem, code] of [
      ['a%00b', /scorer\.name contains a NUL character/, 'BAD_USER_INPUT'],
      // Percent-encoding that is not UTF-8 (here an encoded surrogate), which URLSearchParams
      // would turn into U+FFFD.
      ['a%ED%A0%80b', /the query parameter "scorer" is not valid percent-encoded UTF-8/, 'BAD_REQUEST'],
    ] as const) {
      const res = await send(
        `${server.url}/v1/versions/${encodeURIComponent(versionId)}/scores?scorer=${scorer}`,
        { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body },
      );
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.errors[0].message, problem);
      assert.equal(res.body.errors[0].extensions.code, code);
    }
    assert.equal(await scoreCount(), 0);
    // A lone "%" is no escape at all: taken literally, as before.
    const literal = await send(
      `${server.url}/v1/versions/${encodeURIComponent(versionId)}/scores?scorer=100%&model=a%20b`,
      { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body },
    );
    assert.equal(literal.status, 200, JSON.stringify(literal.body));
    assert.equal(literal.body.result.metric, 'external:100%');
    await server.database.db.execute(sql`delete from metric_results where scorer_id is not null`);
  });

  it('refuses a score push a web page could send without a preflight, and stores nothing', async () => {
    const url = `${server.url}/v1/versions/${encodeURIComponent(versionId)}/scores?scorer=csrf`;
    const body = '{"ordinal":0,"value":0.5}\n{"ordinal":1,"value":0.25}\n';
    for (const type of [
      undefined,
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const refused = await send(url, {
        method: 'POST',
        headers: type ? { 'content-type': type } : {},
        body,
      });
      assert.equal(refused.status, 415, String(type));
      assert.equal(refused.body.errors[0].extensions.code, 'CSRF_REJECTED');
    }
    assert.equal(await scoreCount(), 0);
    const ok = await send(url, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.recorded, 2);
    // A simple content type with the custom header (which forces a preflight) is taken too.
    const withHeader = await send(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-qdc-client': 'notebook' },
      body,
    });
    assert.equal(withHeader.status, 200);
    assert.equal(await scoreCount(), 2, 'the re-push replaced the same two scores');
  });

  it('refuses a request for a host it does not serve, on every route', async () => {
    const routes: Array<[string, { method?: string; headers?: Record<string, string>; body?: string }]> = [
      ['/healthz', {}],
      ['/graphql?query=%7B__typename%7D', {}],
      [
        '/graphql',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query: 'mutation { createDataset(input: { slug: "rebound", name: "x" }) { id } }',
          }),
        },
      ],
      [`/v1/versions/${encodeURIComponent(versionId)}/samples.jsonl`, {}],
    ];
    for (const [path, options] of routes) {
      const refused = await send(`${server.url}${path}`, {
        ...options,
        headers: { ...options.headers, host: `evil.example:${port}` },
      });
      assert.equal(refused.status, 403, path);
      assert.equal(refused.body.errors[0].extensions.code, 'FORBIDDEN_HOST');
      assert.equal(refused.body.errors[0].extensions.host, 'evil.example');
    }
    const created = await server.ok('{ dataset(slug: "rebound") { slug } }');
    assert.equal(created.dataset, null, 'the rebound mutation did not run');
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'LOCALHOST']) {
      const ok = await send(`${server.url}/healthz`, { headers: { host } });
      assert.equal(ok.status, 200, host);
    }
  });

  it('answers the configured hosts only', async () => {
    const named = await startTestServer({ database: server.database, allowedHosts: ['catalog.example'] });
    try {
      assert.equal(
        (await send(`${named.url}/healthz`, { headers: { host: 'catalog.example' } })).status,
        200,
      );
      assert.equal((await send(`${named.url}/healthz`, { headers: { host: '127.0.0.1' } })).status, 403);
    } finally {
      await named.stop();
    }
  });
});
