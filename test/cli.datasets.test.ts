/**
 * `qdc datasets` and `qdc ingest --create` as real processes: a first session from the shell with
 * no GraphQL, on a PGlite data directory and through a running server.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { qdc } from './helpers/cli.js';
import { startTestServer, type TestServer } from './helpers/testServer.js';

const LINES = [
  { question: 'What is 2 + 3?', answer: '2 + 3 = 5\n#### 5' },
  { question: 'What is 7 * 6?', answer: '7 * 6 = 42\n#### 42' },
  { question: 'What is 9 - 4?', answer: '9 - 4 = 5\n#### 5' },
];

interface Listed {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  task: string | null;
  domain: string | null;
  license: string | null;
  sourceUri: string | null;
  tags: string[];
  createdAt: string;
  updatedAt: string;
  latestVersion: { version: number; sampleCount: number } | null;
}

/** The same session against a data directory or a server: `where` are the flags that pick it. */
function firstSession(where: () => string[], file: () => string) {
  it('ingest into an unknown dataset is refused; --create registers it and ingests', async () => {
    const refused = await qdc(['ingest', file(), '--dataset', 'gsm-demo', '--no-progress', ...where()]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /no dataset with slug "gsm-demo"/);

    const misplaced = await qdc(['ingest', file(), '--dataset', 'gsm-demo', '--task', 'math', ...where()]);
    assert.equal(misplaced.code, 2);
    assert.match(misplaced.stderr, /--task only applies with --create/);

    const created = await qdc([
      'ingest',
      file(),
      '--dataset',
      'gsm-demo',
      '--create',
      '--name',
      'GSM demo',
      '--task',
      'math-reasoning',
      '--license',
      'MIT',
      '--tag',
      'math',
      '--tag',
      'demo',
      '--no-progress',
      ...where(),
    ]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stderr, /^created dataset gsm-demo$/m);
    assert.match(created.stderr, /created version gsm-demo@1/);

    // --create on an existing dataset ingests into it and registers nothing.
    const again = await qdc([
      'ingest',
      file(),
      '--dataset',
      'gsm-demo',
      '--create',
      '--no-progress',
      ...where(),
    ]);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /created dataset/);
    assert.match(again.stderr, /version gsm-demo@1 already existed/);
  });

  it('show prints the card and the latest version, as text and as JSON', async () => {
    const json = await qdc(['datasets', 'show', 'gsm-demo', '--json', ...where()]);
    assert.equal(json.code, 0, json.stderr);
    const shown = JSON.parse(json.stdout) as Listed;
    assert.deepEqual(
      { ...shown, id: typeof shown.id, createdAt: typeof shown.createdAt, updatedAt: typeof shown.updatedAt },
      {
        id: 'string',
        slug: 'gsm-demo',
        name: 'GSM demo',
        description: null,
        task: 'math-reasoning',
        domain: null,
        license: 'MIT',
        sourceUri: null,
        tags: ['math', 'demo'],
        createdAt: 'string',
        updatedAt: 'string',
        latestVersion: { version: 1, sampleCount: 3 },
      },
    );
    const text = await qdc(['datasets', 'show', 'gsm-demo', ...where()]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^name:\s+GSM demo$/m);
    assert.match(text.stdout, /^tags:\s+math, demo$/m);
    assert.match(text.stdout, /^latest:\s+version 1 \(3 samples\)$/m);

    const missing = await qdc(['datasets', 'show', 'no-such-set', ...where()]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no dataset with slug "no-such-set"/);
  });

  it('create refuses a taken slug; list filters; update changes only the given fields', async () => {
    const code = await qdc(['datasets', 'create', 'code-demo', '--task', 'code', '--json', ...where()]);
    assert.equal(code.code, 0, code.stderr);
    const made = JSON.parse(code.stdout) as Listed;
    assert.equal(made.name, 'code-demo', 'the name defaults to the slug');
    assert.equal(made.latestVersion, null);

    const taken = await qdc(['datasets', 'create', 'code-demo', ...where()]);
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /already exists/);

    const all = JSON.parse((await qdc(['datasets', 'list', '--json', ...where()])).stdout) as Listed[];
    assert.deepEqual(
      all.map((d) => d.slug),
      ['code-demo', 'gsm-demo'],
      'newest first',
    );
    const math = JSON.parse(
      (await qdc(['datasets', 'list', '--task', 'math-reasoning', '--json', ...where()])).stdout,
    ) as Listed[];
    assert.deepEqual(
      math.map((d) => d.slug),
      ['gsm-demo'],
    );
    const table = await qdc(['datasets', 'list', '--limit', '1', ...where()]);
    assert.equal(table.code, 0, table.stderr);
    assert.deepEqual(
      table.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/)[0]),
      ['SLUG', 'code-demo'],
    );

    const updated = await qdc([
      'datasets',
      'update',
      'gsm-demo',
      '--description',
      'three sums',
      '--tag',
      'arith',
      '--json',
      ...where(),
    ]);
    assert.equal(updated.code, 0, updated.stderr);
    const after = JSON.parse(updated.stdout) as Listed;
    assert.equal(after.description, 'three sums');
    assert.deepEqual(after.tags, ['arith']);
    assert.equal(after.license, 'MIT', 'fields not given keep their value');
    assert.equal(after.name, 'GSM demo');

    const nothing = await qdc(['datasets', 'update', 'gsm-demo', ...where()]);
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /update needs at least one field/);
  });
}

describe('qdc datasets and ingest --create on a data directory', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'qdc-datasets-'));
    writeFileSync(join(dir, 'gsm.jsonl'), LINES.map((l) => JSON.stringify(l)).join('\n'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  firstSession(
    () => ['--data-dir', join(dir, 'db')],
    () => join(dir, 'gsm.jsonl'),
  );
});

describe('qdc datasets and ingest --create through a server', () => {
  let dir: string;
  let server: TestServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'qdc-datasets-remote-'));
    writeFileSync(join(dir, 'gsm.jsonl'), LINES.map((l) => JSON.stringify(l)).join('\n'));
    server = await startTestServer();
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  // The refusals and text output are the data-directory session's; here, each request kind once.
  it('ingest --create, create, list, show and update go through the API', async () => {
    const where = ['--server', server.url];
    const created = await qdc([
      'ingest',
      join(dir, 'gsm.jsonl'),
      '--dataset',
      'gsm-demo',
      '--create',
      '--name',
      'GSM demo',
      '--task',
      'math-reasoning',
      '--tag',
      'math',
      '--no-progress',
      ...where,
    ]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stderr, /^created dataset gsm-demo$/m);
    const code = await qdc(['datasets', 'create', 'code-demo', '--task', 'code', ...where]);
    assert.equal(code.code, 0, code.stderr);
    const listed = JSON.parse((await qdc(['datasets', 'list', '--json', ...where])).stdout) as Listed[];
    assert.deepEqual(
      listed.map((d) => [d.slug, d.task, d.latestVersion]),
      [
        ['code-demo', 'code', null],
        ['gsm-demo', 'math-reasoning', { version: 1, sampleCount: 3 }],
      ],
    );
    const updated = await qdc(['datasets', 'update', 'gsm-demo', '--license', 'MIT', '--json', ...where]);
    assert.equal(updated.code, 0, updated.stderr);
    const shown = JSON.parse(
      (await qdc(['datasets', 'show', 'gsm-demo', '--json', ...where])).stdout,
    ) as Listed;
    assert.deepEqual(shown, JSON.parse(updated.stdout), 'show prints what update returned');
    assert.equal(shown.license, 'MIT');
    assert.deepEqual(shown.tags, ['math']);
  });

  it('the server holds what the CLI registered', async () => {
    const data = await server.ok<{ dataset: { task: string; versions: { edges: unknown[] } } }>(
      'query { dataset(slug: "gsm-demo") { task versions { edges { cursor } } } }',
    );
    assert.equal(data.dataset.task, 'math-reasoning');
    assert.equal(data.dataset.versions.edges.length, 1);
  });
});
