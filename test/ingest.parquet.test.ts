/**
 * Parquet in and out over real HTTP: POST /v1/datasets/{slug}/versions with
 * application/vnd.apache.parquet and GET /v1/versions/{id}/samples.parquet. Input files are written
 * by DuckDB (an independent Parquet implementation) and the exports are read back with DuckDB, so
 * neither direction is checked only by the library that wrote it. Expected hashes are worked out
 * here from the rows, independently of src/.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { sql } from 'drizzle-orm';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { rowsOf } from '../src/db/sqlHelpers.js';
import { fromGlobalId } from '../src/globalId.js';
import { exportVersionParquet } from '../src/ingest/exportParquet.js';
import { qdc } from './helpers/cli.js';
import { createDataset } from './helpers/fixtures.js';
import { startTestServer, type Edge, type TestServer } from './helpers/testServer.js';
import { postIngest, type HttpAnswer } from './helpers/ingestHttp.js';

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

interface Expected {
  prompt: string | null;
  response: string | null;
  reference: string | null;
  messages: Record<string, unknown>[] | null;
  metadata: Record<string, unknown> | null;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const sampleOf = (f: Partial<Expected>): Expected => ({
  prompt: f.prompt ?? null,
  response: f.response ?? null,
  reference: f.reference ?? null,
  messages: f.messages ?? null,
  metadata: f.metadata ?? null,
});
const versionHash = (samples: Expected[]) => sha256(samples.map((s) => `${sha256(canonical(s))}\n`).join(''));

type Answer = HttpAnswer;

const postParquet = (server: TestServer, slug: string, body: Buffer, query: Record<string, string> = {}) =>
  postIngest(server, slug, body, { query, type: 'application/vnd.apache.parquet' });

function expectBadInput(answer: Answer, message: RegExp): void {
  assert.equal(answer.status, 400, JSON.stringify(answer.body));
  const [error] = answer.body.errors;
  assert.equal(error.extensions.code, 'BAD_USER_INPUT', error.message);
  assert.match(error.message, message);
}

describe('Parquet in and out', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qdc-parquet-'));
  const file = (name: string) => join(dir, name);
  let server: TestServer;
  let duck: DuckDBConnection;
  /** DuckDB rows as JSON values (BIGINT as strings, JSON columns as text). */
  const query = async (text: string) => (await duck.runAndReadAll(text)).getRowObjectsJson();
  const count = async (table: 'samples' | 'dataset_versions') =>
    rowsOf<{ n: number }>(
      await server.database.db.execute(sql.raw(`select count(*)::int as n from ${table}`)),
    )[0]!.n;

  before(async () => {
    server = await startTestServer();
    duck = await (await DuckDBInstance.create(':memory:')).connect();
    for (const slug of ['plain', 'chat', 'mapped', 'bad', 'trip-a', 'trip-b', 'trip-c', 'remote'])
      await createDataset(server, slug);
  });
  after(async () => {
    duck.closeSync();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ingests a DuckDB-written file over several row groups, extra columns into metadata', async () => {
    const rows = 5000;
    await duck.run(`COPY (SELECT 'Question ' || i AS prompt, CASE WHEN i % 7 = 0 THEN NULL ELSE 'Answer ' || i END AS response,
        i::BIGINT AS idx, ['t' || (i % 3), 'x'] AS tags, 0.5 * i AS weight
      FROM range(${rows}) t(i)) TO '${file('plain.parquet')}' (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
    const groups = await query(
      `SELECT count(DISTINCT row_group_id)::INT AS n FROM parquet_metadata('${file('plain.parquet')}')`,
    );
    assert.equal(groups[0]!.n, 3, 'the input really has several row groups');
    const expected = Array.from({ length: rows }, (_, i) =>
      sampleOf({
        prompt: `Question ${i}`,
        response: i % 7 === 0 ? null : `Answer ${i}`,
        metadata: { idx: i, tags: [`t${i % 3}`, 'x'], weight: 0.5 * i },
      }),
    );
    const answer = await postParquet(server, 'plain', readFileSync(file('plain.parquet')));
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    assert.equal(answer.body.container, 'parquet');
    assert.equal(answer.body.format, 'prompt_response');
    assert.equal(answer.body.records, rows);
    assert.equal(answer.body.version.sampleCount, rows);
    assert.equal(answer.body.version.contentHash, versionHash(expected));
  });

  it('maps nested list<struct> columns (sharegpt conversations) and --map paths into struct columns', async () => {
    await duck.run(`COPY (SELECT 'Be brief.' AS system,
        [{'from': 'human', 'value': 'Capital of France?'}, {'from': 'gpt', 'value': 'Paris.'}] AS conversations
      UNION ALL SELECT '', [{'from': 'human', 'value': '2+2?'}, {'from': 'gpt', 'value': '4'}])
      TO '${file('chat.parquet')}' (FORMAT parquet, COMPRESSION zstd)`);
    const chat = await postParquet(server, 'chat', readFileSync(file('chat.parquet')));
    assert.equal(chat.status, 201, JSON.stringify(chat.body));
    assert.equal(chat.body.format, 'sharegpt');
    const data = await server.ok(
      `query { dataset(slug: "chat") { version(number: 1) { samples(first: 5) { edges { node { messages { role content } } } } } } }`,
    );
    assert.deepEqual(
      data.dataset.version.samples.edges.map((e: Edge<{ messages: unknown }>) => e.node.messages),
      [
        [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Capital of France?' },
          { role: 'assistant', content: 'Paris.' },
        ],
        [
          { role: 'user', content: '2+2?' },
          { role: 'assistant', content: '4' },
        ],
      ],
    );

    await duck.run(`COPY (SELECT 'q' || i AS q, 'a' || i AS a, {'text': 'g' || i, 'score': i} AS gold, i AS n
      FROM range(3) t(i)) TO '${file('mapped.parquet')}' (FORMAT parquet)`);
    const mapped = await postParquet(server, 'mapped', readFileSync(file('mapped.parquet')), {
      format: 'mapping',
      map: 'prompt=q,response=a,reference=gold.text',
    });
    assert.equal(mapped.status, 201, JSON.stringify(mapped.body));
    const expected = [0, 1, 2].map((i) =>
      sampleOf({ prompt: `q${i}`, response: `a${i}`, reference: `g${i}`, metadata: { n: i } }),
    );
    assert.equal(mapped.body.version.contentHash, versionHash(expected));
  });

  it('refuses bad Parquet with a precise error and writes nothing', async () => {
    const before = { samples: await count('samples'), versions: await count('dataset_versions') };
    const good = readFileSync(file('plain.parquet'));

    expectBadInput(
      await postParquet(server, 'bad', Buffer.from('{"prompt":"not parquet"}\n')),
      /not a Parquet file: it does not start with the magic bytes "PAR1"/,
    );
    expectBadInput(
      await postParquet(server, 'bad', good.subarray(0, Math.floor(good.length / 2))),
      /truncated Parquet file/,
    );

    await duck.run(
      `COPY (SELECT i::BIGINT AS id, (1.5 * i)::DOUBLE AS value, DATE '2024-01-01' + i::INT AS day FROM range(4) t(i)) TO '${file('numbers.parquet')}' (FORMAT parquet)`,
    );
    expectBadInput(
      await postParquet(server, 'bad', readFileSync(file('numbers.parquet'))),
      /no usable text column: .*id \(int64\), value \(double\), day \(date\)/,
    );
    expectBadInput(
      await postParquet(server, 'bad', readFileSync(file('mapped.parquet')), { map: 'prompt=question' }),
      /the mapping prompt=question names the column "question", which is not in the file \(columns: q \(string\), a \(string\)/,
    );
    // A text column of the wrong type is named with its row and row group.
    await duck.run(
      `COPY (SELECT i AS prompt, 'r' || i AS response FROM range(3) t(i)) TO '${file('intprompt.parquet')}' (FORMAT parquet)`,
    );
    expectBadInput(
      await postParquet(server, 'bad', readFileSync(file('intprompt.parquet')), {
        format: 'prompt_response',
      }),
      /^row 1 \(row group 0\): "prompt" must be a string \(got number\)/,
    );

    // Two row groups; the second one's page header is overwritten: the error names row group 1.
    const writer = new ByteWriter();
    const parquet = new ParquetWriter({
      writer,
      schema: [
        { name: 'root', num_children: 1 },
        { name: 'prompt', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      ],
    });
    parquet.write({ columnData: [{ name: 'prompt', data: ['a', 'b', 'c', 'd'] }], rowGroupSize: 2 });
    parquet.finish();
    const corrupt = Buffer.from(writer.getBytes());
    const offsets = await query(
      `SELECT row_group_id::INT AS g, data_page_offset::INT AS at FROM parquet_metadata('${writeTemp('two.parquet', corrupt)}') ORDER BY 1`,
    );
    assert.equal(offsets.length, 2);
    corrupt.fill(0xff, offsets[1]!.at as number, (offsets[1]!.at as number) + 8);
    expectBadInput(
      await postParquet(server, 'bad', corrupt),
      /Parquet row group 1 \(rows 3-4\) cannot be read/,
    );

    assert.deepEqual(
      { samples: await count('samples'), versions: await count('dataset_versions') },
      before,
      'no sample and no version was written',
    );
  });

  function writeTemp(name: string, bytes: Buffer): string {
    writeFileSync(file(name), bytes);
    return file(name);
  }

  it('exports typed columns that DuckDB reads, with one double column per score', async () => {
    const version = (
      await server.ok(
        `query { dataset(slug: "plain") { version(number: 1) { id sampleCount contentHash } } }`,
      )
    ).dataset.version;
    // Scores for the first three samples only: the rest are null.
    const pushed = await fetch(`${server.url}/v1/versions/${version.id}/scores?scorer=rm`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: '{"ordinal":0,"value":0.25}\n{"ordinal":1,"value":0.5}\n{"ordinal":2,"value":1}\n',
    });
    assert.equal(pushed.status, 200, await pushed.clone().text());
    const res = await fetch(`${server.url}/v1/versions/${version.id}/samples.parquet?scores=external:rm`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/vnd.apache.parquet');
    assert.equal(res.headers.get('x-qdc-content-hash'), version.contentHash);
    const path = writeTemp('export.parquet', Buffer.from(await res.arrayBuffer()));

    const types = Object.fromEntries(
      (await query(`DESCRIBE SELECT * FROM '${path}'`)).map((r) => [r.column_name, r.column_type]),
    );
    assert.deepEqual(types, {
      prompt: 'VARCHAR',
      response: 'VARCHAR',
      reference: 'VARCHAR',
      messages: 'STRUCT("role" VARCHAR, "content" VARCHAR)[]',
      metadata: 'JSON',
      'scores.external:rm': 'DOUBLE',
    });
    const rows = await query(
      `SELECT prompt, response, reference, metadata->>'idx' AS idx, json_extract(metadata, '$.tags') AS tags, "scores.external:rm" AS rm
       FROM '${path}' WHERE prompt IN ('Question 0', 'Question 2', 'Question 7') ORDER BY prompt`,
    );
    assert.deepEqual(rows, [
      { prompt: 'Question 0', response: null, reference: null, idx: '0', tags: '["t0","x"]', rm: 0.25 },
      { prompt: 'Question 2', response: 'Answer 2', reference: null, idx: '2', tags: '["t2","x"]', rm: 1 },
      { prompt: 'Question 7', response: null, reference: null, idx: '7', tags: '["t1","x"]', rm: null },
    ]);
    const total = await query(
      `SELECT count(*)::INT AS n, count("scores.external:rm")::INT AS scored FROM '${path}'`,
    );
    assert.deepEqual(total, [{ n: 5000, scored: 3 }]);
    const kv = await query(
      `SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata('${path}')`,
    );
    assert.deepEqual(
      kv.find((r) => r.key === 'qdc.content_hash'),
      { key: 'qdc.content_hash', value: version.contentHash },
    );
  });

  it('writes row groups of the requested size', async () => {
    const id = fromGlobalId(
      (await server.ok(`query { dataset(slug: "plain") { version(number: 1) { id } } }`)).dataset.version.id,
    ).id;
    const chunks: Uint8Array[] = [];
    const info = { versionId: 'v', dataset: 'plain', version: 1, contentHash: 'h' };
    for await (const chunk of exportVersionParquet(server.database.db, Number(id), info, undefined, [], 1500))
      chunks.push(chunk);
    assert.equal(chunks.length, 4, 'one chunk per full row group, then the last one with the footer');
    const path = writeTemp('groups.parquet', Buffer.concat(chunks));
    const groups = await query(
      `SELECT row_group_id::INT AS g, any_value(row_group_num_rows)::INT AS n FROM parquet_metadata('${path}') GROUP BY 1 ORDER BY 1`,
    );
    assert.deepEqual(
      groups.map((g) => g.n),
      [1500, 1500, 1500, 500],
    );
  });

  it('round-trips parquet -> catalog -> parquet -> catalog with the same content hash', async () => {
    // Messages with an extra key on some of them (null elsewhere), metadata with nested values.
    await duck.run(`COPY (SELECT
        [{'role': 'user', 'content': 'Hi ' || i, 'name': CASE WHEN i % 2 = 0 THEN 'ann' END},
         {'role': 'assistant', 'content': 'Hello ' || i, 'name': NULL}] AS messages,
        {'lang': 'en', 'turn': i, 'flags': [true, false]} AS metadata
      FROM range(10) t(i)) TO '${file('trip.parquet')}' (FORMAT parquet)`);
    const first = await postParquet(server, 'trip-a', readFileSync(file('trip.parquet')));
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.format, 'openai');
    let id = first.body.version.id as string;
    const hash = first.body.version.contentHash as string;
    for (const slug of ['trip-b', 'trip-c']) {
      const exported = await fetch(`${server.url}/v1/versions/${id}/samples.parquet`);
      assert.equal(exported.status, 200);
      const again = await postParquet(server, slug, Buffer.from(await exported.arrayBuffer()));
      assert.equal(again.status, 201, JSON.stringify(again.body));
      assert.equal(again.body.version.contentHash, hash, `${slug}: same content hash`);
      id = again.body.version.id;
    }
    // The extra message key survives as a JSON struct field that DuckDB reads.
    const exported = await fetch(`${server.url}/v1/versions/${id}/samples.parquet`);
    const path = writeTemp('trip-out.parquet', Buffer.from(await exported.arrayBuffer()));
    const names = await query(`SELECT messages[1].name AS name FROM '${path}' LIMIT 2`);
    assert.deepEqual(names, [{ name: '"ann"' }, { name: null }]);
  });

  it('qdc ingest and qdc export --format parquet go through a server', async () => {
    const hash = (await server.ok(`query { dataset(slug: "plain") { version(number: 1) { contentHash } } }`))
      .dataset.version.contentHash;
    const ingest = await qdc([
      'ingest',
      file('plain.parquet'),
      '--dataset',
      'remote',
      '--json',
      '--server',
      server.url,
    ]);
    assert.equal(ingest.code, 0, ingest.stderr);
    const result = JSON.parse(ingest.stdout);
    assert.equal(result.container, 'parquet');
    assert.equal(result.version.contentHash, hash);
    const out = file('remote.parquet');
    const exported = await qdc(['export', 'remote@1', '-o', out, '--server', server.url, '--no-progress']);
    assert.equal(exported.code, 0, exported.stderr);
    assert.deepEqual(
      await query(`SELECT count(*)::INT AS n, count(DISTINCT prompt)::INT AS prompts FROM '${out}'`),
      [{ n: 5000, prompts: 5000 }],
    );
  });
});
