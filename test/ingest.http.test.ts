/**
 * POST /v1/datasets/{slug}/versions and GET /v1/versions/{id}/samples.jsonl end to end over HTTP.
 * Expected samples, sample hashes and version hashes are worked out here, independently of src/.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { createApiKey } from '../src/auth/apiKeys.js';
import { rowsOf } from '../src/db/sqlHelpers.js';
import { createDataset } from './helpers/fixtures.js';
import { testBackend } from './helpers/testDatabase.js';
import {
  startTestServer,
  type Edge,
  type ErrorBody,
  type ResponseJson,
  type TestServer,
} from './helpers/testServer.js';
import { postIngest, type HttpAnswer } from './helpers/ingestHttp.js';

// ---------------------------------------------------------------------------------------------
// Expected values, computed by hand
// ---------------------------------------------------------------------------------------------

interface Expected {
  prompt: string | null;
  response: string | null;
  reference: string | null;
  messages: Record<string, unknown>[] | null;
  metadata: Record<string, unknown> | null;
}

function sample(fields: Partial<Expected>): Expected {
  return {
    prompt: fields.prompt ?? null,
    response: fields.response ?? null,
    reference: fields.reference ?? null,
    messages: fields.messages ?? null,
    metadata: fields.metadata ?? null,
  };
}

/** Keys sorted at every depth, no whitespace. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');
const sampleHash = (s: Expected) => sha256(canonical(s));
const versionHash = (samples: Expected[]) => sha256(samples.map((s) => `${sampleHash(s)}\n`).join(''));
const byteSize = (samples: Expected[]) => samples.reduce((n, s) => n + Buffer.byteLength(canonical(s)), 0);
const jsonl = (records: unknown[]) => records.map((r) => `${JSON.stringify(r)}\n`).join('');

/** Byte offset of each line's first byte. */
function lineOffsets(lines: (string | Buffer)[]): number[] {
  const offsets: number[] = [];
  let at = 0;
  for (const line of lines) {
    offsets.push(at);
    at += (typeof line === 'string' ? Buffer.byteLength(line) : line.length) + 1;
  }
  return offsets;
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers
// ---------------------------------------------------------------------------------------------

const post = postIngest;

/** GET through node:http, so nothing decompresses behind our back. */
function rawGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function expectError(answer: HttpAnswer, status: number, code: string, message?: RegExp) {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.ok(
    Array.isArray(answer.body.errors) && answer.body.errors.length === 1,
    JSON.stringify(answer.body),
  );
  const [error] = answer.body.errors;
  assert.equal(error.extensions?.code, code, error.message);
  if (message) assert.match(error.message, message);
  return error as { message: string; extensions: Record<string, unknown> };
}

const SAMPLES_QUERY = `query($slug: String!, $n: Int!) { dataset(slug: $slug) { version(number: $n) {
  id version contentHash sampleCount byteSize status
  samples(first: 100) { edges { node { ordinal prompt response reference messages { role content } metadata contentHash } } } } } }`;

async function readVersion(server: TestServer, slug: string, number: number) {
  const data = await server.ok(SAMPLES_QUERY, { slug, n: number });
  assert.ok(data.dataset?.version, `dataset ${slug} has a version ${number}`);
  return data.dataset.version;
}

/** Compares the stored samples of a version with the expected ones, field by field and by hash. */
async function assertVersionHolds(server: TestServer, slug: string, number: number, expected: Expected[]) {
  const version = await readVersion(server, slug, number);
  const nodes = version.samples.edges.map((e: Edge<ResponseJson>) => e.node);
  assert.equal(version.sampleCount, expected.length);
  assert.equal(nodes.length, Math.min(expected.length, 100));
  nodes.forEach((node: ResponseJson, i: number) => {
    const want = expected[i]!;
    assert.equal(node.ordinal, i);
    assert.deepEqual(
      {
        prompt: node.prompt,
        response: node.response,
        reference: node.reference,
        messages: node.messages,
        metadata: node.metadata,
      },
      {
        ...want,
        // GraphQL's ChatMessage shows role and content only; other message keys are covered by the hash.
        messages: want.messages?.map((m) => ({ role: m.role, content: m.content })) ?? null,
      },
      `sample ${i}`,
    );
    assert.equal(node.contentHash, sampleHash(want), `hash of sample ${i}`);
  });
  assert.equal(version.contentHash, versionHash(expected));
  assert.equal(version.byteSize, byteSize(expected));
  assert.equal(version.status, 'READY');
  return version;
}

async function versionNumbers(server: TestServer, slug: string, key?: string): Promise<number[]> {
  const data = await server.ok(
    `query($slug: String!) { dataset(slug: $slug) { versions(first: 100) { edges { node { version } } } } }`,
    { slug },
    { key },
  );
  return data.dataset.versions.edges
    .map((e: Edge<{ version: number }>) => e.node.version)
    .sort((a: number, b: number) => a - b);
}

async function count(server: TestServer, table: 'samples' | 'dataset_versions' | 'staging'): Promise<number> {
  const query =
    table === 'samples'
      ? sql`select count(*)::int as n from samples`
      : table === 'dataset_versions'
        ? sql`select count(*)::int as n from dataset_versions`
        : sql`select count(*)::int as n from dataset_versions where status = 'STAGING'`;
  return Number(rowsOf<{ n: number }>(await server.database.db.execute(query))[0]!.n);
}

/** Runs `attempt` and checks that it left the dataset's versions and all sample rows as they were. */
async function writesNothing<T>(
  server: TestServer,
  slug: string,
  attempt: () => Promise<T>,
  key?: string,
): Promise<T> {
  const versionsBefore = await versionNumbers(server, slug, key);
  const rowsBefore = await count(server, 'samples');
  const versionRowsBefore = await count(server, 'dataset_versions');
  const result = await attempt();
  assert.deepEqual(await versionNumbers(server, slug, key), versionsBefore, 'no new version');
  assert.equal(await count(server, 'samples'), rowsBefore, 'no sample rows left behind');
  assert.equal(await count(server, 'dataset_versions'), versionRowsBefore, 'no version rows left behind');
  assert.equal(await count(server, 'staging'), 0, 'no STAGING placeholder left behind');
  return result;
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe(`bulk ingest over HTTP (${testBackend})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  describe('each format end to end', () => {
    const cases: {
      name: string;
      format: string;
      query?: Record<string, string>;
      records: unknown[];
      expected: Expected[];
      container?: 'json-array';
    }[] = [
      {
        name: 'prompt_response (catalog shape, extra keys into metadata, merged with metadata)',
        format: 'prompt_response',
        records: [
          {
            prompt: 'What is 2+2?',
            response: '4',
            reference: '4',
            messages: null,
            metadata: { source: 'arith' },
          },
          { prompt: 'Name a colour', response: 'blue', id: 7, tags: ['x', 'y'] },
          {
            prompt: 'Tab\there, newline\nthere, back\\slash, é, 😀',
            metadata: { a: { z: 1, b: [2, { d: 1, c: 0 }] } },
            lang: 'en',
          },
          { prompt: 'empty strings become null', response: '', reference: '' },
        ],
        expected: [
          sample({ prompt: 'What is 2+2?', response: '4', reference: '4', metadata: { source: 'arith' } }),
          sample({ prompt: 'Name a colour', response: 'blue', metadata: { id: 7, tags: ['x', 'y'] } }),
          sample({
            prompt: 'Tab\there, newline\nthere, back\\slash, é, 😀',
            metadata: { a: { z: 1, b: [2, { d: 1, c: 0 }] }, lang: 'en' },
          }),
          sample({ prompt: 'empty strings become null' }),
        ],
      },
      {
        name: 'prompt_completion',
        format: 'prompt_completion',
        records: [
          { prompt: 'Translate to French: cheese', completion: 'fromage', id: 17 },
          {
            prompt: 'Translate to French: bread',
            completion: 'pain',
            reference: 'pain',
            metadata: { split: 'train' },
            id: 18,
          },
        ],
        expected: [
          sample({ prompt: 'Translate to French: cheese', response: 'fromage', metadata: { id: 17 } }),
          sample({
            prompt: 'Translate to French: bread',
            response: 'pain',
            reference: 'pain',
            metadata: { split: 'train', id: 18 },
          }),
        ],
      },
      {
        name: 'alpaca (sent as a JSON array)',
        format: 'alpaca',
        container: 'json-array',
        records: [
          {
            instruction: 'Summarize the text.',
            input: 'The quick brown fox jumps over the lazy dog.',
            output: 'A fox jumps over a dog.',
          },
          {
            instruction: 'Give three tips for staying healthy.',
            input: '',
            output: 'Eat, sleep, move.',
            category: 'health',
          },
          { instruction: 'Say hi.', input: '   ', output: 'hi' },
        ],
        expected: [
          sample({
            prompt: 'Summarize the text.\n\nThe quick brown fox jumps over the lazy dog.',
            response: 'A fox jumps over a dog.',
          }),
          sample({
            prompt: 'Give three tips for staying healthy.',
            response: 'Eat, sleep, move.',
            metadata: { category: 'health' },
          }),
          sample({ prompt: 'Say hi.', response: 'hi' }),
        ],
      },
      {
        name: 'question_answer (GSM8K, reference after the last ####)',
        format: 'question_answer',
        records: [
          {
            question:
              'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?',
            answer:
              'Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72',
          },
          { question: 'Odd marks?', answer: 'step #### not this\n####  1,000 ', source: 'gsm8k' },
          { question: 'No mark?', answer: '  just 5  ' },
        ],
        expected: [
          sample({
            prompt:
              'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?',
            response:
              'Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72',
            reference: '72',
          }),
          sample({
            prompt: 'Odd marks?',
            response: 'step #### not this\n####  1,000 ',
            reference: '1,000',
            metadata: { source: 'gsm8k' },
          }),
          sample({ prompt: 'No mark?', response: '  just 5  ', reference: 'just 5' }),
        ],
      },
      {
        name: 'openai messages (prompt/response derived, extra message keys kept, extra keys into metadata)',
        format: 'openai',
        records: [
          {
            messages: [
              { role: 'system', content: 'You are terse.' },
              { role: 'user', content: 'Capital of France?', name: 'alice' },
              { role: 'assistant', content: 'Paris.' },
            ],
            tools: [{ type: 'function', function: { name: 'lookup' } }],
          },
          {
            messages: [
              { role: 'user', content: 'first' },
              { role: 'assistant', content: 'one' },
              { role: 'user', content: 'second' },
            ],
          },
        ],
        expected: [
          sample({
            prompt: 'Capital of France?',
            response: 'Paris.',
            messages: [
              { role: 'system', content: 'You are terse.' },
              { role: 'user', content: 'Capital of France?', name: 'alice' },
              { role: 'assistant', content: 'Paris.' },
            ],
            metadata: { tools: [{ type: 'function', function: { name: 'lookup' } }] },
          }),
          sample({
            prompt: 'second',
            messages: [
              { role: 'user', content: 'first' },
              { role: 'assistant', content: 'one' },
              { role: 'user', content: 'second' },
            ],
          }),
        ],
      },
      {
        name: 'sharegpt conversations (roles renamed, system turn prepended)',
        format: 'sharegpt',
        records: [
          {
            id: 'conv-1',
            system: 'You are terse.',
            conversations: [
              { from: 'human', value: 'Capital of France?' },
              { from: 'gpt', value: 'Paris.' },
            ],
          },
          {
            conversations: [
              { from: 'human', value: 'hi' },
              { from: 'bing', value: 'hello', weight: 0 },
            ],
          },
        ],
        expected: [
          sample({
            prompt: 'Capital of France?',
            response: 'Paris.',
            messages: [
              { role: 'system', content: 'You are terse.' },
              { role: 'user', content: 'Capital of France?' },
              { role: 'assistant', content: 'Paris.' },
            ],
            metadata: { id: 'conv-1' },
          }),
          sample({
            prompt: 'hi',
            messages: [
              { role: 'user', content: 'hi' },
              { role: 'bing', content: 'hello', weight: 0 },
            ],
          }),
        ],
      },
      {
        name: 'explicit mapping (map=prompt=q.text,response=a)',
        format: 'mapping',
        query: { map: 'prompt=q.text,response=a' },
        records: [
          { q: { text: 'Capital of France?', lang: 'en' }, a: 'Paris', src: 'wiki' },
          { q: { text: 'Capital of Peru?' }, other: { nested: [1, 2] } },
        ],
        expected: [
          sample({ prompt: 'Capital of France?', response: 'Paris', metadata: { src: 'wiki' } }),
          sample({ prompt: 'Capital of Peru?', metadata: { other: { nested: [1, 2] } } }),
        ],
      },
    ];

    for (const c of cases) {
      it(c.name, async () => {
        const slug = `fmt-${c.format.replaceAll('_', '-')}`;
        await createDataset(server, slug);
        const body = c.container === 'json-array' ? JSON.stringify(c.records, null, 2) : jsonl(c.records);
        const answer = await post(server, slug, body, {
          query: c.query,
          type: c.container === 'json-array' ? 'application/json' : 'application/x-ndjson',
        });
        assert.equal(answer.status, 201, JSON.stringify(answer.body));
        const r = answer.body;
        assert.equal(r.created, true);
        assert.equal(r.format, c.format);
        assert.equal(r.container, c.container ?? 'jsonl');
        assert.equal(r.records, c.records.length);
        assert.equal(r.ingested, c.records.length);
        assert.equal(r.rejected, 0);
        assert.deepEqual(r.rejections, []);
        assert.equal(r.duplicateSamples, 0);
        assert.deepEqual(r.duplicates, []);
        assert.equal(r.inputBytes, Buffer.byteLength(body));
        assert.equal(r.version.dataset, slug);
        assert.equal(r.version.version, 1);
        assert.equal(r.version.sampleCount, c.expected.length);
        assert.equal(r.version.contentHash, versionHash(c.expected));
        assert.equal(r.version.byteSize, byteSize(c.expected));
        assert.ok(!Number.isNaN(Date.parse(r.version.createdAt)));
        const stored = await assertVersionHolds(server, slug, 1, c.expected);
        assert.equal(stored.id, r.version.id);
      });
    }
  });

  describe('bad input under onError=fail: 400 naming the line, and nothing written', () => {
    const slug = 'bad-input';
    before(async () => {
      await createDataset(server, slug);
      const first = await post(server, slug, jsonl([{ prompt: 'kept' }]));
      assert.equal(first.status, 201);
    });

    it('malformed JSON line (blank lines still count)', async () => {
      const lines = ['{"prompt":"a"}', '', '{"prompt":"b"}', '{"prompt": "x"', '{"prompt":"c"}'];
      const answer = await writesNothing(server, slug, () => post(server, slug, `${lines.join('\n')}\n`));
      const error = expectError(answer, 400, 'BAD_USER_INPUT', /line 4\b/);
      assert.match(error.message, /malformed JSON/);
      assert.equal(error.extensions.line, 4);
      assert.equal(error.extensions.offset, lineOffsets(lines)[3]);
      assert.match(String(error.extensions.reason), /^malformed JSON: /);
    });

    it('line over the size limit (maxRecordBytes 256), while a line of exactly 256 bytes is fine', async () => {
      const small = await startTestServer({ maxRecordBytes: 256 });
      try {
        await createDataset(small, 'limits');
        const exact = `{"prompt":"${'x'.repeat(256 - 13)}"}`;
        const over = `{"prompt":"${'y'.repeat(300)}"}`;
        assert.equal(Buffer.byteLength(exact), 256);
        const fits = await post(small, 'limits', `${exact}\r\n`);
        assert.equal(fits.status, 201, JSON.stringify(fits.body));
        assert.equal(fits.body.version.contentHash, versionHash([sample({ prompt: 'x'.repeat(243) })]));

        const lines = ['{"prompt":"short"}', over, '{"prompt":"after"}'];
        const answer = await writesNothing(small, 'limits', () =>
          post(small, 'limits', `${lines.join('\n')}\n`),
        );
        const error = expectError(answer, 400, 'BAD_USER_INPUT', /line 2\b/);
        assert.match(error.message, /longer than the limit of 256 bytes/);
        assert.equal(error.extensions.line, 2);
        assert.equal(error.extensions.offset, lineOffsets(lines)[1]);

        const justOver = `{"prompt":"${'x'.repeat(244)}"}`;
        const answer2 = await writesNothing(small, 'limits', () =>
          post(small, 'limits', `{"prompt":"a"}\n${justOver}`),
        );
        expectError(answer2, 400, 'BAD_USER_INPUT', /line 2\b.*longer than the limit of 256 bytes/);
      } finally {
        await small.stop();
      }
    });

    it('invalid UTF-8 inside a string', async () => {
      const bad = Buffer.concat([Buffer.from('{"prompt":"a'), Buffer.from([0xff]), Buffer.from('b"}')]);
      const lines = [Buffer.from('{"prompt":"fine"}'), Buffer.from('{"prompt":"also fine"}'), bad];
      const body = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
      const answer = await writesNothing(server, slug, () => post(server, slug, body));
      const error = expectError(answer, 400, 'BAD_USER_INPUT', /line 3\b/);
      assert.match(error.message, /invalid UTF-8/);
      assert.equal(error.extensions.offset, lineOffsets(lines)[2]);
    });

    it('a sample with no usable text', async () => {
      const empty = await writesNothing(server, slug, () =>
        post(server, slug, '{"prompt":"ok"}\n{"prompt": ""}\n', { query: { format: 'prompt_response' } }),
      );
      expectError(empty, 400, 'BAD_USER_INPUT', /line 2\b.*needs a non-empty prompt or non-empty messages/);
      const noPrompt = await writesNothing(server, slug, () =>
        post(server, slug, '{"response":"x"}\n', { query: { format: 'prompt_response' } }),
      );
      const error = expectError(
        noPrompt,
        400,
        'BAD_USER_INPUT',
        /line 1\b.*needs a non-empty prompt or non-empty messages/,
      );
      assert.equal(error.extensions.line, 1);
      assert.equal(error.extensions.offset, 0);
      const undetectable = await writesNothing(server, slug, () => post(server, slug, '{"response":"x"}\n'));
      expectError(undetectable, 400, 'BAD_USER_INPUT', /line 1\b.*cannot tell the sample format/);
    });

    it('a JSON array that ends early names the byte offset and line', async () => {
      const body = '[\n{"prompt":"a"},\n{"prompt":"b"';
      const answer = await writesNothing(server, slug, () =>
        post(server, slug, body, { type: 'application/json' }),
      );
      const error = expectError(answer, 400, 'BAD_USER_INPUT', /line 3\b/);
      assert.match(error.message, /ends early at byte 31 \(line 3\)/);
      assert.match(error.message, /element starting at byte 18 \(line 3\) is cut off/);
      assert.equal(error.extensions.offset, 31);
    });

    it('an empty or blank body', async () => {
      for (const body of ['', '\n  \n\t\n']) {
        const answer = await writesNothing(server, slug, () => post(server, slug, body));
        expectError(answer, 400, 'BAD_USER_INPUT', /input is empty/);
      }
      const emptyArray = await writesNothing(server, slug, () =>
        post(server, slug, '[ ]', { type: 'application/json' }),
      );
      expectError(emptyArray, 400, 'BAD_USER_INPUT', /empty|no (valid )?samples/);
    });

    it('the version before the failures is intact', async () => {
      assert.deepEqual(await versionNumbers(server, slug), [1]);
      await assertVersionHolds(server, slug, 1, [sample({ prompt: 'kept' })]);
    });
  });

  it('onError=skip ingests the good records and lists each rejection with line, offset and reason', async () => {
    const slug = 'skip';
    await createDataset(server, slug);
    const lines: Buffer[] = [
      '{"prompt":"good one","response":"r1"}',
      '{"prompt": "x"',
      '',
      null,
      '{"prompt":""}',
      '{"response":"only"}',
      '[1,2]',
      '{"prompt":"good two","extra":1}',
      '"just a string"',
      '{"prompt":"good three","response":null}',
    ].map((l) =>
      l === null
        ? Buffer.concat([Buffer.from('{"prompt":"a'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])
        : Buffer.from(l),
    );
    const body = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
    const offsets = lineOffsets(lines);

    const failed = await writesNothing(server, slug, () => post(server, slug, body));
    expectError(failed, 400, 'BAD_USER_INPUT', /line 2\b.*malformed JSON/);

    const answer = await post(server, slug, body, { query: { onError: 'skip' } });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    const r = answer.body;
    assert.equal(r.format, 'prompt_response');
    assert.equal(r.records, 9);
    assert.equal(r.ingested, 3);
    assert.equal(r.rejected, 6);
    assert.equal(r.inputBytes, body.length);
    const notEmpty = 'a sample needs a non-empty prompt or non-empty messages';
    assert.deepEqual(
      r.rejections.map((x: { line: number; reason: string }) => ({
        ...x,
        reason: x.line === 2 ? x.reason.replace(/^(malformed JSON: ).*/, '$1...') : x.reason,
      })),
      [
        { line: 2, offset: offsets[1], reason: 'malformed JSON: ...' },
        { line: 4, offset: offsets[3], reason: 'invalid UTF-8' },
        { line: 5, offset: offsets[4], reason: notEmpty },
        { line: 6, offset: offsets[5], reason: notEmpty },
        { line: 7, offset: offsets[6], reason: 'record is not a JSON object (got array)' },
        { line: 9, offset: offsets[8], reason: 'record is not a JSON object (got string)' },
      ],
    );
    const expected = [
      sample({ prompt: 'good one', response: 'r1' }),
      sample({ prompt: 'good two', metadata: { extra: 1 } }),
      sample({ prompt: 'good three' }),
    ];
    assert.equal(r.version.contentHash, versionHash(expected));
    await assertVersionHolds(server, slug, 1, expected);

    // Every record rejected: an error even under skip, and nothing written.
    const none = await writesNothing(server, slug, () =>
      post(server, slug, '{"prompt":""}\n[1]\n', { query: { onError: 'skip', format: 'prompt_response' } }),
    );
    expectError(
      none,
      400,
      'BAD_USER_INPUT',
      /no valid samples: all 2 records were rejected \(first: line 1: /,
    );
  });

  it('refuses a bad request before reading it: content type 415, unknown dataset 404, encoding 415, corrupt gzip 400, bad onError 400', async () => {
    const slug = 'http-errors';
    await createDataset(server, slug);
    const body = jsonl([{ prompt: 'p' }]);
    await writesNothing(server, slug, async () => {
      // Names an object's own prototype members: a type table lookup must not find them.
      for (const type of [
        'text/plain',
        'application/xml',
        'multipart/form-data; boundary=x',
        'constructor',
        '__proto__',
        'tostring',
      ]) {
        expectError(
          await post(server, slug, body, { type }),
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          /cannot be ingested/,
        );
      }
      const missing = expectError(
        await post(server, 'no-such-dataset', body),
        404,
        'NOT_FOUND',
        /no-such-dataset/,
      );
      assert.ok(missing.message.length > 0);
      for (const encoding of ['br', 'deflate', 'compress']) {
        expectError(
          await post(server, slug, body, { encoding }),
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          new RegExp(`"${encoding}"`),
        );
      }
      const gz = gzipSync(
        Buffer.from(jsonl(Array.from({ length: 200 }, (_, i) => ({ prompt: `row ${i}` })))),
      );
      const corrupt = Buffer.from(gz);
      corrupt.fill(0x55, 20, 60);
      expectError(
        await post(server, slug, corrupt, { encoding: 'gzip' }),
        400,
        'BAD_REQUEST',
        /not valid gzip/,
      );
      expectError(
        await post(server, slug, Buffer.from('not gzip at all'), { encoding: 'gzip' }),
        400,
        'BAD_REQUEST',
        /not valid gzip/,
      );
      expectError(
        await post(server, slug, gz.subarray(0, gz.length - 30), { encoding: 'gzip' }),
        400,
        'BAD_REQUEST',
        /not valid gzip/,
      );
      expectError(
        await post(server, slug, body, { query: { onError: 'ignore' } }),
        400,
        'BAD_USER_INPUT',
        /onError/,
      );
      expectError(
        await post(server, slug, body, { query: { format: 'csv' } }),
        400,
        'BAD_USER_INPUT',
        /unknown format "csv"/,
      );
      expectError(
        await post(server, slug, body, { query: { map: 'prompt' } }),
        400,
        'BAD_USER_INPUT',
        /missing '='/,
      );
    });
    const wrongMethod = await fetch(`${server.url}/v1/datasets/${slug}/versions`);
    assert.equal(wrongMethod.status, 405);
  });

  it('accepts a gzip body with the same content hash as the plain body', async () => {
    const slug = 'gzip';
    await createDataset(server, slug);
    const records = Array.from({ length: 500 }, (_, i) => ({
      prompt: `question ${i}`,
      response: `answer ${i * 7}`,
      n: i,
    }));
    const expected = records.map((r) =>
      sample({ prompt: r.prompt, response: r.response, metadata: { n: r.n } }),
    );
    const plain = Buffer.from(jsonl(records));
    const gz = await post(server, slug, gzipSync(plain), { encoding: 'gzip' });
    assert.equal(gz.status, 201, JSON.stringify(gz.body));
    assert.equal(gz.body.inputBytes, plain.length, 'inputBytes counts decompressed bytes');
    assert.equal(gz.body.version.contentHash, versionHash(expected));
    assert.equal(gz.body.version.sampleCount, 500);
    const rows = await count(server, 'samples');
    const again = await post(server, slug, plain, { encoding: 'identity' });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.created, false);
    assert.equal(again.body.version.id, gz.body.version.id);
    assert.equal(again.body.version.contentHash, gz.body.version.contentHash);
    assert.equal(await count(server, 'samples'), rows);
    await assertVersionHolds(server, slug, 1, expected);
  });

  it('re-ingesting byte-identical content answers 200 with the same version, and reports exact duplicate samples', async () => {
    const slug = 'idempotent';
    await createDataset(server, slug);
    const a = { prompt: 'A', response: 'a', metadata: { x: 1, y: [1, 2] } };
    const aReordered = { metadata: { y: [1, 2], x: 1 }, response: 'a', prompt: 'A' };
    const b = { prompt: 'B' };
    const c = { prompt: 'C', response: 'c' };
    const body = jsonl([a, b, aReordered, c, b, a]);
    const expected = [
      sample({ prompt: 'A', response: 'a', metadata: { x: 1, y: [1, 2] } }),
      sample({ prompt: 'B' }),
      sample({ prompt: 'A', response: 'a', metadata: { x: 1, y: [1, 2] } }),
      sample({ prompt: 'C', response: 'c' }),
      sample({ prompt: 'B' }),
      sample({ prompt: 'A', response: 'a', metadata: { x: 1, y: [1, 2] } }),
    ];
    const first = await post(server, slug, body);
    assert.equal(first.status, 201);
    assert.equal(first.body.created, true);
    assert.equal(first.body.duplicateSamples, 3);
    assert.deepEqual(first.body.duplicates, [
      { ordinal: 2, duplicateOf: 0 },
      { ordinal: 4, duplicateOf: 1 },
      { ordinal: 5, duplicateOf: 0 },
    ]);
    assert.equal(first.body.version.sampleCount, 6, 'duplicates are kept');
    assert.equal(first.body.version.contentHash, versionHash(expected));

    const second = await writesNothing(server, slug, () => post(server, slug, body));
    assert.equal(second.status, 200);
    assert.equal(second.body.created, false);
    assert.equal(second.body.version.id, first.body.version.id);
    assert.equal(second.body.version.version, 1);
    assert.equal(second.body.version.createdAt, first.body.version.createdAt);
    assert.equal(second.body.duplicateSamples, 3);

    // Same samples in another container and byte layout: still the same content.
    const asArray = await writesNothing(server, slug, () =>
      post(server, slug, JSON.stringify([a, b, aReordered, c, b, a]), { type: 'application/json' }),
    );
    assert.equal(asArray.status, 200);
    assert.equal(asArray.body.version.id, first.body.version.id);

    // Another order is other content: a new version.
    const reordered = await post(server, slug, jsonl([b, a, aReordered, c, b, a]));
    assert.equal(reordered.status, 201);
    assert.equal(reordered.body.version.version, 2);
    await assertVersionHolds(server, slug, 1, expected);
  });

  it('serves concurrent ingests into one dataset as distinct, gap-free versions', async () => {
    const slug = 'concurrent';
    await createDataset(server, slug);
    const rows = 3000;
    const files = [1, 2, 3, 4].map((f) => {
      const records = Array.from({ length: rows + f }, (_, i) => ({
        prompt: `file ${f} row ${i}`,
        response: String(i * f),
        k: i % 7,
      }));
      return {
        body: jsonl(records),
        expected: records.map((r) =>
          sample({ prompt: r.prompt, response: r.response, metadata: { k: r.k } }),
        ),
      };
    });
    const rowsBefore = await count(server, 'samples');
    const answers = await Promise.all(files.map((f) => post(server, slug, f.body)));
    answers.forEach((a, i) => {
      assert.equal(a.status, 201, JSON.stringify(a.body));
      assert.equal(a.body.version.sampleCount, rows + i + 1);
      assert.equal(a.body.version.contentHash, versionHash(files[i]!.expected));
    });
    assert.deepEqual(
      answers.map((a) => a.body.version.version).sort((x, y) => x - y),
      [1, 2, 3, 4],
    );
    assert.deepEqual(await versionNumbers(server, slug), [1, 2, 3, 4]);
    assert.equal(await count(server, 'samples'), rowsBefore + 4 * rows + 10);
    for (const [i, a] of answers.entries()) {
      const v = await readVersion(server, slug, a.body.version.version);
      assert.equal(v.id, a.body.version.id);
      assert.equal(v.sampleCount, rows + i + 1);
      assert.equal(v.contentHash, versionHash(files[i]!.expected));
      assert.equal(v.samples.edges[0].node.prompt, `file ${i + 1} row 0`);
    }
    assert.equal(await count(server, 'staging'), 0);
  });

  it('concurrent uploads of identical content give one version; the others answer 200 with it', async () => {
    const slug = 'concurrent-same';
    await createDataset(server, slug);
    const records = Array.from({ length: 2000 }, (_, i) => ({ prompt: `same ${i}` }));
    const expected = records.map((r) => sample(r));
    const body = jsonl(records);
    const answers = await Promise.all([1, 2, 3].map(() => post(server, slug, body)));
    assert.deepEqual(
      answers.map((a) => a.status).sort(),
      [200, 200, 201],
      JSON.stringify(answers.map((a) => a.body)),
    );
    assert.deepEqual(answers.map((a) => a.body.created).sort(), [false, false, true]);
    assert.equal(new Set(answers.map((a) => a.body.version.id)).size, 1);
    assert.ok(
      answers.every(
        (a) => a.body.version.contentHash === versionHash(expected) && a.body.version.version === 1,
      ),
    );
    assert.deepEqual(await versionNumbers(server, slug), [1]);
    const rows = rowsOf<{ n: number }>(
      await server.database.db.execute(
        sql`select count(*)::int as n from samples s join dataset_versions v on v.id = s.version_id join datasets d on d.id = v.dataset_id where d.slug = ${slug}`,
      ),
    );
    assert.equal(Number(rows[0]!.n), 2000, 'the losing uploads left no rows');
    assert.equal(await count(server, 'staging'), 0);
  });

  it('counts a leading UTF-8 byte order mark in offsets but not in the content', async () => {
    const slug = 'bom';
    await createDataset(server, slug);
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const lines = ['{"prompt":"first"}', '{"prompt":"second"'];
    const failed = await writesNothing(server, slug, () =>
      post(server, slug, Buffer.concat([bom, Buffer.from(lines.join('\n'))])),
    );
    const error = expectError(failed, 400, 'BAD_USER_INPUT', /line 2\b/);
    assert.equal(error.extensions.offset, 3 + lineOffsets(lines)[1]!);
    const ok = await post(
      server,
      slug,
      Buffer.concat([bom, Buffer.from('{"prompt":"first"}\r\n{"prompt":"second"}')]),
    );
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(
      ok.body.version.contentHash,
      versionHash([sample({ prompt: 'first' }), sample({ prompt: 'second' })]),
    );
    const asArray = await post(
      server,
      slug,
      Buffer.concat([bom, Buffer.from(' [{"prompt":"first"},{"prompt":"second"}] ')]),
      {
        type: 'application/json',
      },
    );
    assert.equal(asArray.status, 200, JSON.stringify(asArray.body));
    assert.equal(asArray.body.container, 'json-array');
    assert.equal(asArray.body.version.id, ok.body.version.id);
  });

  it('round-trips: ingest, export (plain and gzip), re-ingest gives the same version; another dataset gets the same hash', async () => {
    const slug = 'round-trip';
    await createDataset(server, slug);
    const records = [
      {
        prompt: 'Tabs\tand\nnewlines\r\nand \\ backslashes \\N',
        response: 'ok',
        reference: 'r',
        metadata: { deep: { list: [1, 'two', null, true] } },
      },
      {
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'Name a prime.', name: 'u1' },
          { role: 'assistant', content: '7' },
        ],
        tools: ['calc'],
      },
      { prompt: 'unicode: 你好 \u2028 😀 é', response: null },
      { prompt: 'same', response: 'dup' },
      { prompt: 'same', response: 'dup' },
    ];
    const expected = [
      sample({
        prompt: records[0]!.prompt as string,
        response: 'ok',
        reference: 'r',
        metadata: { deep: { list: [1, 'two', null, true] } },
      }),
      sample({
        prompt: 'Name a prime.',
        response: '7',
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'Name a prime.', name: 'u1' },
          { role: 'assistant', content: '7' },
        ],
        metadata: { tools: ['calc'] },
      }),
      sample({ prompt: 'unicode: 你好 \u2028 😀 é' }),
      sample({ prompt: 'same', response: 'dup' }),
      sample({ prompt: 'same', response: 'dup' }),
    ];
    // Mixed shapes: name the format explicitly (openai needs messages; prompt_response takes both).
    const ingested = await post(server, slug, jsonl(records), { query: { format: 'prompt_response' } });
    assert.equal(ingested.status, 201, JSON.stringify(ingested.body));
    assert.equal(ingested.body.version.contentHash, versionHash(expected));
    await assertVersionHolds(server, slug, 1, expected);
    const id = ingested.body.version.id as string;

    const plain = await rawGet(`${server.url}/v1/versions/${encodeURIComponent(id)}/samples.jsonl`);
    assert.equal(plain.status, 200);
    assert.match(String(plain.headers['content-type']), /^application\/x-ndjson/);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.headers['x-qdc-content-hash'], versionHash(expected));
    assert.equal(plain.headers['x-qdc-sample-count'], '5');
    const text = plain.body.toString('utf8');
    assert.ok(text.endsWith('\n'));
    assert.deepEqual(
      text
        .slice(0, -1)
        .split('\n')
        .map((l) => JSON.parse(l)),
      expected,
    );

    const gz = await rawGet(`${server.url}/v1/versions/${encodeURIComponent(id)}/samples.jsonl`, {
      'accept-encoding': 'gzip, deflate',
    });
    assert.equal(gz.status, 200);
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gz.headers['x-qdc-content-hash'], versionHash(expected));
    assert.deepEqual(gunzipSync(gz.body), plain.body);

    const reIngested = await writesNothing(server, slug, () => post(server, slug, plain.body));
    assert.equal(reIngested.status, 200, JSON.stringify(reIngested.body));
    assert.equal(reIngested.body.created, false);
    assert.equal(reIngested.body.version.id, id);
    assert.equal(reIngested.body.version.contentHash, versionHash(expected));
    assert.equal(reIngested.body.format, 'prompt_response', 'an export is detected as prompt_response');

    await createDataset(server, 'round-trip-copy');
    const copied = await post(server, 'round-trip-copy', gz.body, { encoding: 'gzip' });
    assert.equal(copied.status, 201, JSON.stringify(copied.body));
    assert.equal(copied.body.created, true);
    assert.equal(copied.body.version.version, 1);
    assert.notEqual(copied.body.version.id, id);
    assert.equal(copied.body.version.contentHash, versionHash(expected));
    await assertVersionHolds(server, 'round-trip-copy', 1, expected);

    const head = await fetch(`${server.url}/v1/versions/${encodeURIComponent(id)}/samples.jsonl`, {
      method: 'HEAD',
    });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('x-qdc-sample-count'), '5');
    const ghost = Buffer.from('DatasetVersion:987654').toString('base64url');
    const missing = await fetch(`${server.url}/v1/versions/${ghost}/samples.jsonl`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as ErrorBody).errors[0]!.extensions.code, 'NOT_FOUND');
  });

  it('rolls back an upload the client abandons midway, and the server goes on serving', async () => {
    const slug = 'abandoned';
    await createDataset(server, slug);
    const rowsBefore = await count(server, 'samples');
    const controller = new AbortController();
    let sent = 0;
    const chunk = Buffer.from(`{"prompt":"abandoned row","response":"${'q'.repeat(400)}"}\n`.repeat(128));
    async function* generate(): AsyncGenerator<Uint8Array> {
      while (!controller.signal.aborted) {
        sent += chunk.length;
        yield chunk;
        if (sent >= 12 * 1024 * 1024) controller.abort();
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    const url = `${server.url}/v1/datasets/${slug}/versions`;
    await assert.rejects(
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: generate(),
        duplex: 'half',
        signal: controller.signal,
      } as RequestInit),
    );
    // The next ingest into the same dataset is not blocked by the abandoned one and becomes version 1.
    const next = await post(server, slug, jsonl([{ prompt: 'after the abort' }]));
    assert.equal(next.status, 201, JSON.stringify(next.body));
    assert.equal(next.body.version.version, 1);
    assert.deepEqual(await versionNumbers(server, slug), [1]);
    assert.equal(await count(server, 'samples'), rowsBefore + 1, 'no rows of the abandoned upload');
    assert.equal(await count(server, 'staging'), 0);
  });

  it('exports without gzip when the client refuses it (Accept-Encoding q=0)', async () => {
    const slug = 'no-gzip';
    await createDataset(server, slug);
    const ingested = await post(server, slug, jsonl([{ prompt: 'plain please' }]));
    assert.equal(ingested.status, 201);
    const url = `${server.url}/v1/versions/${encodeURIComponent(ingested.body.version.id)}/samples.jsonl`;
    const line = `${JSON.stringify(sample({ prompt: 'plain please' }))}\n`;
    for (const acceptEncoding of ['identity', 'gzip;q=0, identity', 'br, gzip; q=0']) {
      const answer = await rawGet(url, { 'accept-encoding': acceptEncoding });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['content-encoding'], undefined, `Accept-Encoding: ${acceptEncoding}`);
      assert.equal(answer.body.toString('utf8'), line, `Accept-Encoding: ${acceptEncoding}`);
    }
  });

  it('streams a large body; a malformed line near the end fails the whole ingest with its line and leaves no rows', async () => {
    const slug = 'streamed';
    await createDataset(server, slug);
    const total = 50_000;
    const badLine = 49_990;
    const row = (i: number) => `{"prompt":"streamed row ${i}","response":"${'y'.repeat(60)}"}\n`;
    let badOffset = -1;
    async function* generate(withBadLine: boolean): AsyncGenerator<Uint8Array> {
      let chunk = '';
      let offset = 0;
      for (let line = 1; line <= total; line++) {
        let text = row(line);
        if (withBadLine && line === badLine) {
          badOffset = offset;
          text = `{"prompt":"streamed row ${line}",\n`;
        }
        chunk += text;
        offset += Buffer.byteLength(text);
        if (chunk.length >= 64 * 1024) {
          yield Buffer.from(chunk);
          chunk = '';
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      if (chunk) yield Buffer.from(chunk);
    }

    const failed = await writesNothing(server, slug, () => post(server, slug, generate(true)));
    const error = expectError(failed, 400, 'BAD_USER_INPUT', new RegExp(`line ${badLine}\\b`));
    assert.match(error.message, /malformed JSON/);
    assert.equal(error.extensions.line, badLine);
    assert.equal(error.extensions.offset, badOffset);

    const ok = await post(server, slug, generate(false));
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.records, total);
    assert.equal(ok.body.version.sampleCount, total);
    assert.equal(ok.body.version.version, 1);
    const expected = Array.from({ length: total }, (_, i) =>
      sample({ prompt: `streamed row ${i + 1}`, response: 'y'.repeat(60) }),
    );
    assert.equal(ok.body.version.contentHash, versionHash(expected));

    // The export pages through all 50k rows; re-ingested elsewhere it is the same content.
    const exported = await rawGet(
      `${server.url}/v1/versions/${encodeURIComponent(ok.body.version.id)}/samples.jsonl`,
      {
        'accept-encoding': 'gzip',
      },
    );
    assert.equal(exported.status, 200);
    assert.equal(exported.headers['content-encoding'], 'gzip');
    const lines = gunzipSync(exported.body).toString('utf8').split('\n');
    assert.equal(lines.length, total + 1);
    assert.deepEqual(JSON.parse(lines[total - 1]!), expected[total - 1]);
    await createDataset(server, 'streamed-copy');
    const copied = await post(server, 'streamed-copy', exported.body, { encoding: 'gzip' });
    assert.equal(copied.status, 201, JSON.stringify(copied.body));
    assert.equal(copied.body.version.contentHash, ok.body.version.contentHash);
  });

  it('answers an error early in a large streamed body without waiting for the rest of it', async () => {
    const slug = 'streamed-early';
    await createDataset(server, slug);
    const chunk = Buffer.from(`{"prompt":"padding row","r":"${'x'.repeat(1000)}"}\n`.repeat(64));
    const chunks = 2000; // about 130 MB
    let sent = 0;
    async function* generate(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('{"prompt":"a"}\n{"prompt": bad\n');
      for (let i = 0; i < chunks; i++) {
        sent += chunk.length;
        yield chunk;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    const answer = await writesNothing(server, slug, () => post(server, slug, generate()));
    expectError(answer, 400, 'BAD_USER_INPUT', /line 2 \(byte 15\): malformed JSON/);
    assert.ok(sent < (chunks * chunk.length) / 2, `the client had to send ${sent} bytes before the answer`);
  });
});

describe(`bulk routes with auth required (${testBackend})`, () => {
  let server: TestServer;
  const keys: Record<string, string> = {};
  before(async () => {
    server = await startTestServer({ auth: 'required' });
    for (const role of ['reader', 'writer'] as const)
      keys[role] = (await createApiKey(server.database.db, { role })).key;
    await server.ok(
      `mutation { createDataset(input: { slug: "secured", name: "Secured" }) { id } }`,
      {},
      { key: keys.writer },
    );
  });
  after(() => server.stop());

  it('needs a writer key to ingest and a reader key to export', async () => {
    const body = jsonl([{ prompt: 'guarded' }]);
    await writesNothing(
      server,
      'secured',
      async () => {
        expectError(await post(server, 'secured', body), 401, 'UNAUTHENTICATED', /Authorization: Bearer/);
        expectError(
          await post(server, 'secured', body, { key: 'qdc_0000000000000000_' + 'A'.repeat(43) }),
          401,
          'UNAUTHENTICATED',
          /invalid or revoked/,
        );
        expectError(await post(server, 'secured', body, { key: keys.reader }), 403, 'FORBIDDEN', /writer/);
      },
      keys.reader,
    );
    const written = await post(server, 'secured', body, { key: keys.writer });
    assert.equal(written.status, 201, JSON.stringify(written.body));
    assert.equal(written.body.version.contentHash, versionHash([sample({ prompt: 'guarded' })]));
    const url = `${server.url}/v1/versions/${encodeURIComponent(written.body.version.id)}/samples.jsonl`;
    const anonymous = await rawGet(url);
    assert.equal(anonymous.status, 401);
    assert.equal(JSON.parse(anonymous.body.toString()).errors[0].extensions.code, 'UNAUTHENTICATED');
    const exported = await rawGet(url, { authorization: `Bearer ${keys.reader}` });
    assert.equal(exported.status, 200);
    assert.deepEqual(JSON.parse(exported.body.toString()), sample({ prompt: 'guarded' }));
  });
});
