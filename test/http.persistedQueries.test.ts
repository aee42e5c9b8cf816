/**
 * Automatic persisted queries (issue 21 item 8; Apollo's `persistedQuery` extension): a client
 * registers a query once by POST with its SHA-256, then reads it by GET with only the hash in the
 * URL, which stays short and cacheable. Apollo Server keeps the registered documents in its
 * default bounded in-memory LRU cache. Hashes here are computed by the test with node:crypto.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../src/auth/apiKeys.js';
import { createDataset } from './helpers/fixtures.js';
import { testBackend } from './helpers/testDatabase.js';
import { startTestServer, type TestServer } from './helpers/testServer.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const persisted = (hash: string, version = 1) =>
  JSON.stringify({ persistedQuery: { version, sha256Hash: hash } });

interface Answer {
  status: number;
  body: { data?: Record<string, unknown>; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function get(server: TestServer, params: Record<string, string>, key?: string): Promise<Answer> {
  const res = await fetch(`${server.url}/graphql?${new URLSearchParams(params)}`, {
    headers: { accept: 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

async function post(server: TestServer, body: unknown, key?: string): Promise<Answer> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

describe(`persisted queries over GET (${testBackend})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    await createDataset(server, 'apq-one');
  });
  after(() => server.stop());

  const QUERY = '{ datasets(first: 5) { edges { node { slug } } } }';

  it('an unknown hash asks the client to register it; after a POST with the query, GET by hash answers', async () => {
    const hash = sha256(QUERY);
    const unknown = await get(server, { extensions: persisted(hash) });
    assert.equal(unknown.status, 200);
    assert.equal(unknown.body.errors?.[0]?.extensions?.code, 'PERSISTED_QUERY_NOT_FOUND');
    const registered = await post(server, { query: QUERY, extensions: JSON.parse(persisted(hash)) });
    assert.deepEqual(registered.body.data, { datasets: { edges: [{ node: { slug: 'apq-one' } }] } });
    const byHash = await get(server, { extensions: persisted(hash) });
    assert.equal(byHash.status, 200);
    assert.deepEqual(byHash.body, registered.body, 'the same answer from the hash alone');
    // The answer follows the data, not the registration: a new dataset shows on the next GET.
    await createDataset(server, 'apq-two');
    const after = await get(server, { extensions: persisted(hash) });
    const slugs = (after.body.data!.datasets as { edges: { node: { slug: string } }[] }).edges.map(
      (e) => e.node.slug,
    );
    assert.deepEqual(slugs.sort(), ['apq-one', 'apq-two']);
  });

  it('a hash that does not match its query, or an unknown version, is BAD_REQUEST (was internal)', async () => {
    const wrong = await get(server, { query: QUERY, extensions: persisted('ab'.repeat(32)) });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.errors?.[0]?.extensions?.code, 'BAD_REQUEST');
    assert.match(wrong.body.errors![0]!.message, /provided sha does not match query/);
    const version = await post(server, { query: QUERY, extensions: JSON.parse(persisted(sha256(QUERY), 2)) });
    assert.equal(version.status, 400);
    assert.equal(version.body.errors?.[0]?.extensions?.code, 'BAD_REQUEST');
    // Nothing was registered under the wrong hash.
    const notThere = await get(server, { extensions: persisted('ab'.repeat(32)) });
    assert.equal(notThere.body.errors?.[0]?.extensions?.code, 'PERSISTED_QUERY_NOT_FOUND');
  });

  it('a registered mutation is never run by GET', async () => {
    const mutation = 'mutation { createDataset(input: { slug: "apq-by-get", name: "x" }) { id } }';
    const hash = sha256(mutation);
    const registered = await post(server, { query: mutation, extensions: JSON.parse(persisted(hash)) });
    assert.equal(registered.body.errors, undefined);
    // Registered and run once by POST; a GET of the hash is refused (405), so no second dataset.
    const again = await get(server, { extensions: persisted(hash) });
    assert.equal(again.status, 405);
    const count = await server.ok(`{ dataset(slug: "apq-by-get") { slug } }`);
    assert.deepEqual(count.dataset, { slug: 'apq-by-get' });
  });
});

describe(`persisted queries need a key like any other query (${testBackend})`, () => {
  let server: TestServer;
  let key: string;
  before(async () => {
    server = await startTestServer({ auth: 'required' });
    key = (await createApiKey(server.database.db, { role: 'reader' })).key;
  });
  after(() => server.stop());

  it('GET by hash without a key is 401; with one it answers', async () => {
    const query = '{ serverInfo { auth } }';
    const hash = sha256(query);
    assert.equal((await post(server, { query, extensions: JSON.parse(persisted(hash)) }, key)).status, 200);
    const anonymous = await get(server, { extensions: persisted(hash) });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    const withKey = await get(server, { extensions: persisted(hash) }, key);
    assert.deepEqual(withKey.body.data, { serverInfo: { auth: 'required' } });
  });
});
