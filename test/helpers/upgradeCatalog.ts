/**
 * The catalog the upgrade fixtures hold (test/fixtures/upgrade), and a snapshot of everything a
 * user would look for in it. test/fixtures/upgrade/make.ts fills a catalog with `populate` through
 * the public API of the release that makes the fixture and stores `snapshot`; test/upgrade.test.ts
 * opens the fixture with the current code (which migrates it) and compares the snapshot.
 */
import { createApiKey } from '../../src/auth/apiKeys.js';
import { fromGlobalId } from '../../src/globalId.js';
import { embedThroughApi } from './embeddingData.js';
import { createDataset, createVersion, recordRun } from './fixtures.js';
import { runJob } from './jobs.js';
import { randomSamples } from './metricData.js';
import type { TestServer } from './testServer.js';

/** Datasets, versions (with lineage), computed and pushed metrics, vectors, a job, an API key. */
export async function populate(server: TestServer): Promise<void> {
  await createDataset(server, 'seed-tasks', {
    description: 'Seed instructions',
    license: 'apache-2.0',
    task: 'instruction-following',
    tags: ['seed', 'upgrade-fixture'],
  });
  const seeds = await createVersion(server, 'seed-tasks', randomSamples(40, 101));
  await createDataset(server, 'generated', { license: 'cc-by-4.0', domain: 'general' });
  const generated = await createVersion(server, 'generated', [
    ...randomSamples(60, 102),
    {
      messages: [
        { role: 'user', content: 'héllo ✓' },
        { role: 'assistant', content: 'hi' },
      ],
    },
    { prompt: 'with metadata', response: 'x', metadata: { source: 'fixture', n: 1 } },
  ]);
  const filtered = await createVersion(server, 'generated', randomSamples(60, 102).slice(0, 45));
  const run = await recordRun(server, generated.version.id, [{ version: seeds.version.id, role: 'SEED' }], {
    algorithm: 'self-instruct',
    generatorModel: 'fixture-model',
    params: { temperature: 0.7 },
  });
  if (run.errors?.length) throw new Error(JSON.stringify(run.errors));
  const filter = await recordRun(
    server,
    filtered.version.id,
    [{ version: generated.version.id, role: 'FILTERED_FROM' }],
    {
      params: { filter: 'length' },
    },
  );
  if (filter.errors?.length) throw new Error(JSON.stringify(filter.errors));

  await embedThroughApi(server, generated.version.id);
  const compute = await server.ok(
    `mutation ($v: ID!) { computeMetrics(version: $v, metrics: ["diversity.distinct_n", "complexity.length", "diversity.vendi"]) { id } }`,
    { v: generated.version.id },
  );
  const job = await runJob(
    server.database,
    Number(fromGlobalId(compute.computeMetrics.id).id),
    server.embedders,
  );
  if (job.status !== 'SUCCEEDED') throw new Error(`metric job ${job.status}: ${job.error}`);
  const response = await fetch(
    `${server.url}/v1/versions/${encodeURIComponent(filtered.version.id)}/scores?scorer=fixture-judge`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: Array.from({ length: 45 }, (_, ordinal) => JSON.stringify({ ordinal, value: ordinal % 5 })).join(
        '\n',
      ),
    },
  );
  if (!response.ok) throw new Error(`score push: ${response.status} ${await response.text()}`);
  await createApiKey(server.database.db, { name: 'fixture-reader', role: 'reader' });
}

const SNAPSHOT_QUERY = `{
  datasets(first: 10, orderBy: NAME_ASC) {
    totalCount
    edges { node {
      slug name description license task domain tags
      versions(first: 10) { edges { node {
        version contentHash sampleCount status
        samples(first: 3) { edges { node { ordinal prompt response messages { role content } metadata contentHash } } }
        parents { role version { dataset { slug } version } }
        metrics { metric value n estimator status params }
      } } }
    } }
  }
}`;

/** What the catalog holds, as plain JSON in a stable order. */
export async function snapshot(server: TestServer): Promise<unknown> {
  const data = await server.ok(SNAPSHOT_QUERY);
  for (const { node: dataset } of data.datasets.edges) {
    for (const { node: version } of dataset.versions.edges) {
      version.parents.sort((a: { role: string }, b: { role: string }) => a.role.localeCompare(b.role));
      version.metrics.sort((a: { metric: string }, b: { metric: string }) =>
        a.metric.localeCompare(b.metric),
      );
    }
  }
  return data;
}
