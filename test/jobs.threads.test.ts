/**
 * Metric jobs off the request thread (issue #21 item 10): while a text metric spins on a
 * pathological sample in its worker thread, the GraphQL API keeps answering; the sample is left
 * out of that metric after the per-sample time budget with the reason, every other sample and
 * every other metric get the values of the in-process computation, and the job succeeds on its
 * first attempt instead of failing and being retried. A finalize past its own budget fails that
 * metric only; a cancel stops a thread that spins on a sample at once, not after the budget.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { createJobHandlers } from '../src/app.js';
import { rowsOf } from '../src/db/sqlHelpers.js';
import { metricDefinitions, metricResults, sampleScores, samples as samplesTable } from '../src/db/schema.js';
import { getJob, requestCancel } from '../src/jobs/queue.js';
import { startWorker, type RunningWorker } from '../src/jobs/worker.js';
import { silentLogger } from '../src/logger.js';
import { enqueueComputeMetrics } from '../src/metricRuns/computeJob.js';
import { MetricThreads } from '../src/metricRuns/metricThreads.js';
import { resolveParams } from '../src/metrics/params.js';
import { requireMetric } from '../src/metrics/registry.js';
import { runInMemory } from '../src/metrics/runInMemory.js';
import type { MetricSample } from '../src/metrics/types.js';
import { waitForJob } from './helpers/jobs.js';
import { randomSamples, storeVersion, versionSamples } from './helpers/metricData.js';
import {
  PATHOLOGICAL,
  SLOW_FINALIZE_METRIC_KEY,
  SLOW_METRIC_KEY,
  SLOW_METRIC_MODULE,
  SLOW_PREPASS_METRIC_KEY,
} from './helpers/slowMetric.js';
import { startTestServer, type TestServer } from './helpers/testServer.js';

const BUDGET_MS = 1500;
const SLOW_ORDINAL = 17;
/** Real text metrics run in the same thread; self_repetition has a prepass, which the rebuild replays. */
const OTHER_METRICS = [
  'quality.answer_match',
  'quality.heuristic_quality',
  'complexity.readability',
  'diversity.distinct_n',
  'diversity.self_repetition',
  'diversity.self_bleu',
];

/** A worker that runs metric jobs for `server` with their text metrics in `threads`. */
function startThreadWorker(server: TestServer, threads: MetricThreads, leaseMs: number): RunningWorker {
  return startWorker(server.database, {
    handlers: createJobHandlers({ embedders: server.embedders, metricThreads: threads }),
    concurrency: 1,
    leaseMs,
    pollMs: 25,
    backoffMs: 50,
    logger: silentLogger,
  });
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

describe('metric jobs in worker threads', () => {
  let server: TestServer;
  let worker: RunningWorker;
  let threads: MetricThreads;
  let versionId: number;
  let samples: MetricSample[];
  let dir: string;

  before(async () => {
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'qdc-threads-'));
    const input = randomSamples(40, 21);
    input[SLOW_ORDINAL]!.response += ` ${PATHOLOGICAL}`;
    versionId = await storeVersion(server.database, 'threads', input);
    samples = await versionSamples(server.database, versionId);
    threads = new MetricThreads({
      enabled: true,
      sampleBudgetMs: BUDGET_MS,
      finalizeBudgetMs: BUDGET_MS,
      modules: [SLOW_METRIC_MODULE],
    });
    worker = startThreadWorker(server, threads, 5000);
  });
  after(async () => {
    await worker.stop();
    await threads.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'answers the API during a stalled sample, then leaves the sample out with the budget reason',
    { timeout: 120_000 },
    async () => {
      const marker = join(dir, 'slow-started');
      const params = { [SLOW_METRIC_KEY]: { marker } };
      const job = await enqueueComputeMetrics(
        server.database.db,
        versionId,
        [SLOW_METRIC_KEY, ...OTHER_METRICS],
        params,
      );

      // The thread is now spinning on the pathological sample (for ten minutes, were it not stopped).
      while (!existsSync(marker)) await sleep(10);
      const answered = await server.ok(`{ datasets(first: 5) { edges { node { slug } } } }`);
      assert.deepEqual(
        answered.datasets.edges.map((e: { node: { slug: string } }) => e.node.slug),
        ['threads'],
      );
      // Answered while the job was still on that sample: not finished, no result closed yet.
      assert.equal((await getJob(server.database.db, job.id))!.status, 'RUNNING');
      const [open] = rowsOf<{ n: string | number }>(
        await server.database.db.execute(
          sql`select count(*) as n from ${metricResults} where ${metricResults.jobId} = ${job.id} and ${metricResults.status} <> 'RUNNING'`,
        ),
      );
      assert.equal(Number(open!.n), 0);

      const finished = await waitForJob(server.database, job.id);
      assert.equal(finished.status, 'SUCCEEDED', finished.error ?? '');
      assert.equal(finished.attempts, 1);

      const byKey = await resultsByKey(job.id);

      // The slow metric: PARTIAL, the sample named with the reason, the rest as computed in-process.
      const slow = byKey.get(SLOW_METRIC_KEY)!;
      const reason = `exceeded the per-sample time budget of ${BUDGET_MS} ms`;
      assert.equal(slow.status, 'PARTIAL');
      assert.equal(slow.statusReason, `1 sample left out (ordinal ${SLOW_ORDINAL}): ${reason}`);
      assert.equal(slow.samplesDone, samples.length - 1);
      assert.deepEqual((slow.details as Record<string, unknown>).skippedSamples, [
        { ordinal: SLOW_ORDINAL, pass: 'main', reason },
      ]);
      const others = samples.filter((s) => s.ordinal !== SLOW_ORDINAL);
      const slowMetric = requireMetric(SLOW_METRIC_KEY);
      const expectedSlow = await runInMemory(slowMetric, resolveParams(slowMetric, { marker }), others);
      assert.equal(slow.value, expectedSlow.outcome.value);
      assert.equal(slow.n, others.length);
      assert.deepEqual(await storedValues(slow.id), valuesByOrdinal(expectedSlow.sampleValues));

      // Every other metric saw every sample, as in-process.
      for (const key of OTHER_METRICS) {
        const result = byKey.get(key)!;
        const metric = requireMetric(key);
        const expected = await runInMemory(metric, resolveParams(metric, {}), samples);
        assert.equal(result.status, 'COMPLETE', `${key}: ${result.statusReason}`);
        assert.equal(result.value, expected.outcome.value, key);
        assert.equal(result.n, expected.outcome.n, key);
        assert.deepEqual(await storedValues(result.id), valuesByOrdinal(expected.sampleValues), key);
      }
    },
  );

  it(
    'leaves out a sample that stalls a prepass, and rebuilds the thread mid-prepass',
    { timeout: 120_000 },
    async () => {
      const marker = join(dir, 'slow-prepass-started');
      const job = await enqueueComputeMetrics(
        server.database.db,
        versionId,
        [SLOW_PREPASS_METRIC_KEY, 'diversity.self_repetition', 'complexity.length'],
        { [SLOW_PREPASS_METRIC_KEY]: { marker } },
      );
      while (!existsSync(marker)) await sleep(10);
      await server.ok(`{ datasets(first: 1) { edges { node { slug } } } }`);
      assert.equal((await getJob(server.database.db, job.id))!.status, 'RUNNING');

      const finished = await waitForJob(server.database, job.id);
      assert.equal(finished.status, 'SUCCEEDED', finished.error ?? '');
      assert.equal(finished.attempts, 1);
      const byKey = await resultsByKey(job.id);

      const slow = byKey.get(SLOW_PREPASS_METRIC_KEY)!;
      const reason = `exceeded the per-sample time budget of ${BUDGET_MS} ms`;
      assert.equal(slow.status, 'PARTIAL');
      assert.equal(slow.statusReason, `1 sample left out (ordinal ${SLOW_ORDINAL}): ${reason}`);
      assert.deepEqual((slow.details as Record<string, unknown>).skippedSamples, [
        { ordinal: SLOW_ORDINAL, pass: 'prepass', reason },
      ]);
      // Left out of both passes: the prepass counted the other samples only.
      const others = samples.filter((s) => s.ordinal !== SLOW_ORDINAL);
      const metric = requireMetric(SLOW_PREPASS_METRIC_KEY);
      const expected = await runInMemory(metric, resolveParams(metric, { marker }), others);
      assert.equal(slow.value, expected.outcome.value);
      assert.deepEqual(await storedValues(slow.id), valuesByOrdinal(expected.sampleValues));

      for (const key of ['diversity.self_repetition', 'complexity.length']) {
        const result = byKey.get(key)!;
        const other = requireMetric(key);
        const all = await runInMemory(other, resolveParams(other, {}), samples);
        assert.equal(result.status, 'COMPLETE', `${key}: ${result.statusReason}`);
        assert.equal(result.value, all.outcome.value, key);
        assert.deepEqual(await storedValues(result.id), valuesByOrdinal(all.sampleValues), key);
      }
    },
  );

  it(
    'fails only the metric whose finalize runs past its budget; the others keep their results',
    { timeout: 120_000 },
    async () => {
      const marker = join(dir, 'slow-finalize-started');
      // The slow one is finalized first: the thread is rebuilt for the two after it.
      const rest = ['complexity.length', 'diversity.self_repetition'];
      const job = await enqueueComputeMetrics(
        server.database.db,
        versionId,
        [SLOW_FINALIZE_METRIC_KEY, ...rest],
        { [SLOW_FINALIZE_METRIC_KEY]: { marker } },
      );
      const finished = await waitForJob(server.database, job.id);
      assert.equal(finished.status, 'SUCCEEDED', finished.error ?? '');
      assert.equal(finished.attempts, 1);
      assert.ok(existsSync(marker));
      const byKey = await resultsByKey(job.id);

      const slow = byKey.get(SLOW_FINALIZE_METRIC_KEY)!;
      assert.equal(slow.status, 'FAILED');
      assert.equal(
        slow.statusReason,
        `finalize exceeded the time budget of ${BUDGET_MS} ms (QDC_JOB_FINALIZE_BUDGET_MS)`,
      );
      assert.equal(slow.value, null);
      for (const key of rest) {
        const result = byKey.get(key)!;
        const metric = requireMetric(key);
        const all = await runInMemory(metric, resolveParams(metric, {}), samples);
        assert.equal(result.status, 'COMPLETE', `${key}: ${result.statusReason}`);
        assert.equal(result.value, all.outcome.value, key);
        assert.equal(result.n, all.outcome.n, key);
        assert.deepEqual(await storedValues(result.id), valuesByOrdinal(all.sampleValues), key);
      }
    },
  );

  const resultsByKey = (jobId: number) => resultsByKeyOf(server, jobId);
  const storedValues = (resultId: number) => storedValuesOf(server, resultId);
});

/** The results of a job, by metric key. */
async function resultsByKeyOf(server: TestServer, jobId: number) {
  const results = await server.database.db
    .select()
    .from(metricResults)
    .where(sql`${metricResults.jobId} = ${jobId}`);
  const keyOf = new Map(
    (await server.database.db.select().from(metricDefinitions)).map((d) => [d.id, d.key]),
  );
  return new Map(results.map((r) => [keyOf.get(r.definitionId!)!, r]));
}

/** A result's stored per-sample values, by ordinal. */
async function storedValuesOf(server: TestServer, resultId: number): Promise<Array<[number, number]>> {
  return rowsOf<{ ordinal: number; value: number }>(
    await server.database.db.execute(sql`
        select ${samplesTable.ordinal} as ordinal, ${sampleScores.value} as value
        from ${sampleScores} join ${samplesTable} on ${samplesTable.id} = ${sampleScores.sampleId}
        where ${sampleScores.resultId} = ${resultId} order by 1`),
  ).map((r) => [r.ordinal, r.value]);
}

function valuesByOrdinal(values: ReadonlyArray<{ ordinal: number; value: number }>): Array<[number, number]> {
  return values.map((v): [number, number] => [v.ordinal, v.value]).sort((a, b) => a[0] - b[0]);
}

describe('stopping a metric job whose thread spins on a sample', () => {
  let server: TestServer;
  let worker: RunningWorker;
  let threads: MetricThreads;
  let dir: string;

  before(async () => {
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'qdc-threads-cancel-'));
    // A budget far past the test's timeout: only the cancel can stop the sample in time.
    threads = new MetricThreads({ enabled: true, sampleBudgetMs: 600_000, modules: [SLOW_METRIC_MODULE] });
    worker = startThreadWorker(server, threads, 3000);
  });
  after(async () => {
    await worker.stop();
    await threads.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'terminates the thread mid-sample and records the batches done as PARTIAL',
    { timeout: 60_000 },
    async () => {
      // Three batches of 1000; the second one's first sample spins.
      const input = randomSamples(2500, 5);
      input[1000]!.response += ` ${PATHOLOGICAL}`;
      const versionId = await storeVersion(server.database, 'cancel', input);
      const samples = await versionSamples(server.database, versionId);
      const marker = join(dir, 'slow-started');
      const job = await enqueueComputeMetrics(
        server.database.db,
        versionId,
        [SLOW_METRIC_KEY, 'complexity.length'],
        { [SLOW_METRIC_KEY]: { marker } },
      );
      while (!existsSync(marker)) await sleep(10);
      await requestCancel(server.database.db, job.id);

      const finished = await waitForJob(server.database, job.id, 50_000);
      assert.equal(finished.status, 'CANCELLED', finished.error ?? '');
      const byKey = await resultsByKeyOf(server, job.id);

      // Both metrics ran in the thread: the first batch's values are stored, and the accumulators
      // went with the thread, so there is no value.
      const first = samples.slice(0, 1000);
      for (const key of [SLOW_METRIC_KEY, 'complexity.length']) {
        const result = byKey.get(key)!;
        assert.equal(result.status, 'PARTIAL', key);
        assert.equal(
          result.statusReason,
          'cancelled after 1000 of 2500 samples; the metric thread was stopped mid-batch, so no value',
          key,
        );
        assert.equal(result.samplesDone, 1000, key);
        assert.equal(result.value, null, key);
        const metric = requireMetric(key);
        const expected = await runInMemory(
          metric,
          resolveParams(metric, key === SLOW_METRIC_KEY ? { marker } : {}),
          first,
        );
        assert.deepEqual(
          await storedValuesOf(server, result.id),
          valuesByOrdinal(expected.sampleValues),
          key,
        );
      }
    },
  );

  it('terminates the thread mid-sample on shutdown and hands the job back', { timeout: 60_000 }, async () => {
    const input = randomSamples(1500, 6);
    input[1000]!.response += ` ${PATHOLOGICAL}`;
    const versionId = await storeVersion(server.database, 'shutdown', input);
    const marker = join(dir, 'slow-started-shutdown');
    const job = await enqueueComputeMetrics(server.database.db, versionId, [SLOW_METRIC_KEY], {
      [SLOW_METRIC_KEY]: { marker },
    });
    while (!existsSync(marker)) await sleep(10);
    // Returns once the job has stopped: not after the ten-minute budget.
    await worker.stop();

    const handedBack = (await getJob(server.database.db, job.id))!;
    assert.equal(handedBack.status, 'QUEUED');
    const slow = (await resultsByKeyOf(server, job.id)).get(SLOW_METRIC_KEY)!;
    assert.equal(slow.status, 'PARTIAL');
    assert.equal(
      slow.statusReason,
      'shutdown after 1000 of 1500 samples; the metric thread was stopped mid-batch, so no value',
    );
    assert.equal(slow.samplesDone, 1000);
  });
});
