/**
 * GraphQL over HTTP as the specification asks (issue 21 item 8): queries over GET, never
 * mutations; application/graphql-response+json with 4xx for request errors; 200 for those same
 * errors with application/json; 406, 405 and 415 for what the server cannot answer or take.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDataset } from './helpers/fixtures.js';
import { testBackend } from './helpers/testDatabase.js';
import { startTestServer, type TestServer, type ResponseJson } from './helpers/testServer.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const GRAPHQL_TYPE = 'application/graphql-response+json; charset=utf-8';

async function call(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init);
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: JSON.parse(text) as ResponseJson,
  };
}

describe(`GraphQL over HTTP (${testBackend})`, () => {
  let server: TestServer;
  let endpoint: string;
  before(async () => {
    server = await startTestServer();
    endpoint = `${server.url}/graphql`;
    await createDataset(server, 'over-http');
  });
  after(() => server.stop());

  const get = (query: string, accept?: string, extra = '') =>
    call(`${endpoint}?query=${encodeURIComponent(query)}${extra}`, accept ? { headers: { accept } } : {});
  const post = (body: unknown, accept?: string) =>
    call(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(accept ? { accept } : {}) },
      body: JSON.stringify(body),
    });

  it('runs a query sent with GET, with no special header, in either media type', async () => {
    const plain = await get('{ dataset(slug: "over-http") { slug } }');
    assert.equal(plain.status, 200);
    assert.equal(plain.type, JSON_TYPE);
    assert.deepEqual(plain.body, { data: { dataset: { slug: 'over-http' } } });
    const typed = await get(
      'query($s: String!) { dataset(slug: $s) { slug } }',
      'application/graphql-response+json',
      `&variables=${encodeURIComponent(JSON.stringify({ s: 'over-http' }))}`,
    );
    assert.equal(typed.status, 200);
    assert.equal(typed.type, GRAPHQL_TYPE);
    assert.deepEqual(typed.body, { data: { dataset: { slug: 'over-http' } } });
  });

  it('never runs a mutation sent with GET', async () => {
    const answer = await get('mutation { createDataset(input: { slug: "by-get", name: "By GET" }) { id } }');
    assert.equal(answer.status, 405);
    const check = await post({ query: '{ dataset(slug: "by-get") { slug } }' });
    assert.deepEqual(check.body, { data: { dataset: null } }, 'nothing was created');
  });

  it('answers a GET without a query with a JSON 400, not a landing page', async () => {
    for (const accept of [undefined, 'application/json']) {
      const answer = await call(endpoint, accept ? { headers: { accept } } : {});
      assert.equal(answer.status, 400, `Accept: ${accept}`);
      assert.equal(answer.type, JSON_TYPE);
      assert.equal(answer.body.errors[0].extensions.code, 'BAD_REQUEST');
    }
    // A browser's navigation (HTML only) gets the bundled GraphiQL of the web explorer
    // (test/http.webRoutes.test.ts), or its "not built" page: never Apollo's CDN landing page.
    const html = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    assert.ok(html.status === 200 || html.status === 503, `status ${html.status}`);
    assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
    assert.doesNotMatch(await html.text(), /cdn\.apollographql\.com|embeddable-sandbox/);
  });

  it('answers parse, validation and variable errors 200 with application/json and 400 with graphql-response+json', async () => {
    const cases = [
      { body: { query: '{ datasets ' }, code: 'GRAPHQL_PARSE_FAILED' },
      { body: { query: '{ nope }' }, code: 'GRAPHQL_VALIDATION_FAILED' },
      {
        body: { query: 'query($n: Int!) { datasets(first: $n) { totalCount } }', variables: { n: 'x' } },
        code: 'BAD_USER_INPUT',
      },
    ];
    for (const { body, code } of cases) {
      for (const accept of [undefined, 'application/json']) {
        const legacy = await post(body, accept);
        assert.equal(legacy.status, 200, `${code}, Accept: ${accept}`);
        assert.equal(legacy.type, JSON_TYPE);
        assert.equal(legacy.body.data, undefined);
        assert.equal(legacy.body.errors[0].extensions.code, code);
      }
      const typed = await post(body, 'application/graphql-response+json');
      assert.equal(typed.status, 400, code);
      assert.equal(typed.type, GRAPHQL_TYPE);
      assert.equal(typed.body.errors[0].extensions.code, code);
      // The same over GET.
      const viaGet = await get(
        body.query,
        'application/graphql-response+json',
        body.variables ? `&variables=${encodeURIComponent(JSON.stringify(body.variables))}` : '',
      );
      assert.equal(viaGet.status, 400, `GET ${code}`);
    }
  });

  it('keeps 200 for a response with data, field errors included', async () => {
    // A malformed id is a field error: data is present (null), so 200 in both types.
    for (const accept of ['application/json', 'application/graphql-response+json']) {
      const answer = await post({ query: '{ version(id: "nope") { id } }' }, accept);
      assert.equal(answer.status, 200, accept);
      assert.ok('data' in answer.body);
      assert.ok(answer.body.errors.length > 0);
    }
  });

  it('refuses what it cannot answer or take: 406, 415, 405', async () => {
    const xml = await post({ query: '{ __typename }' }, 'application/xml');
    assert.equal(xml.status, 406);
    assert.equal(xml.body.errors[0].extensions.code, 'NOT_ACCEPTABLE');
    // A page can POST text/plain or a form cross-site without a preflight: such a request never runs.
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const simple = await call(endpoint, {
        method: 'POST',
        headers: { 'content-type': type },
        body: JSON.stringify({
          query: 'mutation { createDataset(input: { slug: "csrf", name: "x" }) { id } }',
        }),
      });
      assert.equal(simple.status, 415, type);
      assert.equal(simple.body.errors[0].extensions.code, 'UNSUPPORTED_MEDIA_TYPE');
    }
    assert.deepEqual((await post({ query: '{ dataset(slug: "csrf") { slug } }' })).body, {
      data: { dataset: null },
    });
    const put = await call(endpoint, { method: 'PUT' });
    assert.equal(put.status, 405);
    assert.equal(put.body.errors[0].extensions.code, 'METHOD_NOT_ALLOWED');
  });
});
