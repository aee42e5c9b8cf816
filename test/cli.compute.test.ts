/** `qdc compute` and `qdc metrics` as real processes: direct on a PGlite data dir, and through a server. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openCatalog } from '../src/app.js';
import { toGlobalId } from '../src/globalId.js';
import { testWorker } from './helpers/jobs.js';
import { storeVersion } from './helpers/metricData.js';
import { startTestServer, type TestServer } from './helpers/testServer.js';
import { qdc } from './helpers/cli.js';

/** Responses of 1..5 tokens, each on 1 line; 3000 copies with distinct prompts so progress has something to show. */
const SAMPLES = Array.from({ length: 3000 }, (_, i) => ({
  prompt: `question ${i}`,
  response: Array.from({ length: (i % 5) + 1 }, () => 'word').join(' '),
}));

describe('qdc compute / qdc metrics on a data directory', () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'qdc-compute-'));
    const database = await openCatalog({ dataDir: join(dir, 'db') });
    await storeVersion(database, 'demo', SAMPLES);
    await database.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the job with a progress line and prints the results table', async () => {
    const run = await qdc(
      [
        'compute',
        'demo@1',
        '--metrics',
        'complexity.length,diversity.distinct_n',
        '--param',
        'diversity.distinct_n:n=1',
        '--data-dir',
        join(dir, 'db'),
      ],
      { env: { QDC_PROGRESS_INTERVAL_MS: '0' } },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /^compute: queued job \d+ on version \d+ \(3000 samples\)$/m);
    assert.match(run.stderr, /compute: \d+% [\d,]+ samples/, 'a progress line with percent');
    assert.match(run.stderr, /compute: 3,000 samples in /, 'the final line');
    // Mean length of 1..5 repeated = 3; distinct unigrams: only "word" -> 1 / (600 * 15) = 1/9000.
    const lines = run.stdout.split('\n');
    assert.match(lines[0]!, /^metric\s+value\s+n\s+estimator\s+status\s+params \(non-default\)$/);
    assert.match(run.stdout, /^complexity\.length\s+3\s+3000\s+EXACT\s+COMPLETE\s+field=response$/m);
    assert.match(
      run.stdout,
      /^diversity\.distinct_n\s+0\.0001111\s+3000\s+EXACT\s+COMPLETE\s+field=response n=1$/m,
    );
  });

  it('prints stored results as a table and as JSON', async () => {
    const table = await qdc(['metrics', 'demo', '--data-dir', join(dir, 'db')]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^complexity\.length\s+3\s+3000/m);
    const json = await qdc(['metrics', 'demo@1', '--json', '--data-dir', join(dir, 'db')]);
    const rows = JSON.parse(json.stdout) as Array<{
      metric: string;
      value: number;
      params: Record<string, unknown>;
    }>;
    assert.deepEqual(rows.find((r) => r.metric === 'diversity.distinct_n')!.params, {
      field: 'response',
      n: 1,
    });
    assert.equal(rows.find((r) => r.metric === 'diversity.distinct_n')!.value, 1 / 9000);
  });

  it('refuses unknown metrics and bad parameters before queueing anything', async () => {
    const unknown = await qdc([
      'compute',
      'demo',
      '--metrics',
      'diversity.nope',
      '--data-dir',
      join(dir, 'db'),
    ]);
    assert.notEqual(unknown.code, 0);
    assert.match(
      unknown.stderr,
      /unknown metric "diversity\.nope"; valid keys are complexity\.ifd, complexity\.length, /,
    );
    const range = await qdc([
      'compute',
      'demo',
      '--metrics',
      'diversity.distinct_n',
      '--param',
      'n=9',
      '--data-dir',
      join(dir, 'db'),
    ]);
    assert.notEqual(range.code, 0);
    assert.match(range.stderr, /parameter "n" must be an integer from 1 to 4 \(got 9\)/);
    const syntax = await qdc(['compute', 'demo', '--param', 'n', '--data-dir', join(dir, 'db')]);
    assert.equal(syntax.code, 2);
    assert.match(syntax.stderr, /--param "n" must look like name=value/);
    const help = await qdc(['compute', '--help']);
    assert.match(
      help.stdout,
      /Metrics: complexity\.ifd, complexity\.length, .*quality\.heuristic_quality, .*quality\.tint_trace_validity\./,
    );
  });
});

describe('qdc compute --server', () => {
  let server: TestServer;
  let versionId: string;
  before(async () => {
    server = await startTestServer();
    versionId = toGlobalId(
      'DatasetVersion',
      await storeVersion(server.database, 'remote', SAMPLES.slice(0, 50)),
    );
  });
  after(() => server.stop());

  it('queues the job on the server, follows it, and prints the table', async () => {
    const worker = testWorker(server.database);
    try {
      const run = await qdc([
        'compute',
        versionId,
        '--server',
        server.url,
        '--metrics',
        'complexity.steps',
        '--no-progress',
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^complexity\.steps\s+1\s+50\s+EXACT\s+COMPLETE\s+field=response$/m);
      const queued = await qdc([
        'compute',
        'remote@1',
        '--server',
        server.url,
        '--metrics',
        'complexity.length',
        '--no-wait',
      ]);
      assert.equal(queued.code, 0, queued.stderr);
      assert.match(queued.stderr, /compute: queued job \S+ on version/);
      assert.equal(queued.stdout, '');
    } finally {
      await worker.stop();
    }
  });
});
