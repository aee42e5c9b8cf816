/**
 * Timeouts (security review F3, F9; issue 21 item 11): slow or stalled clients are cut off with
 * 408, the key is checked before a body is read, a stalled upload holds no transaction and rolls
 * back, and PostgreSQL connections carry statement and idle-in-transaction timeouts.
 */
import assert from 'node:assert/strict';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { connect as netConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { connect } from '../src/db/connect.js';
import { rowsOf } from '../src/db/sqlHelpers.js';
import { createDataset, makeVersion } from './helpers/fixtures.js';
import { createScratchDatabase, testBackend } from './helpers/testDatabase.js';
import { startTestServer, type TestServer, type ResponseJson } from './helpers/testServer.js';

const TIMEOUTS = { headersMs: 800, requestMs: 1500, bodyIdleMs: 1200 };

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: ResponseJson;
}

/** A request whose body the test writes piece by piece (and may leave unfinished). */
function openRequest(
  url: string,
  method: string,
  headers: Record<string, string>,
): { req: ClientRequest; answer: Promise<Answer>; answered: () => boolean } {
  let done = false;
  const req = httpRequest(url, { method, headers });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        done = true;
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : null });
      });
    });
    req.on('error', reject);
  });
  req.flushHeaders();
  return { req, answer, answered: () => done };
}

async function countRows(server: TestServer, query: ReturnType<typeof sql>): Promise<number> {
  return Number(rowsOf<{ n: number }>(await server.database.db.execute(query))[0]!.n);
}

describe(`HTTP timeouts (${testBackend})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ timeouts: TIMEOUTS });
  });
  after(() => server.stop());

  it('answers 408 and closes a connection whose headers never finish', { timeout: 20_000 }, async () => {
    const url = new URL(server.url);
    const socket = netConnect(Number(url.port), url.hostname);
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    await new Promise((resolve) => socket.on('close', resolve));
    assert.match(received, /^HTTP\/1\.1 408 /);
  });

  it(
    'cuts a /graphql body that stalls, and one that trickles past the request timeout',
    { timeout: 20_000 },
    async () => {
      const body = JSON.stringify({ query: '{ datasets(first: 1) { totalCount } }' });
      const stalled = openRequest(`${server.url}/graphql`, 'POST', {
        'content-type': 'application/json',
        'content-length': String(body.length),
      });
      stalled.req.write(body.slice(0, 10));
      const a = await stalled.answer;
      assert.equal(a.status, 408);
      assert.equal(a.body.errors[0].extensions.code, 'REQUEST_TIMEOUT');
      assert.equal(a.body.errors[0].extensions.timeoutMs, TIMEOUTS.bodyIdleMs);
      assert.match(a.body.errors[0].message, /QDC_BODY_IDLE_TIMEOUT_MS/);
      assert.equal(a.headers.connection, 'close');
      stalled.req.destroy();

      // One byte every 200 ms never stalls for bodyIdleMs, but the whole body takes longer than requestMs.
      const trickled = openRequest(`${server.url}/graphql`, 'POST', {
        'content-type': 'application/json',
        'content-length': String(body.length),
      });
      let i = 0;
      const timer = setInterval(() => {
        if (i < body.length && !trickled.req.destroyed) trickled.req.write(body[i++]!);
      }, 200);
      try {
        const b = await trickled.answer;
        assert.equal(b.status, 408);
        assert.equal(b.body.errors[0].extensions.code, 'REQUEST_TIMEOUT');
        assert.equal(b.body.errors[0].extensions.timeoutMs, TIMEOUTS.requestMs);
        assert.match(b.body.errors[0].message, /QDC_REQUEST_TIMEOUT_MS/);
        assert.ok(i < body.length, 'the body had not all arrived');
      } finally {
        clearInterval(timer);
        trickled.req.destroy();
      }
      // The server goes on answering.
      assert.equal((await server.ok('{ datasets(first: 1) { totalCount } }')).datasets.totalCount, 0);
    },
  );

  it(
    'aborts a bulk ingest whose body stalls, leaves no partial version, and serves others meanwhile',
    { timeout: 30_000 },
    async () => {
      const slug = 'stalled-upload';
      await createDataset(server, slug);
      const samplesBefore = await countRows(server, sql`select count(*)::int as n from samples`);
      const upload = openRequest(`${server.url}/v1/datasets/${slug}/versions`, 'POST', {
        'content-type': 'application/x-ndjson',
      });
      // Headers only: no transaction may be open yet, so the database answers everyone else.
      await sleep(300);
      if (testBackend === 'postgres') {
        const open = await countRows(
          server,
          sql`select count(*)::int as n from pg_stat_activity
             where datname = current_database() and pid <> pg_backend_pid() and xact_start is not null`,
        );
        assert.equal(open, 0, 'no transaction is open before the body has begun');
      }
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
      // Then 2000 rows, and the client stalls mid-body.
      const rows = Array.from({ length: 2000 }, (_, i) => `{"prompt":"stalled ${i}","response":"r"}\n`).join(
        '',
      );
      upload.req.write(rows);
      await sleep(300);
      const read = await server.ok(
        `query($slug: String!) { dataset(slug: $slug) { slug versions(first: 5) { edges { node { id } } } } }`,
        { slug },
      );
      assert.deepEqual(read.dataset, { slug, versions: { edges: [] } });
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
      assert.equal(upload.answered(), false, 'the stalled upload is still waiting while others are served');

      const answer = await upload.answer;
      upload.req.destroy();
      assert.equal(answer.status, 408);
      assert.equal(answer.body.errors[0].extensions.code, 'REQUEST_TIMEOUT');
      assert.match(answer.body.errors[0].message, /stalled.*nothing was stored/);
      assert.equal(
        await countRows(
          server,
          sql`select count(*)::int as n from dataset_versions where status = 'STAGING'`,
        ),
        0,
      );
      assert.equal(await countRows(server, sql`select count(*)::int as n from samples`), samplesBefore);
      const versions = await server.ok(
        `query($slug: String!) { dataset(slug: $slug) { versions(first: 5) { edges { node { id } } } } }`,
        { slug },
      );
      assert.deepEqual(versions.dataset.versions.edges, []);

      // The same rows, sent in full, become version 1.
      const ok = await fetch(`${server.url}/v1/datasets/${slug}/versions`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: rows,
      });
      assert.equal(ok.status, 201);
      const created = (await ok.json()) as ResponseJson;
      assert.equal(created.version.version, 1);
      assert.equal(created.version.sampleCount, 2000);
    },
  );

  it('aborts a score push whose body stalls and stores none of it', { timeout: 30_000 }, async () => {
    const versionId = await makeVersion(server, 'stalled-scores', 3);
    const push = openRequest(
      `${server.url}/v1/versions/${encodeURIComponent(versionId)}/scores?scorer=stall`,
      'POST',
      { 'content-type': 'application/x-ndjson' },
    );
    push.req.write('{"ordinal":0,"value":0.5}\n{"ordinal":1,"value":0.25}\n');
    await sleep(300);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    const answer = await push.answer;
    push.req.destroy();
    assert.equal(answer.status, 408);
    assert.equal(answer.body.errors[0].extensions.code, 'REQUEST_TIMEOUT');
    assert.equal(await countRows(server, sql`select count(*)::int as n from sample_scores`), 0);
  });
});

describe(`the API key comes before the body (${testBackend})`, () => {
  let server: TestServer;
  before(async () => {
    // A long body timeout: only an answer that does not wait for the body can come in time.
    server = await startTestServer({
      auth: 'required',
      timeouts: { ...TIMEOUTS, bodyIdleMs: 60_000, requestMs: 60_000 },
    });
  });
  after(() => server.stop());

  it(
    'refuses /graphql without a valid key before reading a byte of the body',
    { timeout: 20_000 },
    async () => {
      for (const authorization of [undefined, 'Bearer qdc_nope_nope']) {
        const r = openRequest(`${server.url}/graphql`, 'POST', {
          'content-type': 'application/json',
          'content-length': '100000',
          ...(authorization ? { authorization } : {}),
        });
        const a = await r.answer;
        r.req.destroy();
        assert.equal(a.status, 401);
        assert.equal(a.body.errors[0].extensions.code, 'UNAUTHENTICATED');
        assert.equal(a.headers.connection, 'close');
      }
    },
  );
});

describe('PostgreSQL connection timeouts', { skip: testBackend !== 'postgres' }, () => {
  it(
    'sets statement_timeout and idle_in_transaction_session_timeout on every connection',
    { timeout: 30_000 },
    async () => {
      const scratch = await createScratchDatabase();
      const database = await connect({
        databaseUrl: scratch.url,
        poolSize: 2,
        statementTimeoutMs: 300,
        idleInTransactionTimeoutMs: 400,
      });
      try {
        const shown = rowsOf<{ s: string; i: string }>(
          await database.db.execute(
            sql`select current_setting('statement_timeout') as s, current_setting('idle_in_transaction_session_timeout') as i`,
          ),
        )[0]!;
        assert.deepEqual(shown, { s: '300ms', i: '400ms' });
        await assert.rejects(database.db.execute(sql`select pg_sleep(3)`), (error: ResponseJson) => {
          assert.match(String(error.cause?.message ?? error.message), /statement timeout/);
          return true;
        });
        // A transaction left idle past the timeout is ended by the server, not left holding locks.
        await assert.rejects(
          database.rawTransaction(async (tx) => {
            await tx.query('select 1');
            await sleep(1500);
            await tx.query('select 1');
          }),
        );
        // The pool goes on working with fresh connections.
        assert.equal(rowsOf<{ n: number }>(await database.db.execute(sql`select 1 as n`))[0]!.n, 1);
      } finally {
        await database.close();
        await scratch.drop();
      }
    },
  );
});
