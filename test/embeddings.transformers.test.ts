/**
 * The transformers.js embedder through the catalog, on the tiny BERT model the tests generate:
 * the real loading, pooling and normalisation path as the default space, embedding jobs and
 * search in that space, a second dtype as a separate space, and the loud fallback to the lexical
 * embedder when the configured model cannot be loaded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pipeline } from '@huggingface/transformers';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../src/db/sqlHelpers.js';
import { EmbedderRegistry } from '../src/embeddings/registry.js';
import { createLogger } from '../src/logger.js';
import { toGlobalId } from '../src/globalId.js';
import { embedThroughApi, TOPICS } from './helpers/embeddingData.js';
import { randomSamples, storeVersion } from './helpers/metricData.js';
import { testEmbeddingConfig, tinyModelEmbedders } from './helpers/testEmbedders.js';
import { startTestServer, type TestServer } from './helpers/testServer.js';
import { TINY_BERT_HIDDEN } from './helpers/tinyBert.js';

const Q8 = 'qdc-test/tiny-bert@main:q8';
const FP32 = 'qdc-test/tiny-bert@main:fp32';

describe('transformers.js embedder (tiny generated BERT model)', () => {
  let server: TestServer;
  let registry: EmbedderRegistry;
  let modelDir: string;
  let versionId: number;

  before(async () => {
    ({ registry, modelDir } = await tinyModelEmbedders());
    server = await startTestServer({ embedders: registry });
    versionId = await storeVersion(server.database, 'tiny', [
      ...Object.values(TOPICS),
      ...randomSamples(60, 3),
    ]);
  });
  after(async () => {
    await server.stop();
    await registry.close();
  });

  it("is the default space, with the model's dimension and no fallback", async () => {
    const { embeddingSpaces } = await server.ok(
      `{ embeddingSpaces { default { key provider model revision dtype dims pooling isDefault } fallback { reason } } }`,
    );
    assert.deepEqual(embeddingSpaces.default, {
      key: Q8,
      provider: 'TRANSFORMERS',
      model: 'qdc-test/tiny-bert',
      revision: 'main',
      dtype: 'q8',
      dims: TINY_BERT_HIDDEN,
      pooling: 'mean',
      isDefault: true,
    });
    assert.equal(embeddingSpaces.fallback, null);
  });

  it('stores exactly the vectors the pipeline gives, unit length, and finds a sample by its own text', async () => {
    await embedThroughApi(server, versionId);
    const rows = rowsOf<{ text: string; embedding: string }>(
      await server.database.db.execute(sql`
        select coalesce(s.prompt, '') || chr(10) || coalesce(s.response, '') as text, e.embedding::text as embedding
        from sample_embeddings e join samples s on s.id = e.sample_id where e.version_id = ${versionId} order by s.ordinal`),
    );
    assert.equal(rows.length, 65);
    const embedder = await registry.embedderFor(Q8);
    const direct = await embedder.embed(rows.map((r) => r.text));
    rows.forEach((row, i) => {
      const stored = Float32Array.from(JSON.parse(row.embedding) as number[]);
      assert.equal(stored.length, TINY_BERT_HIDDEN);
      // Batches differ (length buckets vs one call), so padding differs: equal to float32 noise.
      for (let j = 0; j < stored.length; j++)
        assert.ok(Math.abs(stored[j]! - direct[i]![j]!) < 1e-5, `sample ${i} component ${j}`);
      const norm = Math.hypot(...stored);
      assert.ok(Math.abs(norm - 1) < 1e-5);
    });
    const { searchSamples } = await server.ok(
      `query ($q: String!) { searchSamples(query: $q, k: 3) { space { key } hits { similarity sample { prompt } } } }`,
      { q: `${TOPICS.quantum.prompt}\n${TOPICS.quantum.response}` },
    );
    assert.equal(searchSamples.space.key, Q8);
    assert.equal(searchSamples.hits[0].sample.prompt, TOPICS.quantum.prompt);
    assert.ok(searchSamples.hits[0].similarity > 0.9999);
  });

  it('pools exactly like the transformers.js pipeline (mean over the attention mask, then L2)', async () => {
    const embedder = await registry.embedderFor(Q8);
    const texts = [
      TOPICS.bread.prompt,
      'short',
      `${TOPICS.python.prompt}\n${TOPICS.python.response}`,
      'naïve café λόγος',
    ];
    const ours = await embedder.embed(texts);
    const extractor = await pipeline('feature-extraction', 'qdc-test/tiny-bert', {
      dtype: 'q8',
      local_files_only: true,
    });
    try {
      const theirs = await extractor(texts, { pooling: 'mean', normalize: true });
      const [rows, dims] = theirs.dims as [number, number];
      assert.equal(rows, texts.length);
      for (let i = 0; i < rows; i++) {
        for (let d = 0; d < dims; d++)
          assert.ok(
            Math.abs(ours[i]![d]! - (theirs.data as Float32Array)[i * dims + d]!) < 1e-6,
            `text ${i} dim ${d}`,
          );
      }
    } finally {
      await extractor.dispose();
    }
  });

  it('keeps another dtype of the same model as a separate space whose vectors are never mixed in', async () => {
    await embedThroughApi(server, versionId, FP32);
    const { embeddingSpaces } = await server.ok(
      `{ embeddingSpaces { spaces { key dims vectorCount isDefault } } }`,
    );
    assert.deepEqual(embeddingSpaces.spaces, [
      { key: Q8, dims: TINY_BERT_HIDDEN, vectorCount: 65, isDefault: true },
      { key: FP32, dims: TINY_BERT_HIDDEN, vectorCount: 65, isDefault: false },
    ]);
    const run = (space: string) =>
      server.ok(
        `query ($q: String!, $s: String) { searchSamples(query: $q, k: 100, space: $s) { space { key } hits { sample { id } } } }`,
        {
          q: 'sourdough',
          s: space,
        },
      );
    for (const space of [Q8, FP32]) {
      const { searchSamples } = await run(space);
      assert.equal(searchSamples.space.key, space);
      assert.equal(
        searchSamples.hits.length,
        65,
        "each sample once: only the searched space's vectors are candidates",
      );
      assert.equal(new Set(searchSamples.hits.map((h: { sample: { id: string } }) => h.sample.id)).size, 65);
    }
  });

  it('names the model and the offline directory when a requested model cannot be loaded', async () => {
    const result = await server.gql(
      `mutation ($v: ID!) { embedVersion(version: $v, space: "qdc-test/absent-model") { id } }`,
      {
        v: toGlobalId('DatasetVersion', versionId),
      },
    );
    assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    const message = result.errors![0]!.message;
    assert.match(message, /could not load embedding model qdc-test\/absent-model@main:q8/);
    assert.ok(message.includes(`QDC_MODEL_DIR=${modelDir}`), message);
    assert.match(message, /downloads are off \(QDC_ALLOW_REMOTE_MODELS=false\)/);
  });
});

describe('falling back to the lexical embedder', () => {
  it('says so loudly in the log and in Query.embeddingSpaces when the configured model cannot be loaded', async () => {
    const lines: string[] = [];
    const { modelDir } = await tinyModelEmbedders();
    const registry = new EmbedderRegistry(
      testEmbeddingConfig({ embedder: 'transformers', model: 'qdc-test/absent-model', modelDir }),
      createLogger({ format: 'json', write: (line) => lines.push(line) }),
    );
    const server = await startTestServer({ embedders: registry });
    try {
      const { embeddingSpaces } = await server.ok(
        `{ embeddingSpaces { default { key provider isDefault } fallback { requested reason } } }`,
      );
      assert.deepEqual(embeddingSpaces.default, {
        key: 'qdc/lexical-hash@v1:fp32',
        provider: 'LEXICAL',
        isDefault: true,
      });
      assert.equal(embeddingSpaces.fallback.requested, 'qdc-test/absent-model@main:q8');
      assert.match(
        embeddingSpaces.fallback.reason,
        /could not load embedding model qdc-test\/absent-model@main:q8.*QDC_MODEL_DIR/,
      );
      assert.equal(
        lines
          .map((l) => JSON.parse(l) as { level: number; msg: string })
          .filter(
            ({ level, msg }) =>
              level === 40 &&
              /^EMBEDDINGS FALLBACK: the model qdc-test\/absent-model@main:q8 could not be loaded/.test(msg),
          ).length,
        1,
      );
      // Work still gets done, in the space the results name.
      const versionId = await storeVersion(server.database, 'fallback', randomSamples(10, 4));
      await embedThroughApi(server, versionId);
      const { searchSamples } = await server.ok(
        `{ searchSamples(query: "water words", k: 2) { space { key } hits { distance } } }`,
      );
      assert.equal(searchSamples.space.key, 'qdc/lexical-hash@v1:fp32');
      assert.equal(searchSamples.hits.length, 2);
    } finally {
      await server.stop();
      await registry.close();
    }
  });
});
