/**
 * TInt generation into the catalog: GraphQL generateTIntDataset -> a job -> the real worker ->
 * a training version and a clean test version, each with a TInt generation run carrying every
 * parameter, linked to each other; identical requests return the same versions; bad input is
 * refused before anything is queued; a cancelled generation leaves no version; and the CLI.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../src/db/sqlHelpers.js';
import { generateSample } from '../src/tint/generate.js';
import { validateTIntSpec } from '../src/tint/spec.js';
import { requestCancel } from '../src/jobs/queue.js';
import { enqueueTIntGeneration, runTIntGenerationJob } from '../src/generation/tintJob.js';
import { silentLogger } from '../src/logger.js';
import { runJob, testWorker, waitForJob } from './helpers/jobs.js';
import { qdc } from './helpers/cli.js';
import { startTestServer, type TestServer } from './helpers/testServer.js';

const jobIdOf = (globalId: string) =>
  Number(Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1]);

const GENERATE = `mutation ($input: TIntGenerationInput!) { generateTIntDataset(input: $input) { id kind status progress { total } } }`;
const INPUT = {
  dataset: 'tint-mul',
  op: 'MUL',
  digits: { min: 1, max: 3 },
  n: 1500,
  testN: 200,
  static: { doc: 0.5, char: 0.3 },
  dynamic: { doc: 0.2, p: 0.2 },
  seed: 1,
};

async function count(server: TestServer, query: ReturnType<typeof sql>): Promise<number> {
  return Number(rowsOf<{ n: string | number }>(await server.database.db.execute(query))[0]!.n);
}

describe('TInt generation into the catalog', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ tintMaxSamples: 50_000 });
  });
  after(() => server.stop());

  it('writes a training and a clean test version with TInt runs, every parameter and the link between them', async () => {
    const { generateTIntDataset: queued } = await server.ok(GENERATE, { input: INPUT });
    assert.equal(queued.kind, 'tint.generate');
    assert.equal(queued.progress.total, 1700);
    const job = await runJob(server.database, jobIdOf(queued.id));
    assert.equal(job.status, 'SUCCEEDED', job.error ?? '');
    assert.equal(job.progressDone, 1700);

    const data = await server.ok(
      `query ($id: ID!) { job(id: $id) { result versions { id sampleCount dataset { slug tags }
          generatedBy { algorithm { key } generatorModel params notes inputs { role version { id } } }
          children { role version { id } } } } }`,
      { id: queued.id },
    );
    const [train, test] = data.job.versions;
    assert.equal(train.dataset.slug, 'tint-mul');
    assert.equal(test.dataset.slug, 'tint-mul-test');
    assert.equal(train.sampleCount, 1500);
    assert.equal(test.sampleCount, 200);
    assert.deepEqual(train.dataset.tags, ['tint', 'synthetic', 'mul', 'train']);

    const run = train.generatedBy;
    assert.equal(run.algorithm.key, 'tint');
    assert.equal(run.generatorModel, null);
    assert.deepEqual(run.inputs, []);
    assert.deepEqual(
      {
        op: run.params.op,
        digits: run.params.digits,
        n: run.params.n,
        testN: run.params.testN,
        static: run.params.static,
        dynamic: run.params.dynamic,
      },
      {
        op: 'mul',
        digits: [1, 3],
        n: 1500,
        testN: 200,
        static: { doc: 0.5, char: 0.3, line: 0 },
        dynamic: { doc: 0.2, p: 0.2 },
      },
    );
    assert.deepEqual(
      {
        calls: run.params.calls,
        lineCap: run.params.lineCap,
        seed: run.params.seed,
        split: run.params.split,
      },
      { calls: 'shown', lineCap: 300, seed: 1, split: 'train' },
    );
    const result = data.job.result;
    assert.match(run.notes, new RegExp(`1500 samples, ${result.train.noised} noised`));

    assert.equal(test.generatedBy.params.split, 'test');
    assert.equal(test.generatedBy.params.static, null);
    assert.deepEqual(test.generatedBy.inputs, [{ role: 'OTHER', version: { id: train.id } }]);
    assert.deepEqual(train.children, [{ role: 'OTHER', version: { id: test.id } }]);

    // The stored samples are exactly what the generator makes for these coordinates, in order.
    const spec = validateTIntSpec({
      op: 'mul',
      digits: [1, 3],
      n: 1500,
      testN: 200,
      static: { doc: 0.5, char: 0.3 },
      dynamic: { doc: 0.2, p: 0.2 },
      seed: 1,
    });
    const stored = rowsOf<{
      ordinal: number;
      prompt: string;
      response: string;
      reference: string;
      metadata: { tint: { noised: boolean } };
    }>(
      await server.database.db.execute(sql`select ordinal, prompt, response, reference, metadata from samples
        where version_id = ${result.train.versionId} and ordinal in (0, 1, 777, 1499) order by ordinal`),
    );
    for (const row of stored) {
      const expected = generateSample(spec, 'train', row.ordinal);
      assert.deepEqual(
        { prompt: row.prompt, response: row.response, reference: row.reference, metadata: row.metadata },
        expected,
      );
    }
    const noised = await count(
      server,
      sql`select count(*) as n from samples where version_id = ${result.train.versionId} and (metadata->'tint'->>'noised')::boolean`,
    );
    assert.equal(noised, result.train.noised);
    const testNoised = await count(
      server,
      sql`select count(*) as n from samples where version_id = ${result.test.versionId} and (metadata->'tint'->>'noised')::boolean`,
    );
    assert.equal(testNoised, 0);
  });

  it('returns the existing versions for an identical request, and the verifier metric sees the noise', async () => {
    const { generateTIntDataset: queued } = await server.ok(GENERATE, { input: INPUT });
    const job = await runJob(server.database, jobIdOf(queued.id));
    assert.equal(job.status, 'SUCCEEDED', job.error ?? '');
    const result = job.result as { train: { created: boolean; version: number }; test: { created: boolean } };
    assert.equal(result.train.created, false);
    assert.equal(result.train.version, 1);
    assert.equal(result.test.created, false);
    assert.equal(
      await count(server, sql`select count(*) as n from generation_runs`),
      2,
      'no second run recorded',
    );

    const versions = await server.ok(
      `{ dataset(slug: "tint-mul") { latestVersion { id } } test: dataset(slug: "tint-mul-test") { latestVersion { id } } }`,
    );
    for (const [slug, versionId] of [
      ['train', versions.dataset.latestVersion.id],
      ['test', versions.test.latestVersion.id],
    ] as const) {
      const { computeMetrics } = await server.ok(
        `mutation ($v: ID!) { computeMetrics(version: $v, metrics: ["quality.tint_trace_validity"]) { id } }`,
        { v: versionId },
      );
      assert.equal((await runJob(server.database, jobIdOf(computeMetrics.id))).status, 'SUCCEEDED');
      const { version } = await server.ok(
        `query ($v: ID!) { version(id: $v) { metrics { metric value details } } }`,
        { v: versionId },
      );
      const validity = version.metrics.find(
        (m: { metric: string }) => m.metric === 'quality.tint_trace_validity',
      );
      if (slug === 'test') {
        assert.equal(validity.value, 1);
        assert.equal(validity.details.cleanRate, 1);
      } else {
        assert.ok(validity.value < 0.9, `noised training split: ${validity.value}`);
        assert.ok(
          validity.details.localRate > 0.2 && validity.details.propagatingRate > 0.1,
          JSON.stringify(validity.details),
        );
      }
    }
  });

  it('refuses bad input before queueing anything, naming the field', async () => {
    const jobsBefore = await count(server, sql`select count(*) as n from jobs`);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ digits: { min: 5, max: 1 } }, /^digits: the range is reversed \(5 > 1\)/],
      [{ digits: { min: 1, max: 31 } }, /^digits: must be between 1 and 30 \(got 31\)/],
      [{ static: { doc: 1.5 } }, /^static\.doc: must be in \[0, 1\] \(got 1\.5\)/],
      [{ dynamic: { doc: 0.5, p: -0.1 } }, /^dynamic\.p: must be in \[0, 1\] \(got -0\.1\)/],
      [{ n: 0 }, /^n: must be between 1 and 50000 \(got 0\)/],
      [{ n: 50_001 }, /^n: must be between 1 and 50000 \(got 50001\)/],
      [{ digits: null, range: { min: '9', max: '1' } }, /^range: the range is reversed/],
      [{ range: { min: '1', max: '9' } }, /^digits: give either digits or range, not both/],
      [{ length: { min: 2, max: 3 } }, /^length: only list operations/],
      [{ dataset: 'Bad Slug' }, /^dataset: slug "Bad Slug" is invalid/],
      [{ testDataset: 'tint-mul' }, /^testDataset: the test split needs a dataset of its own/],
    ];
    for (const [change, message] of cases) {
      const result = await server.gql(GENERATE, { input: { ...INPUT, ...change } });
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(change));
      assert.match(result.errors![0]!.message, message);
    }
    const unknownOp = await server.gql(GENERATE, { input: { ...INPUT, op: 'POW' } });
    assert.match(unknownOp.errors![0]!.message, /POW/);
    assert.equal(await count(server, sql`select count(*) as n from jobs`), jobsBefore);
  });

  it('a generation stopped mid-split keeps nothing of that split, and a retry writes it identically', async () => {
    const versionsBefore = await count(server, sql`select count(*) as n from dataset_versions`);
    const samplesBefore = await count(server, sql`select count(*) as n from samples`);
    const job = await enqueueTIntGeneration(server.database.db, {
      dataset: 'tint-stop',
      op: 'add',
      digits: [3, 5],
      n: 6000,
      seed: 3,
    });
    const controller = new AbortController();
    const result = await runTIntGenerationJob({
      database: server.database,
      job,
      owner: 'test-owner',
      signal: controller.signal,
      stopReason: () => (controller.signal.aborted ? 'cancelled' : null),
      reportProgress: (done) => {
        if (done >= 3000) controller.abort();
      },
      logger: silentLogger,
    });
    assert.deepEqual(result, { stopped: 'cancelled', trainSamplesGenerated: 3000, testSamplesGenerated: 0 });
    assert.equal(await count(server, sql`select count(*) as n from dataset_versions`), versionsBefore);
    assert.equal(await count(server, sql`select count(*) as n from samples`), samplesBefore);

    const rerun = await runJob(server.database, job.id); // the queue still holds it: the real worker finishes it
    assert.equal(rerun.status, 'SUCCEEDED', rerun.error ?? '');
    assert.equal(await count(server, sql`select count(*) as n from samples`), samplesBefore + 6000);
  });

  it('cancelJob stops a running generation through the worker heartbeat while its split is written', async () => {
    const versionsBefore = await count(server, sql`select count(*) as n from dataset_versions`);
    const samplesBefore = await count(server, sql`select count(*) as n from samples`);
    const job = await enqueueTIntGeneration(server.database.db, {
      dataset: 'tint-cancel',
      op: 'mul',
      digits: [3, 5],
      n: 200_000,
      seed: 3,
    });
    const worker = testWorker(server.database, { onlyJobId: job.id });
    try {
      for (;;) {
        const [row] = rowsOf<{ progress_done: number }>(
          await server.database.db.execute(sql`select progress_done from jobs where id = ${job.id}`),
        );
        // On PGlite the split is then visibly being written: chunks of it are committed (STAGING).
        const staged =
          server.database.backend === 'pglite'
            ? await count(
                server,
                sql`select count(*) as n from samples s join dataset_versions v on v.id = s.version_id
                     where v.status = 'STAGING'`,
              )
            : 1;
        if (row!.progress_done >= 2000 && staged > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await requestCancel(server.database.db, job.id);
      const done = await waitForJob(server.database, job.id);
      assert.equal(done.status, 'CANCELLED');
      assert.equal((done.result as { stopped: string }).stopped, 'cancelled');
    } finally {
      await worker.stop();
    }
    assert.equal(await count(server, sql`select count(*) as n from dataset_versions`), versionsBefore);
    assert.equal(await count(server, sql`select count(*) as n from samples`), samplesBefore);
  });
});

describe('qdc tint', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'qdc-tint-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('generate: progress line, then each split with its counts', async () => {
    const run = await qdc(
      [
        'tint',
        'generate',
        '--op',
        'add',
        '--digits',
        '1-5',
        '--n',
        '3000',
        '--static',
        'doc=0.5,char=0.3',
        '--dynamic',
        'doc=0.2,p=0.2',
        '--seed',
        '1',
        '--dataset',
        'tint-add',
        '--test-n',
        '100',
        '--data-dir',
        join(dir, 'db'),
      ],
      { env: { QDC_PROGRESS_INTERVAL_MS: '0' } },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /^tint: queued job \d+ \(3,100 samples\)$/m);
    assert.match(run.stderr, /tint: \d+% [\d,]+ samples/);
    assert.match(
      run.stdout,
      /^train: tint-add@1 \(version id \d+\): 3000 samples, \d+ noised \(\d+ static, \d+ dynamic\), 0 cut at the line cap$/m,
    );
    assert.match(
      run.stdout,
      /^test: tint-add-test@1 \(version id \d+\): 100 samples, 0 noised \(0 static, 0 dynamic\), 0 cut at the line cap$/m,
    );
  });

  it('sample: prints samples without a database; bad flags fail with the reason', async () => {
    const run = await qdc([
      'tint',
      'sample',
      '--op',
      'add',
      '--digits',
      '2',
      '--seed',
      '7',
      '--count',
      '2',
      '--json',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const spec = validateTIntSpec({ op: 'add', digits: [2, 2], n: 2, seed: 7 });
    assert.deepEqual(lines, [generateSample(spec, 'train', 0), generateSample(spec, 'train', 1)]);

    const unknown = await qdc([
      'tint',
      'generate',
      '--op',
      'pow',
      '--n',
      '5',
      '--dataset',
      'x',
      '--data-dir',
      join(dir, 'db2'),
    ]);
    assert.notEqual(unknown.code, 0);
    assert.match(
      unknown.stderr,
      /op: unknown operation "pow"; valid operations are add, sub, mul, div, mod, sort, gcd, median/,
    );
    const noise = await qdc([
      'tint',
      'generate',
      '--op',
      'add',
      '--n',
      '5',
      '--static',
      'doc=0.5,chr=0.2',
      '--dataset',
      'x',
      '--data-dir',
      join(dir, 'db2'),
    ]);
    assert.match(noise.stderr, /static: unknown setting chr; use doc, char, line/);
    const help = await qdc(['tint', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--dynamic <spec>/);
  });
});
