/**
 * Bombs (security review F10, F12; issue 21 item 2): gzip bodies are cut at a decompressed size
 * and a compression ratio (413, nothing stored), deeply nested metadata is a rejected record (not
 * an aborted ingest), and bad percent-encoding in the scores route is a 400.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../src/db/sqlHelpers.js';
import { createDataset, makeVersion } from './helpers/fixtures.js';
import { testBackend } from './helpers/testDatabase.js';
import { startTestServer, type TestServer, type ResponseJson } from './helpers/testServer.js';

const MiB = 1 << 20;

async function upload(url: string, body: Buffer | string, gzip: boolean) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', ...(gzip ? { 'content-encoding': 'gzip' } : {}) },
    body,
  });
  return { status: res.status, body: (await res.json()) as ResponseJson };
}

/** `bytes` of JSONL in 4 KB records that differ only in their number: gzip shrinks it ~100x or more. */
function repetitiveJsonl(bytes: number): Buffer {
  const lines: string[] = [];
  for (let i = 0, size = 0; size < bytes; i++) {
    const line = `{"prompt":"row ${i}","response":"${'a'.repeat(4000)}"}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join(''));
}

describe(`request bombs (${testBackend})`, () => {
  let server: TestServer;
  let capped: TestServer;
  const count = async (query: ReturnType<typeof sql>) =>
    Number(rowsOf<{ n: number }>(await server.database.db.execute(query))[0]!.n);
  before(async () => {
    server = await startTestServer();
    capped = await startTestServer({
      database: server.database,
      gunzip: { maxBytes: 4 * MiB, maxRatio: 1_000_000 },
    });
  });
  after(async () => {
    await capped.stop();
    await server.stop();
  });

  it('cuts a gzip ingest past the decompressed-size cap and stores nothing', async () => {
    await createDataset(server, 'bomb-size');
    const plain = repetitiveJsonl(8 * MiB);
    const answer = await upload(`${capped.url}/v1/datasets/bomb-size/versions`, gzipSync(plain), true);
    assert.equal(answer.status, 413, JSON.stringify(answer.body));
    const error = answer.body.errors[0];
    assert.equal(error.extensions.code, 'PAYLOAD_TOO_LARGE');
    assert.equal(error.extensions.limit, 4 * MiB);
    assert.ok(error.extensions.decompressedBytes > 4 * MiB);
    assert.match(error.message, /decompresses to more than 4194304 bytes.*nothing was stored/);
    assert.equal(await count(sql`select count(*)::int as n from samples`), 0);
    assert.equal(await count(sql`select count(*)::int as n from dataset_versions`), 0);
    // The same file uncompressed is not a bomb: the cap is on decompression only.
    const ok = await upload(`${capped.url}/v1/datasets/bomb-size/versions`, plain, false);
    assert.equal(ok.status, 201);
  });

  it('cuts a gzip ingest whose ratio is over the cap once 16 MiB have come out', async () => {
    await createDataset(server, 'bomb-ratio');
    const compressed = gzipSync(repetitiveJsonl(24 * MiB), { level: 9 });
    const ratio = (24 * MiB) / compressed.length;
    assert.ok(ratio > 200, `the test body compresses ${ratio.toFixed(0)}x`);
    const before = await count(sql`select count(*)::int as n from samples`);
    const answer = await upload(`${server.url}/v1/datasets/bomb-ratio/versions`, compressed, true);
    assert.equal(answer.status, 413, JSON.stringify(answer.body));
    assert.equal(answer.body.errors[0].extensions.limit, 200);
    assert.match(answer.body.errors[0].message, /more than 200 times its size/);
    assert.equal(await count(sql`select count(*)::int as n from samples`), before);
  });

  it('cuts a gzip score file past the cap', async () => {
    const versionId = await makeVersion(server, 'bomb-scores', 2);
    const blank = Buffer.from(`${' '.repeat(1000)}\n`.repeat(8 * 1024));
    const answer = await upload(
      `${capped.url}/v1/versions/${encodeURIComponent(versionId)}/scores?scorer=bomb`,
      gzipSync(Buffer.concat([Buffer.from('{"ordinal":0,"value":1}\n'), blank])),
      true,
    );
    assert.equal(answer.status, 413, JSON.stringify(answer.body));
    assert.equal(answer.body.errors[0].extensions.code, 'PAYLOAD_TOO_LARGE');
    assert.equal(await count(sql`select count(*)::int as n from sample_scores`), 0);
  });

  it('rejects a record with deeply nested metadata; skip mode ingests the rest', async () => {
    await createDataset(server, 'deep-json');
    const nested = (levels: number) => `${'['.repeat(levels)}1${']'.repeat(levels)}`;
    // metadata {...} is level 1, so 63 arrays inside it reach the limit of 64 and 64 pass it.
    const lines = [
      '{"prompt":"first"}',
      `{"prompt":"too deep","metadata":{"a":${nested(200_000)}}}`,
      `{"prompt":"just deep enough","metadata":{"a":${nested(63)}}}`,
      `{"prompt":"one too deep","metadata":{"a":${nested(64)}}}`,
      '{"prompt":"last"}',
    ].join('\n');
    const failed = await upload(`${server.url}/v1/datasets/deep-json/versions`, lines, false);
    assert.equal(failed.status, 400);
    assert.equal(failed.body.errors[0].extensions.code, 'BAD_USER_INPUT');
    assert.equal(failed.body.errors[0].extensions.line, 2);
    assert.match(failed.body.errors[0].message, /metadata nests objects and arrays more than 64 levels deep/);
    const skipped = await upload(`${server.url}/v1/datasets/deep-json/versions?onError=skip`, lines, false);
    assert.equal(skipped.status, 201, JSON.stringify(skipped.body));
    assert.equal(skipped.body.ingested, 3);
    assert.deepEqual(
      skipped.body.rejections.map((r: { line: number }) => r.line),
      [2, 4],
    );
  });

  it('answers bad percent-encoding in the scores route with 400', async () => {
    const answer = await upload(
      `${server.url}/v1/versions/%E0%A4%A/scores?scorer=x`,
      '{"ordinal":0,"value":1}\n',
      false,
    );
    assert.equal(answer.status, 400);
    assert.equal(answer.body.errors[0].extensions.code, 'BAD_REQUEST');
    assert.match(answer.body.errors[0].message, /not valid percent-encoding/);
  });
});
