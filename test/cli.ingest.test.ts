/** `qdc ingest` and `qdc export`, run as real processes: direct (PGlite data dir) and through a server. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { openCatalog } from '../src/app.js';
import { createApiKey } from '../src/auth/apiKeys.js';
import { registerDataset } from '../src/catalog/datasets.js';
import { fromGlobalId } from '../src/globalId.js';
import { requireVersionByRef } from '../src/ingest/export.js';
import { FORMAT_EXAMPLES, FORMATS } from '../src/ingest/formats.js';
import { startTestServer, type TestServer } from './helpers/testServer.js';
import { qdc } from './helpers/cli.js';

function assertVersionId(stdout: string): string {
  assert.match(stdout, /^[A-Za-z0-9_-]+\n$/, `stdout is one version id: ${JSON.stringify(stdout)}`);
  const id = stdout.trim();
  assert.equal(fromGlobalId(id).type, 'DatasetVersion');
  return id;
}

function jsonl(records: unknown[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join('');
}

const ROWS = 6000;
const BIG = jsonl(
  Array.from({ length: ROWS }, (_, i) => ({
    instruction: `Add ${i} and ${i}. Explain every step of the working in plain words.`,
    input: '',
    output: `${i} + ${i} = ${2 * i}`,
    source: 'synthetic-arith',
  })),
);

/** Line 3 is malformed JSON, line 5 is longer than 200 bytes. */
const MIXED = [
  JSON.stringify({ prompt: 'p1', response: 'r1' }),
  JSON.stringify({ prompt: 'p2', response: 'r2' }),
  '{"prompt": "p3", "response": ',
  JSON.stringify({ prompt: 'p4', response: 'r4' }),
  JSON.stringify({ prompt: 'p5', response: 'y'.repeat(300) }),
  JSON.stringify({ prompt: 'p6', response: 'r6' }),
].join('\n');

describe('qdc ingest and qdc export', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qdc-cli-ingest-'));
  const dataDir = join(dir, 'db');
  const db = ['--data-dir', dataDir];
  const file = (name: string) => join(dir, name);
  let demoId = '';

  before(async () => {
    writeFileSync(file('big.jsonl'), BIG);
    writeFileSync(file('mixed.jsonl'), MIXED);
    const database = await openCatalog({ dataDir });
    try {
      for (const slug of ['demo', 'zipped', 'mixed'])
        await registerDataset(database.db, { slug, name: slug });
    } finally {
      await database.close();
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--help lists every format with its example, the --map syntax and the environment', async () => {
    const ingest = await qdc(['ingest', '--help']);
    assert.equal(ingest.code, 0, ingest.stderr);
    for (const format of FORMATS) {
      assert.ok(ingest.stdout.includes(`  ${format}\n`), `format ${format} listed`);
      assert.ok(ingest.stdout.includes(FORMAT_EXAMPLES[format]), `example of ${format} shown`);
    }
    assert.match(ingest.stdout, /--map <mapping>/);
    assert.match(ingest.stdout, /field=path/);
    assert.match(ingest.stdout, /--on-error <mode>/);
    assert.match(ingest.stdout, /--server <url>/);
    assert.match(ingest.stdout, /QDC_PROGRESS_INTERVAL_MS/);
    assert.match(ingest.stdout, /QDC_API_KEY/);
    assert.doesNotMatch(ingest.stdout, /--memory/);

    const exported = await qdc(['export', '--help']);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /^Usage: qdc export /m);
    assert.match(exported.stdout, /slug@N/);
    assert.match(exported.stdout, /-o, --output <file>/);
    assert.match(exported.stdout, /--gzip/);
    assert.match(exported.stdout, /QDC_PROGRESS_INTERVAL_MS/);
  });

  it('ingests JSONL with progress lines, exports it and re-ingests the export to the same version', async () => {
    const run = await qdc(['ingest', file('big.jsonl'), '--dataset', 'demo', ...db], {
      env: { QDC_PROGRESS_INTERVAL_MS: '0' },
    });
    assert.equal(run.code, 0, run.stderr);
    demoId = assertVersionId(run.stdout);
    // Lines drawn while running (non-TTY form), then the final one with rates.
    assert.match(run.stderr, /^ingest: \d+% [\d,]+ rows, [\d.]+ [kMG]?B, [\d.]+ [kMG]?B\/s/m);
    assert.match(
      run.stderr,
      /^ingest: 6,000 rows, [\d.]+ [kMG]?B in [\d.]+ s \([\d,.]+ rows\/s, [\d.]+ [kMG]?B\/s\)$/m,
    );
    assert.match(run.stderr, /^created version demo@1$/m);
    assert.ok(run.stderr.includes(`id            ${demoId}`));
    assert.match(run.stderr, /content hash {2}[0-9a-f]{64}/);
    assert.match(
      run.stderr,
      /records 6,000: ingested 6,000, rejected 0, duplicates 0 \(format alpaca, jsonl\)/,
    );

    const out = file('demo.jsonl');
    const exported = await qdc(['export', 'demo@1', '-o', out, ...db], {
      env: { QDC_PROGRESS_INTERVAL_MS: '0' },
    });
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(exported.stdout, '');
    assert.match(exported.stderr, /^export: 6,000 rows, [\d.]+ [kMG]?B in .*rows\/s.*written to /m);
    assert.match(exported.stderr, /exported demo@1 \(6,000 samples\)/);
    const text = readFileSync(out, 'utf8');
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, ROWS);
    assert.deepEqual(Object.keys(JSON.parse(lines[0]!)), [
      'prompt',
      'response',
      'reference',
      'messages',
      'metadata',
    ]);

    const again = await qdc(['ingest', out, '--dataset', 'demo', '--no-progress', ...db]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(assertVersionId(again.stdout), demoId, 'the export re-ingests to the same version');
    assert.match(again.stderr, /version demo@1 already existed/);
    assert.doesNotMatch(again.stderr, /^ingest: /m, '--no-progress draws nothing');

    // The same data by id and by bare slug (latest) to stdout, and from stdin back in.
    const byId = await qdc(['export', demoId, '--no-progress', ...db]);
    assert.equal(byId.code, 0, byId.stderr);
    assert.equal(byId.stdout, text);
    const bySlug = await qdc(['export', 'demo', '--no-progress', ...db]);
    assert.equal(bySlug.stdout, text);
    const stdin = await qdc(['ingest', '-', '-d', 'demo', '--json', ...db], { input: Buffer.from(text) });
    assert.equal(stdin.code, 0, stdin.stderr);
    const result = JSON.parse(stdin.stdout) as { created: boolean; version: { id: string }; records: number };
    assert.equal(result.created, false);
    assert.equal(result.version.id, demoId);
    assert.equal(result.records, ROWS);
  });

  it('ingests a .gz file, and a gzipped export re-ingests to the same version', async () => {
    const gz = file('small.jsonl.gz');
    writeFileSync(
      gz,
      gzipSync(
        jsonl([
          { question: 'Capital of France?', answer: 'Paris' },
          { question: '2+2?', answer: '4' },
        ]),
      ),
    );
    const run = await qdc(['ingest', gz, '-d', 'zipped', '--json', ...db]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as {
      created: boolean;
      version: { id: string; version: number };
      records: number;
      format: string;
    };
    assert.equal(result.created, true);
    assert.equal(result.records, 2);
    assert.equal(result.format, 'question_answer');
    assert.match(run.stderr, /created version zipped@1/);

    const out = file('zipped-export.jsonl.gz');
    const exported = await qdc(['export', 'zipped@1', '-o', out, ...db]);
    assert.equal(exported.code, 0, exported.stderr);
    const lines = gunzipSync(readFileSync(out)).toString('utf8').trimEnd().split('\n');
    assert.deepEqual(JSON.parse(lines[0]!), {
      prompt: 'Capital of France?',
      response: 'Paris',
      reference: 'Paris',
      messages: null,
      metadata: null,
    });
    const again = await qdc(['ingest', out, '-d', 'zipped', ...db]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(assertVersionId(again.stdout), result.version.id);
    assert.match(again.stderr, /already existed/);

    const broken = file('not-gzip.jsonl.gz');
    writeFileSync(broken, MIXED);
    const bad = await qdc(['ingest', broken, '-d', 'zipped', ...db]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not valid gzip/);
  });

  it('--on-error fail (the default) refuses the file at line 3 and stores no version', async () => {
    const run = await qdc(['ingest', file('mixed.jsonl'), '-d', 'mixed', '--max-record-bytes', '200', ...db]);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^qdc ingest: line 3 \(byte \d+\): malformed JSON/m);
    const database = await openCatalog({ dataDir });
    try {
      await assert.rejects(requireVersionByRef(database.db, 'mixed'), /dataset "mixed" has no versions yet/);
    } finally {
      await database.close();
    }
  });

  it('--on-error skip lists the malformed line 3 and the oversized line 5 and ingests the rest', async () => {
    const run = await qdc([
      'ingest',
      file('mixed.jsonl'),
      '-d',
      'mixed',
      '--on-error',
      'skip',
      '--max-record-bytes',
      '200',
      ...db,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assertVersionId(run.stdout);
    assert.match(run.stderr, /records 6: ingested 4, rejected 2/);
    assert.match(run.stderr, /rejected line 3 \(byte \d+\): malformed JSON/);
    assert.match(run.stderr, /rejected line 5 \(byte \d+\): .*200 bytes/);
    const exported = await qdc(['export', 'mixed@1', '--no-progress', ...db]);
    assert.deepEqual(
      exported.stdout
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { prompt: string }).prompt),
      ['p1', 'p2', 'p4', 'p6'],
    );
  });

  it('refuses unknown datasets and versions, missing files and bad flags', async () => {
    const unknown = await qdc(['ingest', file('mixed.jsonl'), '-d', 'nope', ...db]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^qdc ingest: no dataset with slug "nope"$/m);
    const missing = await qdc(['ingest', file('absent.jsonl'), '-d', 'demo', ...db]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read .*absent\.jsonl: no such file or directory/);
    const noVersion = await qdc(['export', 'demo@9', ...db]);
    assert.equal(noVersion.code, 1);
    assert.match(noVersion.stderr, /dataset "demo" has no version 9/);

    const noDataset = await qdc(['ingest', file('mixed.jsonl'), ...db]);
    assert.equal(noDataset.code, 2);
    assert.match(noDataset.stderr, /--dataset <slug> is required/);
    const badMode = await qdc(['ingest', file('mixed.jsonl'), '-d', 'demo', '--on-error', 'ignore', ...db]);
    assert.equal(badMode.code, 2);
    const badFormat = await qdc(['ingest', file('mixed.jsonl'), '-d', 'demo', '--format', 'csv', ...db]);
    assert.equal(badFormat.code, 1);
    assert.match(badFormat.stderr, /unknown format "csv"/);
    const memory = await qdc(['ingest', file('mixed.jsonl'), '-d', 'demo', '--memory']);
    assert.equal(memory.code, 2);
  });

  describe('through a server (--server)', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer();
      await server.ok('mutation { createDataset(input: { slug: "remote", name: "Remote" }) { slug } }');
    });
    after(() => server.stop());

    it('ingests, exports the same bytes as direct mode, and re-ingests to the same version', async () => {
      const remote = ['--server', server.url];
      const run = await qdc(['ingest', file('big.jsonl'), '-d', 'remote', '--json', ...remote], {
        env: { QDC_PROGRESS_INTERVAL_MS: '0' },
      });
      assert.equal(run.code, 0, run.stderr);
      const result = JSON.parse(run.stdout) as { created: boolean; version: { id: string }; records: number };
      assert.equal(result.created, true);
      assert.equal(result.records, ROWS);
      assert.match(run.stderr, /^ingest: 6,000 rows, .*B\/s\)$/m);
      assert.match(run.stderr, /created version remote@1/);

      const out = file('remote.jsonl');
      const exported = await qdc(['export', 'remote@1', '-o', out, ...remote], {
        env: { QDC_PROGRESS_INTERVAL_MS: '0' },
      });
      assert.equal(exported.code, 0, exported.stderr);
      assert.match(exported.stderr, /^export: 6,000 rows/m);
      assert.equal(
        readFileSync(out, 'utf8'),
        readFileSync(file('demo.jsonl'), 'utf8'),
        'same content as the direct export',
      );

      const byId = await qdc(['export', result.version.id, '--gzip', '--no-progress', ...remote]);
      assert.equal(byId.code, 0, byId.stderr);

      const again = await qdc(['ingest', out, '-d', 'remote', ...remote]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(assertVersionId(again.stdout), result.version.id);
      assert.match(again.stderr, /version remote@1 already existed/);
    });

    it("prints the server's error message and exits 1", async () => {
      const remote = ['--server', server.url];
      const unknown = await qdc(['ingest', file('big.jsonl'), '-d', 'nope', ...remote]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no dataset with slug "nope" \(HTTP 404 NOT_FOUND\)/);
      const bad = await qdc(['ingest', file('mixed.jsonl'), '-d', 'remote', ...remote]);
      assert.equal(bad.code, 1);
      assert.match(
        bad.stderr,
        /qdc ingest: line 3 \(byte \d+\): malformed JSON.*\(HTTP 400 BAD_USER_INPUT\)/,
      );
      const noVersion = await qdc(['export', 'remote@7', ...remote]);
      assert.equal(noVersion.code, 1);
      assert.match(noVersion.stderr, /dataset "remote" has no version 7/);
      const withDb = await qdc(['ingest', file('mixed.jsonl'), '-d', 'remote', ...remote, ...db]);
      assert.equal(withDb.code, 2);
    });

    it('sends the API key from QDC_API_KEY to a server that requires one', async () => {
      const secured = await startTestServer({ auth: 'required' });
      try {
        const { key } = await createApiKey(secured.database.db, { role: 'writer', name: 'cli-test' });
        await secured.ok(
          'mutation { createDataset(input: { slug: "locked", name: "Locked" }) { slug } }',
          undefined,
          { key },
        );
        const gz = file('small.jsonl.gz');
        const denied = await qdc(['ingest', gz, '-d', 'locked', '--server', secured.url]);
        assert.equal(denied.code, 1);
        assert.match(denied.stderr, /requires an API key.*\(HTTP 401 UNAUTHENTICATED\)/);
        const allowed = await qdc(['ingest', gz, '-d', 'locked', '--server', secured.url], {
          env: { QDC_API_KEY: key },
        });
        assert.equal(allowed.code, 0, allowed.stderr);
        assert.match(allowed.stderr, /created version locked@1/);
        const exported = await qdc([
          'export',
          'locked',
          '--server',
          secured.url,
          '--api-key',
          key,
          '--no-progress',
        ]);
        assert.equal(exported.code, 0, exported.stderr);
        assert.equal(exported.stdout.trimEnd().split('\n').length, 2);
      } finally {
        await secured.stop();
      }
    });
  });
});
