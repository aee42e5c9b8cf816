/**
 * A bulk upload refused at its second line, while megabytes of body are still on the way: the
 * client gets the 400 with the line number (the rest of the body is read and dropped first), not
 * a reset connection, and nothing is stored. Python's requests only reads the answer after
 * sending everything, so without the drain it saw ECONNRESET (clients/python/tests).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { createDataset, createVersion } from './helpers/fixtures.js';
import { startTestServer, type TestServer, type ResponseJson } from './helpers/testServer.js';

/**
 * POSTs `body` the way Python's requests does: the whole body first (Content-Length, 64 KiB
 * writes), and only then the answer is read. Resolves with the status and the JSON body.
 */
function post(
  server: TestServer,
  path: string,
  body: Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; body: ResponseJson }> {
  const url = new URL(server.url + path);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    socket.on('error', reject);
    socket.pause();
    const head = [`POST ${path} HTTP/1.1`, `host: ${url.host}`, `content-length: ${body.length}`];
    for (const [k, v] of Object.entries(headers)) head.push(`${k}: ${v}`);
    socket.write(head.join('\r\n') + '\r\n\r\n');
    let offset = 0;
    const write = () => {
      while (offset < body.length) {
        const chunk = body.subarray(offset, offset + 65536);
        offset += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', write);
      }
      socket.write(Buffer.alloc(0), () => readAnswer());
    };
    const readAnswer = () => {
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        text += chunk;
        const split = text.indexOf('\r\n\r\n');
        if (split < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(text.slice(0, split))?.[1]);
        if (Buffer.byteLength(text.slice(split + 4)) < length) return;
        socket.destroy();
        resolve({ status: Number(text.split(' ')[1]), body: JSON.parse(text.slice(split + 4)) });
      });
      socket.resume();
    };
    write();
  });
}

/** About 10 MB of valid lines after a broken second line. */
function bigBodyBrokenAtLine2(first: string, good: (i: number) => string): Buffer {
  const lines = [first, '{"prompt": '];
  for (let i = 0; i < 60_000; i++) lines.push(good(i));
  return Buffer.from(lines.join('\n') + '\n');
}

describe('bulk uploads refused early', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.stop();
  });

  for (const gzip of [false, true]) {
    it(`an ingest answers 400 with the line${gzip ? ' (gzip body)' : ''} and stores nothing`, async () => {
      const slug = gzip ? 'refused-gzip' : 'refused-plain';
      await createDataset(server, slug);
      const raw = bigBodyBrokenAtLine2('{"prompt": "ok"}', (i) =>
        JSON.stringify({ prompt: `prompt ${i}`, response: randomBytes(64).toString('hex') }),
      );
      const body = gzip ? gzipSync(raw, { level: 1 }) : raw;
      assert.ok(body.length > 1_000_000, `body is ${body.length} bytes`);
      const answer = await post(server, `/v1/datasets/${slug}/versions`, body, {
        'content-type': 'application/x-ndjson',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      });
      assert.equal(answer.status, 400);
      assert.equal(answer.body.errors[0].extensions.code, 'BAD_USER_INPUT');
      assert.equal(answer.body.errors[0].extensions.line, 2);
      assert.match(answer.body.errors[0].message, /^line 2 \(byte 17\): malformed JSON/);
      const data = await server.ok('query($s: String!) { dataset(slug: $s) { latestVersion { id } } }', {
        s: slug,
      });
      assert.equal(data.dataset.latestVersion, null);
    });
  }

  it('a score push answers 400 with the line and stores nothing', async () => {
    await createDataset(server, 'refused-scores');
    const { version } = await createVersion(server, 'refused-scores', [{ prompt: 'a', response: 'b' }]);
    const body = bigBodyBrokenAtLine2('{"ordinal": 0, "value": 1}', () => '{"ordinal": 0, "value": 2}');
    const answer = await post(server, `/v1/versions/${version.id}/scores?scorer=big`, body, {
      'content-type': 'application/x-ndjson',
    });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.errors[0].extensions.code, 'BAD_USER_INPUT');
    assert.match(answer.body.errors[0].message, /^line 2: .*nothing was stored/);
    const data = await server.ok(
      'query($id: ID!) { version(id: $id) { metrics(keys: ["external:big"]) { id } } }',
      { id: version.id },
    );
    assert.deepEqual(data.version.metrics, []);
  });
});
