/**
 * Embedding spaces, embedVersion and search over GraphQL on a real server, with the lexical
 * embedder as the default space: idempotent embedding, the HNSW index, search scoped by dataset,
 * version, lineage and metric predicates (checked against a brute-force ranking), similarSamples,
 * searchDatasets and every bad input of the issue.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../src/db/sqlHelpers.js';
import { lexicalEmbedding } from '../src/embeddings/lexicalEmbedder.js';
import { fromGlobalId, toGlobalId } from '../src/globalId.js';
import { createDataset, createVersion, recordRun } from './helpers/fixtures.js';
import { embedThroughApi, TOPICS, type Topic } from './helpers/embeddingData.js';
import { runJob } from './helpers/jobs.js';
import { randomSamples } from './helpers/metricData.js';
import { startTestServer, type TestServer } from './helpers/testServer.js';

const LEXICAL = 'qdc/lexical-hash@v1:fp32';

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}

const idNumber = (globalId: string) => fromGlobalId(globalId).id;

describe('embeddings: spaces, embedVersion and search', () => {
  let server: TestServer;
  let parentId: string;
  let childId: string;
  let otherId: string;
  const texts = new Map<number, string>();

  const search = (query: string, extra: Record<string, unknown> = {}) =>
    server.ok(
      `query ($q: String!, $k: Int, $scope: SampleSearchScope, $exact: Boolean) {
        searchSamples(query: $q, k: $k, scope: $scope, exact: $exact) {
          exact space { key dims }
          hits { distance similarity sample { id prompt response } version { id } }
        }
      }`,
      { q: query, ...extra },
    );

  before(async () => {
    server = await startTestServer();
    await createDataset(server, 'topics', { description: 'Cooking, physics and programming questions' });
    const topicSamples = Object.values(TOPICS).map((t) => ({ ...t }));
    parentId = (await createVersion(server, 'topics', [...topicSamples, ...randomSamples(40, 1)])).version.id;
    await createDataset(server, 'topics-filtered', { description: 'A filtered copy' });
    childId = (
      await createVersion(server, 'topics-filtered', [TOPICS.bread, TOPICS.python, ...randomSamples(10, 2)])
    ).version.id;
    await recordRun(server, childId, [{ version: parentId, role: 'FILTERED_FROM' }]);
    await createDataset(server, 'gardening', {
      description: 'Vegetable gardening advice for home growers',
      tags: ['garden'],
    });
    otherId = (
      await createVersion(server, 'gardening', [
        TOPICS.garden,
        {
          prompt: 'How deep do potato seeds go?',
          response: 'Plant seed potatoes ten centimetres deep in loose soil.',
        },
      ])
    ).version.id;
    for (const id of [parentId, childId, otherId]) await embedThroughApi(server, id);
    const rows = rowsOf<{ id: string | number; prompt: string; response: string }>(
      await server.database.db.execute(
        sql`select id, coalesce(prompt, '') as prompt, coalesce(response, '') as response from samples`,
      ),
    );
    for (const r of rows) texts.set(Number(r.id), `${r.prompt}\n${r.response}`);
  });
  after(() => server.stop());

  it('lists the default space (lexical here), with vectors, an index and no fallback', async () => {
    const { embeddingSpaces } = await server.ok(`{ embeddingSpaces {
      default { key provider dims pooling normalized textField isDefault vectorCount indexed }
      fallback { requested reason }
      spaces { key isDefault }
    } }`);
    assert.deepEqual(embeddingSpaces.default, {
      key: LEXICAL,
      provider: 'LEXICAL',
      dims: 384,
      pooling: 'hash',
      normalized: true,
      textField: 'prompt+response',
      isDefault: true,
      vectorCount: 45 + 12 + 2,
      indexed: true,
    });
    assert.equal(embeddingSpaces.fallback, null);
    assert.deepEqual(embeddingSpaces.spaces, [{ key: LEXICAL, isDefault: true }]);
    const index = rowsOf<{ indexdef: string }>(
      await server.database.db.execute(
        sql`select indexdef from pg_indexes where indexname like 'sample_embeddings_hnsw_space_%'`,
      ),
    );
    assert.equal(index.length, 1);
    assert.match(
      index[0]!.indexdef,
      /USING hnsw \(\(\(embedding\)::vector\(384\)\) vector_cosine_ops\).*WHERE \(space_id = \d+\)/,
    );
  });

  it("embeds every sample once: vectors equal the embedder's, and embedding again adds nothing", async () => {
    const rows = rowsOf<{ sample_id: string | number; embedding: string }>(
      await server.database.db.execute(
        sql`select sample_id, embedding::text as embedding from sample_embeddings`,
      ),
    );
    assert.equal(rows.length, texts.size);
    for (const row of rows.slice(0, 10)) {
      const stored = Float32Array.from(JSON.parse(row.embedding) as number[]);
      assert.deepEqual(stored, lexicalEmbedding(texts.get(Number(row.sample_id))!));
    }
    const job = await embedThroughApi(server, parentId);
    assert.equal((job.result as { embedded: number; alreadyEmbedded: number }).embedded, 0);
    assert.equal((job.result as { embedded: number; alreadyEmbedded: number }).alreadyEmbedded, 45);
    const [count] = rowsOf<{ n: number }>(
      await server.database.db.execute(sql`select count(*)::int as n from sample_embeddings`),
    );
    assert.equal(count!.n, texts.size);
    const { version } = await server.ok(
      `query ($v: ID!) { version(id: $v) { embeddings { space { key } embedded samples } } }`,
      { v: parentId },
    );
    assert.deepEqual(version.embeddings, [{ space: { key: LEXICAL }, embedded: 45, samples: 45 }]);
  });

  it('ranks samples like a brute-force cosine ranking over the same vectors', async () => {
    const query = 'baking bread with a sourdough starter';
    const q = lexicalEmbedding(query);
    const expected = [...texts.entries()]
      .map(([id, text]) => ({ id, similarity: cosine(q, lexicalEmbedding(text)) }))
      .sort((a, b) => b.similarity - a.similarity || a.id - b.id)
      .slice(0, 5);
    for (const exact of [true, false]) {
      const { searchSamples } = await search(query, { k: 5, exact });
      assert.equal(searchSamples.exact, exact);
      assert.equal(searchSamples.space.key, LEXICAL);
      assert.deepEqual(
        searchSamples.hits.map((h: { sample: { id: string } }) => idNumber(h.sample.id)),
        expected.map((e) => e.id),
      );
      searchSamples.hits.forEach((hit: { distance: number; similarity: number }, i: number) => {
        assert.ok(Math.abs(hit.similarity - expected[i]!.similarity) < 1e-5);
        assert.ok(Math.abs(hit.distance - (1 - hit.similarity)) < 1e-12);
      });
    }
    const { searchSamples } = await search(query, { k: 1 });
    assert.equal(searchSamples.hits[0].sample.prompt, TOPICS.bread.prompt);
  });

  it('scopes by dataset, by version and by lineage (a version and its descendants)', async () => {
    const topicOf = (hit: { sample: { prompt: string } }) =>
      (Object.keys(TOPICS) as Topic[]).find((t) => TOPICS[t].prompt === hit.sample.prompt);
    const gardening = await server.ok(`{ dataset(slug: "gardening") { id } }`);
    let { searchSamples } = await search('tomato plants in warm soil', {
      k: 3,
      scope: { datasets: [gardening.dataset.id] },
    });
    assert.deepEqual(
      new Set(searchSamples.hits.map((h: { version: { id: string } }) => h.version.id)),
      new Set([otherId]),
    );
    ({ searchSamples } = await search('tomato plants in warm soil', {
      k: 3,
      scope: { versions: [parentId] },
    }));
    assert.ok(searchSamples.hits.every((h: { version: { id: string } }) => h.version.id === parentId));
    assert.equal(topicOf(searchSamples.hits[0]), 'garden');
    // The filtered child keeps bread and python; the lineage scope of the parent includes it, the child's does not include the parent.
    ({ searchSamples } = await search('python function reverse list', {
      k: 50,
      scope: { descendantsOf: parentId },
    }));
    const versions = new Set(searchSamples.hits.map((h: { version: { id: string } }) => h.version.id));
    assert.deepEqual(versions, new Set([parentId, childId]));
    ({ searchSamples } = await search('python function reverse list', {
      k: 50,
      scope: { descendantsOf: childId },
    }));
    assert.deepEqual(
      new Set(searchSamples.hits.map((h: { version: { id: string } }) => h.version.id)),
      new Set([childId]),
    );
    assert.equal(searchSamples.hits.length, 12);
  });

  it('scopes by a per-sample metric predicate in the same query', async () => {
    const data = await server.ok(
      `mutation ($v: ID!) { computeMetrics(version: $v, metrics: ["complexity.length"]) { id } }`,
      { v: parentId },
    );
    await runJob(server.database, idNumber(data.computeMetrics.id));
    // Response length in whitespace tokens, per sample, as the metric defines it.
    const lengths = new Map(
      rowsOf<{ id: string | number; response: string }>(
        await server.database.db.execute(
          sql`select id, coalesce(response, '') as response from samples where version_id = ${idNumber(parentId)}`,
        ),
      ).map((r) => [Number(r.id), r.response.trim() === '' ? 0 : r.response.trim().split(/\s+/).length]),
    );
    for (const exact of [true, false]) {
      const { searchSamples } = await search('sourdough bread', {
        k: 100,
        exact,
        scope: { versions: [parentId], scores: [{ metric: 'complexity.length', op: 'GTE', value: 15 }] },
      });
      const found = searchSamples.hits
        .map((h: { sample: { id: string } }) => idNumber(h.sample.id))
        .sort((a: number, b: number) => a - b);
      const expected = [...lengths.entries()]
        .filter(([, n]) => n >= 15)
        .map(([id]) => id)
        .sort((a, b) => a - b);
      assert.ok(
        expected.length > 3 && expected.length < 45,
        'the predicate keeps some samples and drops others',
      );
      assert.deepEqual(found, expected);
    }
    // A predicate on a metric never computed for the child version keeps nothing there.
    const { searchSamples } = await search('sourdough bread', {
      scope: { versions: [childId], scores: [{ metric: 'complexity.length', op: 'GT', value: 0 }] },
    });
    assert.equal(searchSamples.hits.length, 0);
  });

  it('similarSamples returns the nearest other samples, never the sample itself', async () => {
    const [bread] = rowsOf<{ id: string | number }>(
      await server.database.db.execute(
        sql`select id from samples where version_id = ${idNumber(parentId)} and prompt = ${TOPICS.bread.prompt}`,
      ),
    );
    const { similarSamples } = await server.ok(
      `query ($s: ID!) { similarSamples(sample: $s, k: 3) { exact hits { similarity sample { id prompt } version { id } } } }`,
      { s: toGlobalId('Sample', Number(bread!.id)) },
    );
    assert.equal(similarSamples.hits.length, 3);
    assert.ok(
      similarSamples.hits.every(
        (h: { sample: { id: string } }) => idNumber(h.sample.id) !== Number(bread!.id),
      ),
    );
    // The child version holds an identical copy: similarity 1.
    assert.equal(similarSamples.hits[0].sample.prompt, TOPICS.bread.prompt);
    assert.equal(similarSamples.hits[0].version.id, childId);
    assert.ok(similarSamples.hits[0].similarity > 0.9999);
  });

  it('searchDatasets finds datasets by name, description and tags, and sees a changed description', async () => {
    const run = (q: string) =>
      server.ok(
        `query ($q: String!) { searchDatasets(query: $q, k: 3) { space { key } hits { dataset { slug } similarity } } }`,
        { q },
      );
    let { searchDatasets } = await run('vegetable garden growers');
    assert.equal(searchDatasets.hits[0].dataset.slug, 'gardening');
    assert.equal(searchDatasets.space.key, LEXICAL);
    await server.ok(
      `mutation { updateDataset(input: { slug: "topics-filtered", description: "Telescope astronomy for stargazers" }) { slug } }`,
    );
    ({ searchDatasets } = await run('astronomy telescope'));
    assert.equal(searchDatasets.hits[0].dataset.slug, 'topics-filtered');
  });

  it('refuses bad input with a precise message and code', async () => {
    const expectError = async (
      query: string,
      variables: Record<string, unknown>,
      code: string,
      pattern: RegExp,
    ) => {
      const result = await server.gql(query, variables);
      assert.ok(result.errors?.length, `expected an error for ${JSON.stringify(variables)}`);
      assert.equal(result.errors![0]!.extensions?.code, code, result.errors![0]!.message);
      assert.match(result.errors![0]!.message, pattern);
    };
    const searchQuery = `query ($q: String!, $k: Int, $s: String) { searchSamples(query: $q, k: $k, space: $s) { exact } }`;
    await expectError(searchQuery, { q: '   ' }, 'BAD_USER_INPUT', /query must be a non-empty text/);
    await expectError(
      searchQuery,
      { q: 'bread', k: 101 },
      'BAD_USER_INPUT',
      /k must be an integer from 1 to 100/,
    );
    await expectError(
      searchQuery,
      { q: 'bread', k: 0 },
      'BAD_USER_INPUT',
      /k must be an integer from 1 to 100/,
    );
    await expectError(
      searchQuery,
      { q: 'bread', s: 'not a space!' },
      'BAD_USER_INPUT',
      /is not an embedding space name/,
    );
    for (const revision of ['main/../../etc', '..', 'v1..v2']) {
      await expectError(
        searchQuery,
        { q: 'bread', s: `acme/model@${revision}:q8` },
        'BAD_USER_INPUT',
        /is not an embedding space name/,
      );
    }
    await expectError(
      searchQuery,
      { q: 'bread', s: 'acme/unknown-model@main:q8' },
      'BAD_USER_INPUT',
      /no samples are embedded in space acme\/unknown-model@main:q8; spaces with vectors: qdc\/lexical-hash@v1:fp32/,
    );
    await expectError(
      searchQuery,
      { q: 'bread', s: 'acme/unknown-model:q9' },
      'BAD_USER_INPUT',
      /unknown dtype "q9"/,
    );
    const embed = `mutation ($v: ID!, $s: String) { embedVersion(version: $v, space: $s) { id } }`;
    await expectError(
      embed,
      { v: toGlobalId('DatasetVersion', 999999) },
      'NOT_FOUND',
      /no version with id 999999/,
    );
    await expectError(
      embed,
      { v: parentId, s: 'acme/missing-model' },
      'BAD_USER_INPUT',
      /could not load embedding model acme\/missing-model@main:q8.*QDC_MODEL_DIR/,
    );
    const overlap = `mutation ($v: ID!, $t: Float!) { findOverlap(version: $v, threshold: $t) { id } }`;
    for (const t of [0, -0.5, 1.01])
      await expectError(
        overlap,
        { v: parentId, t },
        'BAD_USER_INPUT',
        /threshold must be a cosine similarity in \(0, 1\]/,
      );
    await expectError(
      `query ($s: ID!) { similarSamples(sample: $s) { exact } }`,
      { s: toGlobalId('Sample', 987654) },
      'NOT_FOUND',
      /no sample with id 987654/,
    );
    const [jobs] = rowsOf<{ n: number }>(
      await server.database.db.execute(
        sql`select count(*)::int as n from jobs where kind in ('embeddings.embed', 'overlap.find') and status = 'QUEUED'`,
      ),
    );
    assert.equal(jobs!.n, 0, 'no job was queued by a refused request');
  });
});
