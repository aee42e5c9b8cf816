/**
 * Embedding and overlap jobs end to end: an embedding job stopped half-way (in-process, and a real
 * worker process SIGKILLed on PostgreSQL) resumes without duplicate vectors; findOverlap on a
 * version against itself with injected duplicates, and against another version, stores exactly
 * the pairs a brute-force scan finds; embedding metrics computed by the job equal the in-memory
 * run over the stored vectors and name their space.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { openCatalog } from '../src/app.js';
import type { Database } from '../src/db/connect.js';
import { rowsOf } from '../src/db/sqlHelpers.js';
import { enqueueEmbedVersion } from '../src/embeddings/embedJob.js';
import { embedMissingSamples } from '../src/embeddings/embedSamples.js';
import { lexicalEmbedding } from '../src/embeddings/lexicalEmbedder.js';
import { ensureSpace } from '../src/embeddings/spaces.js';
import { fromGlobalId, toGlobalId } from '../src/globalId.js';
import { getJob } from '../src/jobs/queue.js';
import { streamVersionSamples } from '../src/catalog/sampleStream.js';
import { resolveParams } from '../src/metrics/params.js';
import { requireMetric } from '../src/metrics/registry.js';
import { runInMemory } from '../src/metrics/runInMemory.js';
import type { MetricSample } from '../src/metrics/types.js';
import { spawnWorker } from './helpers/cli.js';
import { embedThroughApi } from './helpers/embeddingData.js';
import { runJob } from './helpers/jobs.js';
import { randomSamples, storeVersion } from './helpers/metricData.js';
import { testEmbedders } from './helpers/testEmbedders.js';
import { createScratchDatabase, testBackend } from './helpers/testDatabase.js';
import { startTestServer, type TestServer } from './helpers/testServer.js';

const LEXICAL = 'qdc/lexical-hash@v1:fp32';
const idNumber = (globalId: string) => fromGlobalId(globalId).id;

async function vectorCount(database: Database, versionId: number): Promise<{ n: number; distinct: number }> {
  const [row] = rowsOf<{ n: number; distinct: number }>(
    await database.db.execute(
      sql`select count(*)::int as n, count(distinct sample_id)::int as distinct from sample_embeddings where version_id = ${versionId}`,
    ),
  );
  return row!;
}

/** The version's samples with their stored vectors, as the metric runner reads them. */
async function samplesWithVectors(
  database: Database,
  versionId: number,
  spaceId: number,
): Promise<MetricSample[]> {
  const all: MetricSample[] = [];
  for await (const batch of streamVersionSamples(database.db, versionId, 1000, spaceId))
    for (const { id: _id, ...s } of batch) all.push(s);
  return all;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

describe('embedding jobs', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  it('resumes a stopped embedding job: only missing samples are embedded, no vector twice', async () => {
    const versionId = await storeVersion(server.database, 'resume', randomSamples(1300, 5));
    const embedder = await testEmbedders().embedderFor(null);
    const space = await ensureSpace(server.database.db, embedder);
    // A first attempt that stops after its first chunk (as a cancelled or killed job leaves it).
    const controller = new AbortController();
    const partial = await embedMissingSamples(server.database.db, embedder, space, versionId, {
      batchSize: 16,
      chunkSize: 500,
      signal: controller.signal,
      onChunk: () => controller.abort(),
    });
    assert.deepEqual(partial, { embedded: 500, stopped: true });
    assert.deepEqual(await vectorCount(server.database, versionId), { n: 500, distinct: 500 });

    const job = await embedThroughApi(server, versionId);
    const result = job.result as { alreadyEmbedded: number; embedded: number; index: { built: boolean } };
    assert.equal(result.alreadyEmbedded, 500);
    assert.equal(result.embedded, 800);
    assert.equal(job.progressDone, 1300);
    assert.deepEqual(await vectorCount(server.database, versionId), { n: 1300, distinct: 1300 });
  });

  it('finds overlap within a version: exactly the pairs a brute-force scan finds at the threshold', async () => {
    const base = randomSamples(80, 11);
    const exactCopies = [base[3]!, base[17]!, base[40]!];
    const nearCopies = [5, 22, 61].map((i) => ({
      prompt: base[i]!.prompt,
      response: `${base[i]!.response} indeed`,
    }));
    const versionId = await storeVersion(server.database, 'dedup', [...base, ...exactCopies, ...nearCopies]);
    const threshold = 0.9;
    const data = await server.ok(
      `mutation ($v: ID!, $t: Float!) { findOverlap(version: $v, threshold: $t) { id } }`,
      {
        v: toGlobalId('DatasetVersion', versionId),
        t: threshold,
      },
    );
    const job = await runJob(server.database, idNumber(data.findOverlap.id));
    assert.equal(job.status, 'SUCCEEDED', job.error ?? '');
    // Progress: 86 samples embedded, then 86 searched.
    assert.equal(job.progressTotal, 2 * 86);
    assert.equal(job.progressDone, job.progressTotal);

    const rows = rowsOf<{ id: string | number; text: string; content_hash: string }>(
      await server.database.db.execute(
        sql`select id, coalesce(prompt, '') || chr(10) || coalesce(response, '') as text, content_hash from samples where version_id = ${versionId} order by id`,
      ),
    );
    const vectors = rows.map((r) => lexicalEmbedding(r.text));
    const expected = new Map<string, string>();
    for (let i = 0; i < rows.length; i++) {
      for (let j = i + 1; j < rows.length; j++) {
        const kind =
          rows[i]!.content_hash === rows[j]!.content_hash
            ? 'EXACT'
            : dot(vectors[i]!, vectors[j]!) >= threshold
              ? 'NEAR'
              : null;
        if (kind) expected.set(`${rows[i]!.id}-${rows[j]!.id}`, kind);
      }
    }
    assert.equal([...expected.values()].filter((k) => k === 'EXACT').length, 3);
    assert.ok([...expected.values()].filter((k) => k === 'NEAR').length >= 3);

    const { version } = await server.ok(
      `query ($v: ID!) { version(id: $v) { overlaps {
        status estimator threshold sampleCount matchedSamples contaminationRate exactPairs nearPairs space { key } against { id }
        pairs(first: 100) { edges { node { kind similarity sample { id } matched { id } } } pageInfo { hasNextPage } }
      } } }`,
      { v: toGlobalId('DatasetVersion', versionId) },
    );
    const overlap = version.overlaps;
    assert.equal(overlap.status, 'COMPLETE');
    assert.equal(overlap.estimator, 'EXACT');
    assert.equal(overlap.space.key, LEXICAL);
    assert.equal(overlap.against.id, toGlobalId('DatasetVersion', versionId));
    const stored = new Map<string, string>(
      overlap.pairs.edges.map(
        (e: { node: { kind: string; sample: { id: string }; matched: { id: string } } }) => [
          `${idNumber(e.node.sample.id)}-${idNumber(e.node.matched.id)}`,
          e.node.kind,
        ],
      ),
    );
    assert.deepEqual(stored, expected);
    const involved = new Set([...expected.keys()].flatMap((k) => k.split('-')));
    assert.equal(overlap.matchedSamples, involved.size);
    assert.equal(overlap.contaminationRate, involved.size / rows.length);
    assert.equal(overlap.exactPairs, 3);
    assert.equal(overlap.nearPairs, expected.size - 3);
    const similarities = overlap.pairs.edges.map((e: { node: { similarity: number } }) => e.node.similarity);
    assert.deepEqual(
      similarities,
      [...similarities].sort((a: number, b: number) => b - a),
      'most similar first',
    );
    assert.ok(similarities.every((s: number) => s >= threshold - 1e-6));
  });

  it('finds contamination of one version in another and pages the pairs', async () => {
    const train = randomSamples(60, 21);
    const test = [
      ...randomSamples(20, 22),
      train[2]!,
      train[30]!,
      { prompt: train[44]!.prompt, response: `${train[44]!.response} yes` },
    ];
    const trainId = await storeVersion(server.database, 'contam-train', train);
    const testId = await storeVersion(server.database, 'contam-test', test);
    const data = await server.ok(
      `mutation ($v: ID!, $a: ID!) { findOverlap(version: $v, against: $a, threshold: 0.9) { id } }`,
      {
        v: toGlobalId('DatasetVersion', testId),
        a: toGlobalId('DatasetVersion', trainId),
      },
    );
    assert.equal((await runJob(server.database, idNumber(data.findOverlap.id))).status, 'SUCCEEDED');
    const query = `query ($v: ID!, $a: ID!, $after: String) { version(id: $v) { overlaps(against: $a) {
      matchedSamples contaminationRate exactPairs
      pairs(first: 2, after: $after) { edges { node { kind sample { prompt } matched { prompt } } } pageInfo { hasNextPage endCursor } }
    } } }`;
    const vars = { v: toGlobalId('DatasetVersion', testId), a: toGlobalId('DatasetVersion', trainId) };
    const first = (await server.ok(query, vars)).version.overlaps;
    assert.equal(first.exactPairs, 2);
    assert.equal(first.matchedSamples, 3);
    assert.equal(first.contaminationRate, 3 / test.length);
    assert.equal(first.pairs.pageInfo.hasNextPage, true);
    const second = (await server.ok(query, { ...vars, after: first.pairs.pageInfo.endCursor })).version
      .overlaps;
    const prompts = [...first.pairs.edges, ...second.pairs.edges].map(
      (e: { node: { sample: { prompt: string }; matched: { prompt: string } } }) => {
        assert.equal(e.node.sample.prompt, e.node.matched.prompt);
        return e.node.sample.prompt;
      },
    );
    assert.deepEqual(new Set(prompts), new Set([train[2]!.prompt, train[30]!.prompt, train[44]!.prompt]));
    assert.equal(second.pairs.pageInfo.hasNextPage, false);
    // Nothing was checked against the test version itself yet.
    const none = await server.ok(`query ($v: ID!) { version(id: $v) { overlaps { status } } }`, {
      v: toGlobalId('DatasetVersion', testId),
    });
    assert.equal(none.version.overlaps, null);
  });

  it('computes the embedding metrics through a job, equal to the in-memory run over the stored vectors', async () => {
    const versionId = await storeVersion(server.database, 'semantic', randomSamples(150, 31));
    const baseId = await storeVersion(server.database, 'semantic-base', randomSamples(70, 32));
    const v = toGlobalId('DatasetVersion', versionId);
    const refused = await server.gql(
      `mutation ($v: ID!) { computeMetrics(version: $v, metrics: ["diversity.vendi"]) { id } }`,
      { v },
    );
    assert.equal(refused.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(
      refused.errors![0]!.message,
      /has 0 of 150 samples embedded in space qdc\/lexical-hash@v1:fp32: run embedVersion/,
    );
    await embedThroughApi(server, versionId);
    const gainRefused = await server.gql(
      `mutation ($v: ID!, $p: JSON) { computeMetrics(version: $v, metrics: ["diversity.diversity_gain"], params: $p) { id } }`,
      { v, p: { base: toGlobalId('DatasetVersion', baseId) } },
    );
    assert.match(
      gainRefused.errors![0]!.message,
      new RegExp(`version ${baseId} has 0 of 70 samples embedded`),
    );
    await embedThroughApi(server, baseId);

    const metrics = [
      'diversity.mean_pairwise_cosine_distance',
      'diversity.vendi',
      'diversity.vendi_q',
      'diversity.chamfer',
      'diversity.cluster_entropy',
      'diversity.diversity_gain',
      'diversity.novelsum',
    ];
    const params = {
      'diversity.diversity_gain': { base: toGlobalId('DatasetVersion', baseId) },
      'diversity.novelsum': { reference: toGlobalId('DatasetVersion', baseId), subsetSize: 100 },
      'diversity.cluster_entropy': { k: 5, fitSize: 100 },
    };
    const data = await server.ok(
      `mutation ($v: ID!, $m: [String!], $p: JSON) { computeMetrics(version: $v, metrics: $m, params: $p) { id } }`,
      { v, m: metrics, p: params },
    );
    const job = await runJob(server.database, idNumber(data.computeMetrics.id));
    assert.equal(job.status, 'SUCCEEDED', job.error ?? '');
    const { version } = await server.ok(
      `query ($v: ID!) { version(id: $v) { metrics { metric value n estimator sampleSize status params details space { key } } } }`,
      { v },
    );

    const [space] = rowsOf<{ id: number }>(
      await server.database.db.execute(sql`select id from embedding_spaces where key = ${LEXICAL}`),
    );
    const samples = await samplesWithVectors(server.database, versionId, space!.id);
    const base = await samplesWithVectors(server.database, baseId, space!.id);
    assert.equal(samples.length, 150);
    for (const key of metrics) {
      const stored = version.metrics.find((r: { metric: string }) => r.metric === key);
      assert.ok(stored, key);
      assert.equal(stored.status, 'COMPLETE', key);
      assert.equal(stored.space.key, LEXICAL);
      assert.equal(stored.params.space, LEXICAL, 'the default space is recorded by name');
      const metric = requireMetric(key);
      const resolved = resolveParams(
        metric,
        key === 'diversity.diversity_gain'
          ? { base: baseId }
          : key === 'diversity.novelsum'
            ? { reference: baseId, subsetSize: 100 }
            : key === 'diversity.cluster_entropy'
              ? params[key]
              : {},
      );
      const expected = await runInMemory(metric, { ...resolved, space: LEXICAL }, samples, {
        versions: new Map([[baseId, base]]),
      });
      assert.ok(
        Math.abs(stored.value - expected.outcome.value!) <=
          1e-12 * Math.max(1, Math.abs(expected.outcome.value!)),
        `${key}: ${stored.value} vs ${expected.outcome.value}`,
      );
      assert.equal(stored.n, expected.outcome.n, key);
      assert.equal(stored.estimator, expected.outcome.estimator, key);
    }
    assert.equal(
      version.metrics.find((r: { metric: string }) => r.metric === 'diversity.cluster_entropy').estimator,
      'SAMPLED',
    );
    assert.equal(
      version.metrics.find((r: { metric: string }) => r.metric === 'diversity.diversity_gain').params.base,
      baseId,
    );

    // The pairwise identity against the naive double loop over the stored vectors.
    let sum = 0;
    for (let i = 0; i < samples.length; i++)
      for (let j = 0; j < samples.length; j++)
        if (i !== j) sum += dot(samples[i]!.embedding!, samples[j]!.embedding!);
    const pairwise = version.metrics.find(
      (r: { metric: string }) => r.metric === 'diversity.mean_pairwise_cosine_distance',
    );
    assert.ok(Math.abs(pairwise.value - (1 - sum / (150 * 149))) < 1e-9);
  });

  it('answers chamfer through the HNSW index above exactLimit (APPROXIMATE, never below the exact value)', async () => {
    const versionId = await storeVersion(server.database, 'chamfer-hnsw', randomSamples(300, 41));
    await embedThroughApi(server, versionId);
    const v = toGlobalId('DatasetVersion', versionId);
    const values: Record<string, { value: number; estimator: string }> = {};
    for (const exactLimit of [10000, 2]) {
      const data = await server.ok(
        `mutation ($v: ID!, $p: JSON) { computeMetrics(version: $v, metrics: ["diversity.chamfer"], params: $p) { id } }`,
        { v, p: { exactLimit } },
      );
      assert.equal((await runJob(server.database, idNumber(data.computeMetrics.id))).status, 'SUCCEEDED');
      const { version } = await server.ok(
        `query ($v: ID!) { version(id: $v) { metrics(keys: ["diversity.chamfer"]) { value estimator params } } }`,
        { v },
      );
      values[exactLimit] = version.metrics.find(
        (r: { params: { exactLimit: number } }) => r.params.exactLimit === exactLimit,
      );
    }
    assert.equal(values[10000]!.estimator, 'EXACT');
    assert.equal(values[2]!.estimator, 'APPROXIMATE');
    assert.ok(values[2]!.value >= values[10000]!.value - 1e-6);
    assert.ok(
      values[2]!.value <= values[10000]!.value * 1.02,
      `HNSW ${values[2]!.value} vs exact ${values[10000]!.value}`,
    );
  });

  it('answers novelsum through the HNSW index above exactLimit (APPROXIMATE, close to the exact value)', async () => {
    const versionId = await storeVersion(server.database, 'novelsum-hnsw', randomSamples(300, 43));
    await embedThroughApi(server, versionId);
    const v = toGlobalId('DatasetVersion', versionId);
    const values: Record<string, { value: number; estimator: string; details: { referenceSearch: string } }> =
      {};
    for (const exactLimit of [10000, 2]) {
      const data = await server.ok(
        `mutation ($v: ID!, $p: JSON) { computeMetrics(version: $v, metrics: ["diversity.novelsum"], params: $p) { id } }`,
        { v, p: { reference: v, exactLimit } },
      );
      const job = await runJob(server.database, idNumber(data.computeMetrics.id));
      assert.equal(job.status, 'SUCCEEDED', job.error ?? '');
      const { version } = await server.ok(
        `query ($v: ID!) { version(id: $v) { metrics(keys: ["diversity.novelsum"]) { value estimator params details } } }`,
        { v },
      );
      values[exactLimit] = version.metrics.find(
        (r: { params: { exactLimit: number } }) => r.params.exactLimit === exactLimit,
      );
    }
    assert.equal(values[10000]!.estimator, 'EXACT');
    assert.equal(values[2]!.estimator, 'APPROXIMATE');
    assert.equal(values[2]!.details.referenceSearch, 'APPROXIMATE');
    const relative = Math.abs(values[2]!.value - values[10000]!.value) / values[10000]!.value;
    assert.ok(relative < 0.05, `HNSW ${values[2]!.value} vs exact ${values[10000]!.value}`);
  });

  it('includes the embedding metrics in "every metric" once the version is embedded (all but diversity_gain)', async () => {
    const versionId = await storeVersion(server.database, 'all-metrics', randomSamples(40, 51));
    await embedThroughApi(server, versionId);
    const data = await server.ok(`mutation ($v: ID!) { computeMetrics(version: $v) { id } }`, {
      v: toGlobalId('DatasetVersion', versionId),
    });
    assert.equal((await runJob(server.database, idNumber(data.computeMetrics.id))).status, 'SUCCEEDED');
    const { version } = await server.ok(`query ($v: ID!) { version(id: $v) { metrics { metric } } }`, {
      v: toGlobalId('DatasetVersion', versionId),
    });
    const keys = version.metrics.map((r: { metric: string }) => r.metric);
    for (const key of [
      'diversity.vendi',
      'diversity.chamfer',
      'diversity.cluster_entropy',
      'diversity.mean_pairwise_cosine_distance',
      'diversity.vendi_q',
    ]) {
      assert.ok(keys.includes(key), key);
    }
    assert.ok(!keys.includes('diversity.diversity_gain'));
  });
});

describe(
  'an embedding worker killed mid-job',
  { skip: testBackend !== 'postgres' && 'needs DATABASE_URL (PGlite is single-process)' },
  () => {
    it('is finished by another worker with every vector exactly once', async () => {
      const scratch = await createScratchDatabase();
      const database = await openCatalog({ databaseUrl: scratch.url, poolSize: 4 });
      try {
        const n = 20_000;
        const versionId = await storeVersion(database, 'killed-embed', randomSamples(n, 61));
        const job = await enqueueEmbedVersion(database.db, testEmbedders(), versionId, LEXICAL);
        const worker = spawnWorker(scratch.url, { QDC_EMBEDDER: 'lexical' });
        const deadline = Date.now() + 60_000;
        for (;;) {
          const row = (await getJob(database.db, job.id))!;
          const { n: stored } = await vectorCount(database, versionId);
          if (row.status === 'RUNNING' && stored >= 2000) break;
          assert.notEqual(row.status, 'SUCCEEDED', 'the job finished before the kill; make it bigger');
          if (Date.now() > deadline) throw new Error(`the worker never made progress:\n${worker.log()}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.equal(await worker.kill(), 'SIGKILL');
        const before = await vectorCount(database, versionId);
        assert.ok(before.n < n, 'killed before the end');

        const finished = await runJob(database, job.id);
        assert.equal(finished.status, 'SUCCEEDED', finished.error ?? '');
        assert.equal(finished.attempts, 2);
        assert.ok((finished.result as { alreadyEmbedded: number }).alreadyEmbedded >= before.n);
        assert.deepEqual(await vectorCount(database, versionId), { n, distinct: n });
      } finally {
        await database.close();
        await scratch.drop();
      }
    });
  },
);
