/**
 * Hugging Face dataset directories in and out: `qdc ingest DIR --split NAME` (real CLI process,
 * direct mode on the test backend) over DuckDB-written shards and JSONL files, the card's fields
 * registered with --create, and `qdc export --hf DIR`, whose card (parsed here with the yaml
 * package) must carry the metric results, lineage and content hash, and whose shard DuckDB reads.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { sql } from 'drizzle-orm';
import { parse as parseYaml } from 'yaml';
import { openCatalog } from '../src/app.js';
import { recordGenerationRun } from '../src/catalog/lineage.js';
import { requireVersionByRef } from '../src/ingest/export.js';
import { enqueueComputeMetrics } from '../src/metricRuns/computeJob.js';
import { recordExternalScores } from '../src/metricRuns/externalScores.js';
import { qdc } from './helpers/cli.js';
import { runJob } from './helpers/jobs.js';
import { createScratchDatabase, type ScratchDatabase } from './helpers/testDatabase.js';
import { startTestServer } from './helpers/testServer.js';

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
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** question_answer rows as the catalog stores them: reference is the answer after "####", trimmed. */
const qaHash = (rows: [string, string][]) =>
  sha256(
    rows
      .map(([q, a]) => {
        const mark = a.lastIndexOf('####');
        const reference = (mark < 0 ? a : a.slice(mark + 4)).trim();
        const sample = { prompt: q, response: a, reference, messages: null, metadata: null };
        return `${sha256(canonical(sample))}\n`;
      })
      .join(''),
  );

const CARD = `---
pretty_name: Tiny Math
license: mit
task_categories:
- question-answering
language:
- en
source_datasets:
- openai/gsm8k
tags:
- math
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train-*
  - split: test
    path: data/test-*
---
# Tiny Math

Grade-school arithmetic, a few rows for tests.

## Details
`;

describe('Hugging Face dataset directories', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qdc-hf-'));
  const path = (...parts: string[]) => join(dir, ...parts);
  let scratch: ScratchDatabase | null = null;
  let db: string[];
  let duck: DuckDBConnection;
  const train: [string, string][] = Array.from({ length: 5 }, (_, i) => [
    `What is ${i}+${i}?`,
    `${i}+${i}=${2 * i} #### ${2 * i}`,
  ]);

  before(async () => {
    if (process.env.DATABASE_URL) {
      scratch = await createScratchDatabase();
      db = ['--database-url', scratch.url];
      await (await openCatalog({ databaseUrl: scratch.url })).close();
    } else {
      db = ['--data-dir', path('db')];
      await (await openCatalog({ dataDir: path('db') })).close();
    }
    duck = await (await DuckDBInstance.create(':memory:')).connect();
    mkdirSync(path('hub', 'data'), { recursive: true });
    writeFileSync(path('hub', 'README.md'), CARD);
    const values = (rows: [string, string][]) => rows.map(([q, a]) => `('${q}', '${a}')`).join(', ');
    await duck.run(
      `COPY (SELECT * FROM (VALUES ${values(train.slice(0, 3))}) t(question, answer)) TO '${path('hub', 'data', 'train-00000-of-00002.parquet')}' (FORMAT parquet)`,
    );
    await duck.run(
      `COPY (SELECT * FROM (VALUES ${values(train.slice(3))}) t(question, answer)) TO '${path('hub', 'data', 'train-00001-of-00002.parquet')}' (FORMAT parquet)`,
    );
    await duck.run(
      `COPY (SELECT * FROM (VALUES ('Is 1 odd?', 'yes #### yes')) t(question, answer)) TO '${path('hub', 'data', 'test-00000-of-00001.parquet')}' (FORMAT parquet)`,
    );
    // No card: the splits come from the file names alone.
    mkdirSync(path('plain', 'default', 'validation'), { recursive: true });
    writeFileSync(
      path('plain', 'train.jsonl'),
      `${JSON.stringify({ question: 'a?', answer: 'A' })}\n${JSON.stringify({ question: 'b?', answer: 'B' })}\n`,
    );
    await duck.run(
      `COPY (SELECT 'c?' AS question, 'C' AS answer) TO '${path('plain', 'default', 'validation', '0000.parquet')}' (FORMAT parquet)`,
    );
  });
  after(async () => {
    duck.closeSync();
    await scratch?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ingests the shards of a split in order and registers the card fields with --create', async () => {
    const run = await qdc([
      'ingest',
      path('hub'),
      '--split',
      'train',
      '--dataset',
      'tiny',
      '--create',
      '--json',
      ...db,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.records, 5);
    assert.equal(result.format, 'question_answer');
    assert.equal(result.version.contentHash, qaHash(train));
    assert.match(
      run.stderr,
      /split train: 2 file\(s\): data\/train-00000-of-00002\.parquet, data\/train-00001-of-00002\.parquet/,
    );

    const shown = await qdc(['datasets', 'show', 'tiny', '--json', ...db]);
    assert.equal(shown.code, 0, shown.stderr);
    const dataset = JSON.parse(shown.stdout);
    assert.equal(dataset.name, 'Tiny Math');
    assert.equal(dataset.license, 'mit');
    assert.equal(dataset.task, 'question-answering');
    assert.equal(dataset.sourceUri, 'openai/gsm8k');
    assert.equal(dataset.description, 'Grade-school arithmetic, a few rows for tests.');
    assert.deepEqual(dataset.tags, ['math', 'language:en']);

    const test = await qdc(['ingest', path('hub'), '--split', 'test', '--dataset', 'tiny', '--json', ...db]);
    assert.equal(test.code, 0, test.stderr);
    assert.equal(JSON.parse(test.stdout).version.contentHash, qaHash([['Is 1 odd?', 'yes #### yes']]));
  });

  it('finds splits by file name without a card, and names the splits when one is missing', async () => {
    const created = await qdc(['ingest', path('plain'), '--dataset', 'plain', '--create', '--json', ...db]);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(
      JSON.parse(created.stdout).version.contentHash,
      qaHash([
        ['a?', 'A'],
        ['b?', 'B'],
      ]),
    );
    const validation = await qdc([
      'ingest',
      path('plain'),
      '--split',
      'validation',
      '--dataset',
      'plain',
      '--json',
      ...db,
    ]);
    assert.equal(validation.code, 0, validation.stderr);
    assert.equal(JSON.parse(validation.stdout).version.contentHash, qaHash([['c?', 'C']]));
    const missing = await qdc(['ingest', path('plain'), '--split', 'test', '--dataset', 'plain', ...db]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /has no files for split "test" \(splits: train, validation\)/);
  });

  it('exports a directory whose card carries metrics, lineage and the hash, and re-ingests to the same version', async () => {
    const database = await openCatalog(scratch ? { databaseUrl: scratch.url } : { dataDir: path('db') });
    let hash: string;
    try {
      const output = await requireVersionByRef(database.db, 'tiny@1');
      const input = await requireVersionByRef(database.db, 'plain@1');
      hash = output.contentHash;
      await recordExternalScores(
        database,
        output.id,
        { name: 'rm', model: 'tiny-rm', version: null },
        (async function* () {
          yield [0.5, 1, 0, 0.25, 0.75].map((value, ordinal) => ({
            sampleId: null,
            ordinal,
            value,
            where: `row ${ordinal}`,
          }));
        })(),
      );
      await runJob(
        database,
        (await enqueueComputeMetrics(database.db, output.id, ['complexity.length'], {})).id,
      );
      await recordGenerationRun(database.db, {
        outputVersionId: output.id,
        inputs: [{ versionId: input.id, role: 'SEED', ref: 'plain@1' }],
        generatorModel: 'gpt-test',
        params: { temperature: 0.7 },
      });
    } finally {
      await database.close();
    }

    const run = await qdc(['export', 'tiny@1', '--hf', path('out'), '--scores', 'external:rm', ...db]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(readdirSync(path('out')).sort(), ['README.md', 'data']);
    assert.deepEqual(readdirSync(path('out', 'data')), ['train-00000-of-00001.parquet']);
    const text = readFileSync(path('out', 'README.md'), 'utf8');
    const match = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
    assert.ok(match, 'the card starts with YAML front matter');
    const card = parseYaml(match[1]!);
    assert.equal(card.pretty_name, 'Tiny Math');
    assert.equal(card.license, 'mit');
    assert.deepEqual(card.task_categories, ['question-answering']);
    assert.deepEqual(card.configs, [
      { config_name: 'default', data_files: [{ split: 'train', path: 'data/train-*' }] },
    ]);
    assert.deepEqual(card.dataset_info.splits, [{ name: 'train', num_examples: 5 }]);
    assert.equal(card.qdc.content_hash, hash);
    const rm = card.qdc.metrics.find((m: { metric: string }) => m.metric === 'external:rm');
    assert.ok(rm, JSON.stringify(card.qdc.metrics));
    assert.equal(rm.value, (0.5 + 1 + 0 + 0.25 + 0.75) / 5);
    assert.equal(rm.n, 5);
    assert.equal(rm.status, 'COMPLETE');
    assert.ok('estimator' in rm && 'params' in rm);
    assert.equal(card.qdc.lineage.generator_model, 'gpt-test');
    assert.deepEqual(card.qdc.lineage.params, { temperature: 0.7 });
    assert.equal(card.qdc.lineage.inputs.length, 1);
    assert.equal(card.qdc.lineage.inputs[0].version, 'plain@1');
    assert.equal(card.qdc.lineage.inputs[0].role, 'SEED');
    assert.match(match[2]!, /\| external:rm \| 0\.5 \|/);
    assert.ok(
      card.qdc.metrics.some((m: { metric: string }) => m.metric === 'complexity.length'),
      JSON.stringify(card.qdc.metrics),
    );
    assert.match(match[2]!, new RegExp(`Content hash: \`${hash}\``));
    assert.match(match[2]!, /Generator model: gpt-test/);

    const shard = path('out', 'data', 'train-00000-of-00001.parquet');
    const rows = (
      await duck.runAndReadAll(`SELECT prompt, "scores.external:rm" AS rm FROM '${shard}' ORDER BY rm`)
    ).getRowObjectsJson();
    assert.deepEqual(
      rows.map((r) => r.rm),
      [0, 0.25, 0.5, 0.75, 1],
    );

    // The exported directory ingests again; its score column lands in metadata, so drop it first.
    await duck.run(
      `COPY (SELECT * EXCLUDE ("scores.external:rm") FROM '${shard}') TO '${path('out', 'plain.parquet')}' (FORMAT parquet)`,
    );
    rmSync(shard);
    writeFileSync(shard, readFileSync(path('out', 'plain.parquet')));
    rmSync(path('out', 'plain.parquet'));
    const again = await qdc(['ingest', path('out'), '--dataset', 'tiny', '--json', ...db]);
    assert.equal(again.code, 0, again.stderr);
    const result = JSON.parse(again.stdout);
    assert.equal(result.created, false, 'the same content is the same version');
    assert.equal(result.version.contentHash, hash);
  });

  it('qdc export --hf --server writes the same card and rows through the public routes', async () => {
    const database = await openCatalog(scratch ? { databaseUrl: scratch.url } : { dataDir: path('db') });
    // A newer run of complexity.length that failed: the card keeps the older good result, as the
    // direct export of the previous test did before this run existed.
    const { id: versionId } = await requireVersionByRef(database.db, 'tiny@1');
    await database.db.execute(sql`
      insert into metric_results (version_id, definition_id, params, params_hash, status, status_reason, samples_done, details, computed_at)
      select version_id, definition_id, params, params_hash, 'FAILED', 'worker crashed', 0, details, now() + interval '1 hour'
      from metric_results r
      where r.version_id = ${versionId} and r.definition_id = (select id from metric_definitions where key = 'complexity.length')`);
    const server = await startTestServer({ database });
    try {
      const run = await qdc([
        'export',
        'tiny@1',
        '--hf',
        path('out-remote'),
        '--scores',
        'external:rm',
        '--no-progress',
        '--server',
        server.url,
      ]);
      assert.equal(run.code, 0, run.stderr);
    } finally {
      await server.stop();
      await database.close();
    }
    assert.deepEqual(readdirSync(path('out-remote', 'data')), ['train-00000-of-00001.parquet']);
    // The direct export of the previous test wrote the card from the database: the same text.
    assert.equal(
      readFileSync(path('out-remote', 'README.md'), 'utf8'),
      readFileSync(path('out', 'README.md'), 'utf8'),
    );
    const shard = path('out-remote', 'data', 'train-00000-of-00001.parquet');
    const rows = (
      await duck.runAndReadAll(`SELECT prompt, "scores.external:rm" AS rm FROM '${shard}' ORDER BY prompt`)
    ).getRowObjectsJson();
    assert.deepEqual(
      rows.map((r) => [r.prompt, r.rm]),
      train.map(([q], i) => [q, [0.5, 1, 0, 0.25, 0.75][i]]),
    );
  });

  it('qdc ingest reads a single Parquet file in place and qdc export --format parquet writes one', async () => {
    const single = path('hub', 'data', 'train-00000-of-00002.parquet');
    const run = await qdc(['ingest', single, '--dataset', 'single', '--create', '--json', ...db]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.container, 'parquet');
    assert.equal(result.version.contentHash, qaHash(train.slice(0, 3)));
    const out = path('single.parquet');
    const exported = await qdc([
      'export',
      'single@1',
      '--format',
      'parquet',
      '-o',
      out,
      '--no-progress',
      ...db,
    ]);
    assert.equal(exported.code, 0, exported.stderr);
    const rows = (await duck.runAndReadAll(`SELECT prompt, reference FROM '${out}'`)).getRowObjectsJson();
    assert.deepEqual(rows, [
      { prompt: 'What is 0+0?', reference: '0' },
      { prompt: 'What is 1+1?', reference: '2' },
      { prompt: 'What is 2+2?', reference: '4' },
    ]);
  });
});
