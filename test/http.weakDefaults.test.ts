/**
 * Weak defaults (security review F16): introspection can be switched off, and with auth required
 * an unauthenticated /healthz says only that the server is up.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createApiKey } from '../src/auth/apiKeys.js';
import { VERSION } from '../src/app.js';
import { testBackend } from './helpers/testDatabase.js';
import { startTestServer } from './helpers/testServer.js';

describe(`weak defaults (${testBackend})`, () => {
  it('refuses introspection when it is switched off, and still answers other queries', async () => {
    const server = await startTestServer({ introspection: false });
    try {
      const refused = await server.gql('{ __schema { queryType { name } } }');
      assert.equal(refused.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
      assert.match(refused.errors![0]!.message, /introspection/i);
      assert.deepEqual((await server.ok('{ datasets { totalCount } }')).datasets, { totalCount: 0 });
    } finally {
      await server.stop();
    }
    const open = await startTestServer();
    try {
      assert.equal((await open.ok('{ __schema { queryType { name } } }')).__schema.queryType.name, 'Query');
    } finally {
      await open.stop();
    }
  });

  it('keeps the version and backend of /healthz for callers with a valid key when auth is required', async () => {
    const server = await startTestServer({ auth: 'required' });
    try {
      const anonymous = await fetch(`${server.url}/healthz`);
      assert.equal(anonymous.status, 200);
      assert.deepEqual(await anonymous.json(), { status: 'ok' });
      const { key } = await createApiKey(server.database.db, { role: 'reader' });
      const keyed = await fetch(`${server.url}/healthz`, { headers: { authorization: `Bearer ${key}` } });
      assert.deepEqual(await keyed.json(), { status: 'ok', backend: testBackend, version: VERSION });
    } finally {
      await server.stop();
    }
  });
});
