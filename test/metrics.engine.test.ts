/**
 * The metric engine end to end on a real database: GraphQL computeMetrics -> a job -> the real
 * worker -> stored results with provenance, checked against the same metrics run in memory; bad
 * input; PARTIAL on stop; a job whose worker vanished finished by another with no duplicates;
 * cancel; and the registry-wide shard-merge property.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../src/db/sqlHelpers.js';
import { toGlobalId } from '../src/globalId.js';
import { claimJob, enqueueJob, getJob, withLease } from '../src/jobs/queue.js';
import type { StopReason } from '../src/jobs/worker.js';
import { silentLogger } from '../src/logger.js';
import {
  enqueueComputeMetrics,
  runComputeMetricsJob,
  METRIC_BATCH_SIZE,
  COMPUTE_METRICS,
} from '../src/metricRuns/computeJob.js';
import { resolveParams } from '../src/metrics/params.js';
import { METRICS, requireMetric } from '../src/metrics/registry.js';
import { inMemoryJudge } from './helpers/inMemoryJudge.js';
import { defaultMetrics } from '../src/metricRuns/metricRequests.js';
import { lexicalEmbedding } from '../src/embeddings/lexicalEmbedder.js';
import { runInMemory } from '../src/metrics/runInMemory.js';
import type { MetricSample } from '../src/metrics/types.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbedderRegistry } from '../src/embeddings/registry.js';
import { runJob, testWorker, waitForJob } from './helpers/jobs.js';
import { testEmbeddingConfig } from './helpers/testEmbedders.js';
import { TINY_CAUSAL_LM_ID, writeTinyCausalLm } from './helpers/tinyCausalLm.js';
import { randomSamples, storeVersion, versionSamples } from './helpers/metricData.js';
import { prng } from './helpers/prng.js';
import { startTestServer, type TestServer } from './helpers/testServer.js';

const RESULT_FIELDS =
  'id metric value n samplesDone estimator seed sampleSize params paramsHash status statusReason details job { id status }';

function jobIdOf(globalId: string): number {
  return Number(Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1]);
}

async function count(server: TestServer, query: ReturnType<typeof sql>): Promise<number> {
  return Number(rowsOf<{ n: string | number }>(await server.database.db.execute(query))[0]!.n);
}

describe('metric engine', () => {
  let server: TestServer;
  let versionId: number;
  let samples: MetricSample[];

  before(async () => {
    server = await startTestServer();
    versionId = await storeVersion(server.database, 'engine', randomSamples(120, 7));
    samples = await versionSamples(server.database, versionId);
  });
  after(() => server.stop());

  it('computes every built-in metric through a job, equal to the in-memory run, with provenance', async () => {
    const data = await server.ok(
      `mutation ($v: ID!) { computeMetrics(version: $v) { id status progress { done total } } }`,
      {
        v: toGlobalId('DatasetVersion', versionId),
      },
    );
    assert.equal(data.computeMetrics.status, 'QUEUED');
    // Not embedded: "every metric" means every text metric (embedding metrics are tested in embeddings.metrics.test.ts).
    const textMetrics = defaultMetrics(false);
    assert.ok(textMetrics.every((m) => m.input !== 'embedding') && textMetrics.length < METRICS.length);
    const hasPrepass = textMetrics.some((m) => m.prepass);
    assert.equal(data.computeMetrics.progress.total, 120 * (hasPrepass ? 2 : 1));
    const job = await runJob(server.database, jobIdOf(data.computeMetrics.id));
    assert.equal(job.status, 'SUCCEEDED', job.error ?? '');
    assert.equal(job.progressDone, job.progressTotal);

    const { version } = await server.ok(
      `query ($v: ID!) { version(id: $v) { metrics { ${RESULT_FIELDS} } } }`,
      {
        v: toGlobalId('DatasetVersion', versionId),
      },
    );
    assert.deepEqual(
      version.metrics.map((r: { metric: string }) => r.metric).sort(),
      textMetrics.map((m) => m.key).sort(),
    );
    for (const metric of textMetrics) {
      const stored = version.metrics.find((r: { metric: string }) => r.metric === metric.key);
      const params = resolveParams(metric, {});
      const expected = await runInMemory(metric, params, samples);
      assert.equal(stored.value, expected.outcome.value, metric.key);
      assert.equal(stored.n, expected.outcome.n, metric.key);
      assert.equal(stored.estimator, expected.outcome.estimator, metric.key);
      assert.equal(stored.status, expected.outcome.value === null ? 'FAILED' : 'COMPLETE', metric.key);
      assert.equal(stored.samplesDone, 120);
      assert.deepEqual(stored.params, params);
      assert.deepEqual(stored.details, JSON.parse(JSON.stringify(expected.outcome.details)), metric.key);
      assert.equal(stored.job.status, 'SUCCEEDED');
      const resultId = jobIdOf(stored.id);
      const scores = rowsOf<{ ordinal: number; value: number }>(
        await server.database.db.execute(
          sql`select s.ordinal, ss.value from sample_scores ss join samples s on s.id = ss.sample_id where ss.result_id = ${resultId} order by s.ordinal`,
        ),
      );
      const emitted = [...expected.sampleValues].sort((a, b) => a.ordinal - b.ordinal);
      assert.deepEqual(
        scores.map((s) => [s.ordinal, Number(s.value)]),
        emitted.map((v) => [v.ordinal, v.value]),
        `${metric.key} per-sample values`,
      );
    }
  });

  it('gives the same values when run again (same input, params and seed)', async () => {
    const v = toGlobalId('DatasetVersion', versionId);
    const metrics = ['diversity.self_bleu', 'diversity.homogenization_rougeL', 'diversity.compression_ratio'];
    const params = { subsetSize: 50, seed: 3 };
    const values: number[][] = [];
    for (let run = 0; run < 2; run++) {
      const data = await server.ok(
        `mutation ($v: ID!, $m: [String!], $p: JSON) { computeMetrics(version: $v, metrics: $m, params: $p) { id } }`,
        {
          v,
          m: metrics,
          p: params,
        },
      );
      await runJob(server.database, jobIdOf(data.computeMetrics.id));
      const { version } = await server.ok(
        `query ($v: ID!, $k: [String!]) { version(id: $v) { metrics(keys: $k) { metric value estimator sampleSize seed params } } }`,
        {
          v,
          k: metrics,
        },
      );
      const sampled = version.metrics.filter(
        (r: { params: { subsetSize?: number } }) => r.params.subsetSize === 50,
      );
      assert.equal(sampled.length, 2);
      for (const r of sampled) {
        assert.equal(r.estimator, 'SAMPLED');
        assert.equal(r.sampleSize, 50);
        assert.equal(r.seed, 3);
      }
      values.push(
        metrics.map(
          (key) =>
            version.metrics.find(
              (r: { metric: string; params: Record<string, unknown> }) =>
                r.metric === key && (r.params.subsetSize ?? 50) === 50,
            ).value,
        ),
      );
    }
    assert.deepEqual(values[0], values[1]);
    // Only the newest result per (metric, params) is listed, so re-running never duplicates entries.
    const { version } = await server.ok(
      `query ($v: ID!) { version(id: $v) { metrics(keys: ["diversity.self_bleu"]) { params } } }`,
      { v },
    );
    assert.equal(version.metrics.length, 2, 'default-params result and subsetSize=50 result');
  });

  it('refuses unknown metrics and bad parameters with the allowed values', async () => {
    const v = toGlobalId('DatasetVersion', versionId);
    const run = (metrics: unknown, params?: unknown) =>
      server.gql(
        `mutation ($v: ID!, $m: [String!], $p: JSON) { computeMetrics(version: $v, metrics: $m, params: $p) { id } }`,
        { v, m: metrics, p: params },
      );

    const unknown = await run(['diversity.nope']);
    assert.equal(unknown.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(
      unknown.errors![0]!.message,
      /unknown metric "diversity.nope"; valid keys are .*diversity\.distinct_n/,
    );
    assert.ok((unknown.errors![0]!.extensions!.validKeys as string[]).includes('quality.answer_match'));

    const range = await run(['diversity.distinct_n'], { 'diversity.distinct_n': { n: 7 } });
    assert.match(
      range.errors![0]!.message,
      /diversity\.distinct_n parameter "n" must be an integer from 1 to 4 \(got 7\)/,
    );
    assert.equal(range.errors![0]!.extensions!.param, 'n');

    const type = await run(['diversity.distinct_n'], { 'diversity.distinct_n': { n: '2' } });
    assert.match(type.errors![0]!.message, /must be an integer from 1 to 4 \(got "2"\)/);

    const field = await run(['complexity.length'], { field: 'answer' });
    assert.match(field.errors![0]!.message, /"field" must be one of prompt, response, prompt\+response/);

    const stray = await run(['complexity.length'], { 'complexity.length': { colour: 1 } });
    assert.match(stray.errors![0]!.message, /has no parameter "colour"; its parameters are field/);

    const notRequested = await run(['complexity.length'], { seed: 1 });
    assert.match(notRequested.errors![0]!.message, /no requested metric has a parameter "seed"/);

    const missing = await server.gql(
      `mutation { computeMetrics(version: "${toGlobalId('DatasetVersion', 999999)}") { id } }`,
    );
    assert.equal(missing.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    assert.equal(
      await count(server, sql`select count(*) as n from jobs where status = 'QUEUED'`),
      0,
      'no job was queued',
    );
  });

  it('records FAILED with a reason when the chosen field has no text', async () => {
    const promptsOnly = await storeVersion(server.database, 'prompts-only', [
      { prompt: 'only a prompt' },
      { prompt: 'another one' },
    ]);
    const job = await enqueueComputeMetrics(
      server.database.db,
      promptsOnly,
      ['diversity.distinct_n', 'complexity.readability', 'quality.answer_match'],
      null,
    );
    const finished = await runJob(server.database, job.id);
    assert.equal(finished.status, 'SUCCEEDED');
    const { version } = await server.ok(
      `query ($v: ID!) { version(id: $v) { metrics { metric status statusReason value } } }`,
      {
        v: toGlobalId('DatasetVersion', promptsOnly),
      },
    );
    for (const result of version.metrics) {
      assert.equal(result.status, 'FAILED', result.metric);
      assert.equal(result.value, null);
      assert.ok(result.statusReason && result.statusReason.length > 5, `${result.metric} says why`);
    }
    // The same metric on the prompt field works.
    const onPrompt = await enqueueComputeMetrics(server.database.db, promptsOnly, ['diversity.distinct_n'], {
      field: 'prompt',
      'diversity.distinct_n': { n: 1 },
    });
    await runJob(server.database, onPrompt.id);
    const [row] = rowsOf<{ value: number; status: string }>(
      await server.database.db.execute(
        sql`select value, status from metric_results where job_id = ${onPrompt.id}`,
      ),
    );
    // "only a prompt another one": 5 unigrams, all distinct.
    assert.equal(row!.status, 'COMPLETE');
    assert.equal(Number(row!.value), 1);

    // succeededOnly leaves the failed runs out and keeps the good one.
    const v = toGlobalId('DatasetVersion', promptsOnly);
    const succeeded = await server.ok(
      `query ($v: ID!) { version(id: $v) { metrics(succeededOnly: true) { metric status value } } }`,
      { v },
    );
    assert.deepEqual(succeeded.version.metrics, [
      { metric: 'diversity.distinct_n', status: 'COMPLETE', value: 1 },
    ]);
    const both = await server.gql(
      `query ($v: ID!) { version(id: $v) { metrics(succeededOnly: true, includeRunning: true) { metric } } }`,
      { v },
    );
    assert.equal(both.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(both.errors?.[0]?.message ?? '', /succeededOnly and includeRunning/);
  });

  it('records PARTIAL with the count done when a run is stopped, and the job can be finished later', async () => {
    const big = await storeVersion(server.database, 'partial', randomSamples(2500, 11));
    const job = await enqueueComputeMetrics(
      server.database.db,
      big,
      ['complexity.length', 'diversity.distinct_n'],
      null,
    );
    const claimed = (await claimJob(server.database.db, 'test-owner', 60_000, ['metrics.compute'], job.id))!;
    const controller = new AbortController();
    let reason: StopReason | null = null;
    const summary = await runComputeMetricsJob({
      database: server.database,
      job: claimed,
      owner: 'test-owner',
      signal: controller.signal,
      stopReason: () => reason,
      reportProgress(done) {
        if (done >= METRIC_BATCH_SIZE && !reason) {
          reason = 'cancelled';
          controller.abort();
        }
      },
      logger: silentLogger,
    });
    assert.equal(summary.processed, METRIC_BATCH_SIZE);
    const rows = rowsOf<{
      status: string;
      samples_done: number;
      status_reason: string;
      value: number | null;
      n: number;
    }>(
      await server.database.db.execute(
        sql`select status, samples_done, status_reason, value, n from metric_results where job_id = ${job.id}`,
      ),
    );
    assert.equal(rows.length, 2);
    const firstBatch = (await versionSamples(server.database, big)).slice(0, METRIC_BATCH_SIZE);
    for (const row of rows) {
      assert.equal(row.status, 'PARTIAL');
      assert.equal(row.samples_done, METRIC_BATCH_SIZE);
      assert.equal(row.status_reason, `cancelled after ${METRIC_BATCH_SIZE} of 2500 samples`);
      assert.equal(row.n, METRIC_BATCH_SIZE);
    }
    const partialLength = rows.find((r) => r.n === METRIC_BATCH_SIZE && r.value !== null)!;
    assert.ok(partialLength);
    const expected = await runInMemory(requireMetric('complexity.length'), { field: 'response' }, firstBatch);
    assert.ok(
      rows.some((r) => Number(r.value) === expected.outcome.value),
      'the PARTIAL value is the value over the samples done',
    );
  });

  it('finishes a job whose worker vanished, reusing its result rows (no duplicate results or scores)', async () => {
    const big = await storeVersion(server.database, 'vanished', randomSamples(2200, 5));
    const job = await enqueueComputeMetrics(
      server.database.db,
      big,
      ['complexity.length', 'quality.heuristic_quality'],
      null,
    );
    // A "worker" that claims the job with a short lease, gets one batch in, then stops renewing.
    const claimed = (await claimJob(server.database.db, 'ghost', 300, ['metrics.compute'], job.id))!;
    const controller = new AbortController();
    await runComputeMetricsJob({
      database: server.database,
      job: claimed,
      owner: 'ghost',
      signal: controller.signal,
      stopReason: () => (controller.signal.aborted ? 'lease-lost' : null),
      reportProgress(done) {
        if (done >= METRIC_BATCH_SIZE) controller.abort();
      },
      logger: silentLogger,
    });
    const ghostRows = rowsOf<{ id: string; status: string }>(
      await server.database.db.execute(
        sql`select id, status from metric_results where job_id = ${job.id} order by id`,
      ),
    );
    assert.deepEqual(
      ghostRows.map((r) => r.status),
      ['RUNNING', 'RUNNING'],
      'the vanished worker left its rows RUNNING',
    );
    assert.equal(
      await count(
        server,
        sql`select count(*) as n from sample_scores where result_id = ${Number(ghostRows[0]!.id)}`,
      ),
      METRIC_BATCH_SIZE,
    );

    const finished = await runJob(server.database, job.id); // claims it once the 300 ms lease has run out
    assert.equal(finished.status, 'SUCCEEDED');
    assert.equal(finished.attempts, 2);
    const rows = rowsOf<{ id: string; status: string; samples_done: number }>(
      await server.database.db.execute(
        sql`select id, status, samples_done from metric_results where job_id = ${job.id} order by id`,
      ),
    );
    assert.deepEqual(
      rows.map((r) => r.id),
      ghostRows.map((r) => r.id),
      'the same result rows were reused',
    );
    for (const row of rows) {
      assert.equal(row.status, 'COMPLETE');
      assert.equal(row.samples_done, 2200);
      assert.equal(
        await count(server, sql`select count(*) as n from sample_scores where result_id = ${Number(row.id)}`),
        2200,
      );
    }
  });

  it('writes no sample scores once another worker holds the job (fenced on the lease)', async () => {
    const version = await storeVersion(server.database, 'fenced', randomSamples(600, 21));
    const job = await enqueueComputeMetrics(server.database.db, version, ['complexity.length'], null);
    const claimed = (await claimJob(server.database.db, 'stale', 60_000, ['metrics.compute'], job.id))!;
    // Another worker took the job over (as after a lease that ran out) before the first write.
    await server.database.db.execute(sql`update jobs set lease_owner = 'rescuer' where id = ${job.id}`);
    const result = await runComputeMetricsJob({
      database: server.database,
      job: claimed,
      owner: 'stale',
      signal: new AbortController().signal,
      stopReason: () => null,
      reportProgress: () => undefined,
      logger: silentLogger,
    });
    assert.deepEqual(result, { stopped: 'lease-lost' });
    assert.equal(
      await count(
        server,
        sql`select count(*) as n from sample_scores s join metric_results r on r.id = s.result_id where r.job_id = ${job.id}`,
      ),
      0,
    );
    const fenced = await withLease(server.database, job.id, 'stale', async () => 'wrote');
    assert.deepEqual(fenced, { held: false });
    const held = await withLease(server.database, job.id, 'rescuer', async () => 'wrote');
    assert.deepEqual(held, { held: true, value: 'wrote' });
  });

  it('fails a job for good when the worker of its last allowed attempt vanishes', async () => {
    const job = await enqueueJob(server.database.db, {
      kind: COMPUTE_METRICS,
      payload: { versionId, metrics: [] },
      maxAttempts: 1,
    });
    assert.ok(await claimJob(server.database.db, 'ghost', 100, ['metrics.compute'], job.id));
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.equal(await claimJob(server.database.db, 'rescuer', 60_000, ['metrics.compute'], job.id), null);
    const failed = (await getJob(server.database.db, job.id))!;
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.error, 'the worker running attempt 1 of 1 stopped renewing its lease');
    assert.equal(failed.leaseOwner, null);
  });

  it('cancels a queued job at once; a running job is flagged for its worker', async () => {
    const job = await enqueueComputeMetrics(server.database.db, versionId, ['complexity.length'], null);
    const data = await server.ok(
      `mutation ($id: ID!) { cancelJob(id: $id) { status cancelRequested finishedAt } }`,
      { id: toGlobalId('Job', job.id) },
    );
    assert.equal(data.cancelJob.status, 'CANCELLED');
    assert.equal(data.cancelJob.cancelRequested, true);
    const worker = testWorker(server.database, { onlyJobId: job.id });
    await new Promise((resolve) => setTimeout(resolve, 150));
    await worker.stop();
    assert.equal((await getJob(server.database.db, job.id))!.status, 'CANCELLED', 'no worker picked it up');
    assert.equal(
      await count(server, sql`select count(*) as n from metric_results where job_id = ${job.id}`),
      0,
    );

    const running = await enqueueComputeMetrics(server.database.db, versionId, ['complexity.length'], null);
    await claimJob(server.database.db, 'someone', 60_000, ['metrics.compute'], running.id);
    const flagged = await server.ok(`mutation ($id: ID!) { cancelJob(id: $id) { status cancelRequested } }`, {
      id: toGlobalId('Job', running.id),
    });
    assert.deepEqual(flagged.cancelJob, { status: 'RUNNING', cancelRequested: true });

    const unknown = await server.gql(`mutation { cancelJob(id: "${toGlobalId('Job', 987654)}") { id } }`);
    assert.equal(unknown.errors?.[0]?.extensions?.code, 'NOT_FOUND');
  });

  it('a worker stops a running job when it is cancelled, storing PARTIAL results', async () => {
    const big = await storeVersion(server.database, 'cancel-running', randomSamples(20_000, 21));
    const job = await enqueueComputeMetrics(
      server.database.db,
      big,
      ['diversity.self_repetition', 'quality.heuristic_quality'],
      null,
    );
    const worker = testWorker(server.database, { onlyJobId: job.id, leaseMs: 300 });
    try {
      // Cancel as soon as the worker has claimed it; its heartbeat (every 100 ms) brings the request back.
      for (;;) {
        const row = (await getJob(server.database.db, job.id))!;
        if (row.status === 'RUNNING') break;
        if (row.status === 'SUCCEEDED')
          throw new Error('the job finished before it could be cancelled; make it bigger');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await server.ok(`mutation ($id: ID!) { cancelJob(id: $id) { id } }`, { id: toGlobalId('Job', job.id) });
      const finished = await waitForJob(server.database, job.id);
      assert.equal(finished.status, 'CANCELLED', finished.error ?? '');
      const rows = rowsOf<{ status: string; samples_done: number }>(
        await server.database.db.execute(
          sql`select status, samples_done from metric_results where job_id = ${job.id}`,
        ),
      );
      assert.equal(rows.length, 2);
      for (const row of rows) {
        assert.equal(row.status, 'PARTIAL');
        assert.ok(row.samples_done < 20_000);
      }
    } finally {
      await worker.stop();
    }
  });

  it('lists jobs newest first with filters, and reports progress', async () => {
    const data = await server.ok(
      `{ jobs(first: 2, status: [SUCCEEDED]) { edges { node { id kind status progress { done total fraction } } } pageInfo { hasNextPage endCursor } } }`,
    );
    assert.equal(data.jobs.edges.length, 2);
    for (const { node } of data.jobs.edges) {
      assert.equal(node.status, 'SUCCEEDED');
      assert.equal(node.kind, 'metrics.compute');
      assert.equal(node.progress.fraction, 1);
    }
    assert.ok(jobIdOf(data.jobs.edges[0].node.id) > jobIdOf(data.jobs.edges[1].node.id));
    const next = await server.ok(
      `query ($after: String) { jobs(first: 100, after: $after, status: [SUCCEEDED]) { edges { node { id } } } }`,
      {
        after: data.jobs.pageInfo.endCursor,
      },
    );
    for (const { node } of next.jobs.edges) assert.ok(jobIdOf(node.id) < jobIdOf(data.jobs.edges[1].node.id));
  });

  it('describes every metric definition with its parameters', async () => {
    const data = await server.ok(
      `{ metricDefinitions { key version axis direction description citation parameters { name type default min max values } } }`,
    );
    assert.deepEqual(
      data.metricDefinitions.map((d: { key: string }) => d.key),
      METRICS.map((m) => m.key).sort(),
    );
    const distinct = data.metricDefinitions.find((d: { key: string }) => d.key === 'diversity.distinct_n');
    assert.deepEqual(
      distinct.parameters.find((p: { name: string }) => p.name === 'n'),
      { name: 'n', type: 'int', default: 2, min: 1, max: 4, values: null },
    );
    assert.deepEqual(distinct.parameters.find((p: { name: string }) => p.name === 'field').values, [
      'prompt',
      'response',
      'prompt+response',
    ]);
    const quality = await server.ok(`{ metricDefinitions(axis: QUALITY) { key axis } }`);
    assert.deepEqual(
      quality.metricDefinitions.map((d: { key: string }) => d.key),
      [
        'quality.answer_match',
        'quality.heuristic_quality',
        'quality.llm_judge',
        'quality.llm_preference',
        'quality.reward',
        'quality.tint_trace_validity',
      ],
    );
  });
});

describe('shard merge across the registry', () => {
  const random = prng(99);
  const samples: MetricSample[] = randomSamples(157, 3).map((s, ordinal) => ({
    ordinal,
    contentHash: Math.floor(random() * 2 ** 52)
      .toString(16)
      .padStart(64, '0'),
    prompt: s.prompt,
    response: ordinal % 13 === 0 ? '' : s.response,
    reference: s.reference ?? null,
    embedding: lexicalEmbedding(`${s.prompt}\n${s.response}`),
  }));
  // diversity_gain's base version and novelsum's reference pool: other texts.
  const base = randomSamples(60, 8).map((s, ordinal) => ({
    ordinal,
    contentHash: '',
    prompt: s.prompt,
    response: s.response,
    reference: null,
    embedding: lexicalEmbedding(s.response),
  }));
  const versions = new Map([[1, base]]);
  // perplexity and IFD read the texts through the generated tiny causal LM.
  let languageModels: EmbedderRegistry;
  let modelDir: string;
  before(async () => {
    modelDir = mkdtempSync(join(tmpdir(), 'qdc-engine-lm-'));
    await writeTinyCausalLm(modelDir);
    languageModels = new EmbedderRegistry(
      testEmbeddingConfig({ modelDir, languageModel: TINY_CAUSAL_LM_ID }),
      silentLogger,
    );
  });
  after(async () => {
    await languageModels.close();
    rmSync(modelDir, { recursive: true, force: true });
  });
  const languageModel = (name: string) => languageModels.languageModel(name);

  for (const metric of METRICS) {
    const how = metric.mergeRounding ? 'equal up to rounding' : metric.exactMerge ? 'equal' : 'approximate';
    it(`${metric.key}: 4 merged shards ${how} the whole`, async () => {
      const given = {
        ...('subsetSize' in metric.params ? { subsetSize: 40 } : {}),
        ...('base' in metric.params ? { base: 1 } : {}),
        ...('reference' in metric.params ? { reference: 1 } : {}),
        ...(metric.input === 'judge' ? { endpoint: 'http://in-memory/v1', model: 'm' } : {}),
      };
      const judge = metric.input === 'judge' ? inMemoryJudge : undefined;
      const params = resolveParams(metric, given);
      const whole = await runInMemory(metric, params, samples, {
        batchSize: 10,
        versions,
        languageModel,
        judge,
      });
      const sharded = await runInMemory(metric, params, samples, {
        shards: 4,
        batchSize: 7,
        versions,
        languageModel,
        judge,
      });
      if (metric.input === 'embedding') assert.notEqual(whole.outcome.value, null, whole.outcome.reason);
      if (metric.mergeRounding) {
        const relative =
          Math.abs(sharded.outcome.value! - whole.outcome.value!) / Math.abs(whole.outcome.value!);
        assert.ok(relative < 1e-12, `${metric.key}: ${sharded.outcome.value} vs ${whole.outcome.value}`);
        assert.equal(sharded.outcome.n, whole.outcome.n);
        assert.equal(sharded.outcome.estimator, whole.outcome.estimator);
        assert.deepEqual(sharded.sampleValues, whole.sampleValues);
      } else if (metric.exactMerge) {
        assert.deepEqual(sharded.outcome, whole.outcome);
        assert.deepEqual(sharded.sampleValues, whole.sampleValues);
      } else {
        assert.equal(whole.outcome.estimator, 'EXACT');
        assert.equal(sharded.outcome.estimator, 'APPROXIMATE');
      }
    });
  }
});
