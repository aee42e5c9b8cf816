/**
 * Job payloads are checked against their kind's schema: a payload that does not fit is refused
 * when it is queued, with nothing inserted, and a stored payload that does not fit fails its job,
 * for good and with the reason, when a worker claims it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import type { Database } from '../src/db/connect.js';
import { rowsOf } from '../src/db/sqlHelpers.js';
import { EMBED_VERSION, enqueueEmbedVersion } from '../src/embeddings/embedJob.js';
import { enqueueFindOverlap, FIND_OVERLAP } from '../src/embeddings/overlapJob.js';
import { enqueueTIntGeneration } from '../src/generation/tintJob.js';
import { JobPayloadError } from '../src/jobs/kinds.js';
import { enqueueJob } from '../src/jobs/queue.js';
import { COMPUTE_METRICS, enqueueComputeMetrics } from '../src/metricRuns/computeJob.js';
import { runJob } from './helpers/jobs.js';
import { storeVersion } from './helpers/metricData.js';
import { testEmbedders } from './helpers/testEmbedders.js';
import { openTestDatabase, testBackend } from './helpers/testDatabase.js';

describe(`job payloads (${testBackend})`, () => {
  let database: Database;
  let versionId: number;

  const jobCount = async () =>
    rowsOf<{ n: number }>(await database.db.execute(sql`select count(*)::int as n from jobs`))[0]!.n;
  const count = async (table: 'metric_results' | 'datasets' | 'sample_embeddings' | 'overlap_runs') =>
    rowsOf<{ n: number }>(
      await database.db.execute(sql`select count(*)::int as n from ${sql.identifier(table)}`),
    )[0]!.n;

  before(async () => {
    database = await openTestDatabase();
    versionId = await storeVersion(database, 'payloads', [
      { prompt: 'one', response: 'first answer' },
      { prompt: 'two', response: 'second answer' },
    ]);
  });
  after(() => database.close());

  it('refuses a payload that does not fit its kind at enqueue, inserting nothing', async () => {
    const before = await jobCount();
    await assert.rejects(
      enqueueJob(database.db, {
        kind: COMPUTE_METRICS,
        payload: { versionId: 1.5, metrics: [{ key: 'complexity.length', params: {} }] },
      }),
      (error: unknown) => {
        assert.ok(error instanceof JobPayloadError);
        assert.equal(error.code, 'BAD_USER_INPUT');
        assert.match(error.message, /^a metrics\.compute job payload is invalid: versionId: /);
        return true;
      },
    );
    await assert.rejects(
      enqueueJob(database.db, {
        kind: FIND_OVERLAP,
        payload: { versionId, againstId: versionId, space: '', threshold: 2 },
      }),
      /^JobPayloadError: a overlap\.find job payload is invalid: space: .*; threshold: /,
    );
    assert.equal(await jobCount(), before, 'no job row was inserted');

    const queued = await enqueueJob(database.db, {
      kind: EMBED_VERSION,
      payload: { versionId, space: 'qdc/lexical-hash@v1:fp32' },
    });
    assert.deepEqual(queued.payload, { versionId, space: 'qdc/lexical-hash@v1:fp32' });
    assert.equal(await jobCount(), before + 1);
  });

  it('fails a job whose stored payload does not fit, once and with the reason', async () => {
    const embedders = testEmbedders();
    const jobs = [
      {
        job: await enqueueComputeMetrics(database.db, versionId, ['complexity.length'], null),
        corrupt: { versionId: String(versionId), metrics: [] },
        reason:
          /^the stored payload of metrics\.compute job \d+ is invalid: versionId: Invalid input: expected number, received string$/,
      },
      {
        job: await enqueueTIntGeneration(database.db, { dataset: 'tint-payloads', op: 'add', n: 3 }),
        corrupt: { dataset: 'tint-payloads', testDataset: null, spec: { op: 'pow' } },
        reason:
          /^the stored payload of tint\.generate job \d+ is invalid: spec\.op: Invalid option: .*; spec\.digits: /,
      },
      {
        job: await enqueueEmbedVersion(database.db, embedders, versionId, null),
        corrupt: { versionId },
        reason:
          /^the stored payload of embeddings\.embed job \d+ is invalid: space: Invalid input: expected string, received undefined$/,
      },
      {
        job: await enqueueFindOverlap(database.db, embedders, { versionId, threshold: 0.9 }),
        corrupt: { versionId, againstId: versionId, space: 'qdc/lexical-hash@v1:fp32', threshold: 'high' },
        reason:
          /^the stored payload of overlap\.find job \d+ is invalid: threshold: Invalid input: expected number, received string$/,
      },
    ];
    for (const { job, corrupt } of jobs)
      await database.db.execute(
        sql`update jobs set payload = ${JSON.stringify(corrupt)}::jsonb where id = ${job.id}`,
      );

    for (const { job, reason } of jobs) {
      const finished = await runJob(database, job.id, embedders);
      assert.equal(finished.status, 'FAILED', `${job.kind} failed`);
      assert.match(finished.error ?? '', reason);
      assert.equal(finished.attempts, 1, `${job.kind} was not retried`);
      assert.ok(finished.error!.includes(`job ${job.id} `), 'the reason names the job');
    }
    assert.equal(await count('metric_results'), 0, 'the metrics job opened no result rows');
    assert.equal(await count('datasets'), 1, 'the TInt job created no dataset');
    assert.equal(await count('sample_embeddings'), 0, 'the embedding job stored no vectors');
    assert.equal(await count('overlap_runs'), 0, 'the overlap job opened no run');
  });
});
