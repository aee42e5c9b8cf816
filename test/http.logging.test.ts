/**
 * What the server logs about a request, over real HTTP: each request's id (made up, or the
 * client's own x-request-id) in its response header, in every log line of the request and in the
 * internal errors it answers with; the log level; and no API key in any line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { createApiKey } from '../src/auth/apiKeys.js';
import { toGlobalId } from '../src/globalId.js';
import { createLogger, type LogLevel } from '../src/logger.js';
import { testBackend } from './helpers/testDatabase.js';
import { startTestServer, type TestServer } from './helpers/testServer.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface LogLine {
  level: number;
  msg: string;
  requestId?: string;
  [field: string]: unknown;
}

/** A test server whose log lines are kept; `since(n)` parses the lines after the n-th. */
async function loggedServer(level: LogLevel, auth: 'off' | 'required' = 'off') {
  const lines: string[] = [];
  const logger = createLogger({ level, format: 'json', write: (line) => lines.push(line) });
  const server = await startTestServer({ auth, logger });
  const since = (n: number) => lines.slice(n).map((line) => JSON.parse(line) as LogLine);
  return { server, lines, since };
}

/** Renames the tables the catalog reads, so reading datasets or versions fails inside the server. */
async function breakCatalogTables(server: TestServer) {
  await server.database.db.execute(sql`alter table datasets rename to datasets_gone`);
  await server.database.db.execute(sql`alter table dataset_versions rename to dataset_versions_gone`);
}

async function postGraphQL(
  server: TestServer,
  query: string,
  options: { variables?: Record<string, unknown>; headers?: Record<string, string> } = {},
) {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify({ query, variables: options.variables ?? {} }),
  });
  const body = (await res.json()) as {
    errors?: { message: string; extensions: Record<string, unknown> }[];
  };
  return { status: res.status, requestId: res.headers.get('x-request-id'), errors: body.errors };
}

const LIST_DATASETS = '{ datasets(first: 1) { totalCount } }';
const exportPath = `/v1/versions/${toGlobalId('DatasetVersion', 1)}/samples.jsonl`;

describe(`request ids in responses and log lines (${testBackend})`, () => {
  let logged: Awaited<ReturnType<typeof loggedServer>>;
  before(async () => {
    logged = await loggedServer('debug');
    await breakCatalogTables(logged.server);
  });
  after(() => logged.server.stop());

  it('names the request of an internal error in the response, its header and every line it logs', async () => {
    const before = logged.lines.length;
    const answer = await postGraphQL(logged.server, LIST_DATASETS);
    assert.match(answer.requestId ?? '', UUID);
    assert.deepEqual(answer.errors?.[0]?.extensions, {
      code: 'INTERNAL_SERVER_ERROR',
      requestId: answer.requestId,
    });
    assert.equal(answer.errors?.[0]?.message, 'Internal server error');

    const lines = logged.since(before);
    assert.deepEqual(
      lines.map((line) => line.requestId),
      lines.map(() => answer.requestId),
      'every line written during the request names it',
    );
    const failure = lines.find((line) => line.msg === 'internal error while handling a GraphQL request');
    assert.ok(failure, JSON.stringify(lines));
    assert.equal(failure.level, 50);
    assert.match(String(failure.error), /datasets/, 'the details are in the log');
    const access = lines.find((line) => line.msg === 'HTTP request');
    assert.deepEqual(
      { ...access, time: 0, ms: 0, pid: 0, hostname: '' },
      {
        level: 20,
        time: 0,
        pid: 0,
        hostname: '',
        requestId: answer.requestId,
        method: 'POST',
        path: '/graphql',
        status: 200,
        ms: 0,
        msg: 'HTTP request',
      },
    );
  });

  it("keeps a client's own x-request-id when it is a plain token, and replaces any other", async () => {
    const own = await postGraphQL(logged.server, LIST_DATASETS, {
      headers: { 'x-request-id': 'notebook-7f3a:run/2' },
    });
    assert.equal(own.requestId, 'notebook-7f3a:run/2');
    assert.equal(own.errors?.[0]?.extensions.requestId, 'notebook-7f3a:run/2');
    assert.ok(logged.since(0).some((line) => line.requestId === 'notebook-7f3a:run/2' && line.level === 50));

    for (const odd of ['two words', 'x'.repeat(129), '"quoted"', 'a,b']) {
      const replaced = await postGraphQL(logged.server, LIST_DATASETS, { headers: { 'x-request-id': odd } });
      assert.match(replaced.requestId ?? '', UUID, odd);
      assert.equal(replaced.errors?.[0]?.extensions.requestId, replaced.requestId);
    }
    const a = await fetch(`${logged.server.url}/healthz`);
    const b = await fetch(`${logged.server.url}/healthz`);
    assert.notEqual(a.headers.get('x-request-id'), b.headers.get('x-request-id'), 'a new id per request');
  });

  it("names the request in a bulk route's 500 answer and its log line", async () => {
    const before = logged.lines.length;
    const res = await fetch(`${logged.server.url}${exportPath}`);
    assert.equal(res.status, 500);
    const requestId = res.headers.get('x-request-id');
    assert.match(requestId ?? '', UUID);
    const body = (await res.json()) as { errors: { message: string; extensions: unknown }[] };
    assert.deepEqual(body.errors, [
      { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } },
    ]);
    const lines = logged.since(before);
    assert.ok(lines.length >= 2);
    assert.ok(lines.every((line) => line.requestId === requestId));
    const failure = lines.find((line) => line.msg === 'internal error while handling an HTTP request');
    assert.equal(failure?.level, 50);
    assert.equal(failure?.path, exportPath);
  });
});

describe(`the server's log level (${testBackend})`, () => {
  let logged: Awaited<ReturnType<typeof loggedServer>>;
  before(async () => {
    logged = await loggedServer('info');
    await breakCatalogTables(logged.server);
  });
  after(() => logged.server.stop());

  it('at info, logs internal errors but not each request', async () => {
    await fetch(`${logged.server.url}/healthz`);
    assert.deepEqual(logged.since(0), [], 'a healthy request writes nothing');
    const answer = await postGraphQL(logged.server, LIST_DATASETS);
    assert.deepEqual(
      logged.since(0).map(({ level, msg, requestId }) => ({ level, msg, requestId })),
      [{ level: 50, msg: 'internal error while handling a GraphQL request', requestId: answer.requestId }],
    );
  });
});

describe(`API keys stay out of the log (${testBackend})`, () => {
  let logged: Awaited<ReturnType<typeof loggedServer>>;
  let key: string;
  before(async () => {
    logged = await loggedServer('debug', 'required');
    ({ key } = await createApiKey(logged.server.database.db, { role: 'writer' }));
    await breakCatalogTables(logged.server);
  });
  after(() => logged.server.stop());

  it('even when a request that sends one fails inside the server with the key among its values', async () => {
    const secret = key.split('_').slice(2).join('_');
    const wrongKey = `${key.split('_').slice(0, 2).join('_')}_${'W'.repeat(43)}`;
    const authorization = { authorization: `Bearer ${key}` };
    // The key pasted into a query argument: the failed SQL, in the logged error, carries it.
    const pasted = await postGraphQL(logged.server, 'query($s: String!) { dataset(slug: $s) { id } }', {
      variables: { s: key },
      headers: authorization,
    });
    assert.equal(pasted.errors?.[0]?.extensions.code, 'INTERNAL_SERVER_ERROR');
    const exported = await fetch(`${logged.server.url}${exportPath}`, { headers: authorization });
    assert.equal(exported.status, 500);
    const refused = await postGraphQL(logged.server, LIST_DATASETS, {
      headers: { authorization: `Bearer ${wrongKey}` },
    });
    assert.equal(refused.errors?.[0]?.extensions.code, 'UNAUTHENTICATED');
    const basic = await fetch(`${logged.server.url}${exportPath}`, {
      headers: { authorization: `Basic ${Buffer.from(`user:${secret}`).toString('base64')}` },
    });
    assert.equal(basic.status, 401);

    const lines = logged.since(0);
    assert.equal(lines.filter((line) => line.msg === 'HTTP request').length, 4, 'each request was logged');
    assert.ok(lines.some((line) => line.msg === 'internal error while handling a GraphQL request'));
    const text = logged.lines.join('');
    for (const leaked of [secret, wrongKey.slice(-43), Buffer.from(`user:${secret}`).toString('base64')]) {
      assert.ok(!text.includes(leaked), `a secret in the log:\n${text}`);
    }
  });
});
