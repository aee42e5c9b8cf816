import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registerDataset } from '../src/catalog/datasets.js';
import { recordGenerationRun } from '../src/catalog/lineage.js';
import { createVersion } from '../src/catalog/versions.js';
import { testBackend } from './helpers/testDatabase.js';
import { startTestServer, type Edge, type TestServer } from './helpers/testServer.js';

interface VersionNode {
  version: number;
  dataset: { slug: string };
  generatedBy: { generatorModel: string; algorithm: { key: string; components: unknown[] } } | null;
  parents: { role: string; version: { dataset: { slug: string }; version: number } }[];
  children: { role: string; version: { version: number } }[];
}

const NESTED = `query($first: Int!) { datasets(first: $first, orderBy: CREATED_AT_ASC) { edges { node {
  slug latestVersion { version }
  versions(first: 5) { edges { node {
    id version dataset { slug }
    generatedBy { id generatorModel algorithm { key components { position component { key } } } inputs { role version { version dataset { slug } } } }
    parents { role version { version dataset { slug } } run { id } }
    children { role version { version } }
  } } }
} } } }`;

describe(`DataLoader batching keeps statement counts flat (${testBackend})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    const db = server.database.db;
    const firstVersion: number[] = [];
    for (let i = 0; i < 100; i += 1) {
      const slug = `set-${String(i).padStart(3, '0')}`;
      await registerDataset(db, { slug, name: slug });
      const v1 = await createVersion(server.database, slug, [{ prompt: `${slug} seed` }]);
      const v2 = await createVersion(server.database, slug, [
        { prompt: `${slug} generated` },
        { prompt: 'shared' },
      ]);
      firstVersion.push(v1.version.id);
      await recordGenerationRun(db, {
        outputVersionId: v2.version.id,
        inputs: [
          { versionId: v1.version.id, role: 'SEED', ref: 'v1' },
          ...(i > 0 ? [{ versionId: firstVersion[i - 1]!, role: 'REFERENCE' as const, ref: 'prev' }] : []),
        ],
        algorithmKey: i % 2 === 0 ? 'self-instruct' : 'evol-instruct',
        generatorModel: `model-${i % 3}`,
      });
    }
  });
  after(() => server.stop());

  async function statementsFor(first: number) {
    const before = server.database.statements.count;
    const data = await server.ok(NESTED, { first });
    return { statements: server.database.statements.count - before, data };
  }

  it('issues as many statements for 100 datasets as for 10, on every run', async () => {
    const counts: number[] = [];
    for (let run = 0; run < 4; run += 1) {
      const ten = await statementsFor(10);
      const hundred = await statementsFor(100);
      assert.equal(ten.data.datasets.edges.length, 10);
      assert.equal(hundred.data.datasets.edges.length, 100);
      counts.push(ten.statements, hundred.statements);
    }
    assert.deepEqual(new Set(counts).size, 1, `statement counts differ: ${counts.join(', ')}`);
    assert.ok(counts[0]! <= 16, `expected a small constant, got ${counts[0]}`);
  });

  it('returns the right nested data', async () => {
    const { data } = await statementsFor(100);
    const node = data.datasets.edges[7].node;
    assert.equal(node.slug, 'set-007');
    assert.equal(node.latestVersion.version, 2);
    const [v2, v1] = (node.versions.edges as Edge<VersionNode>[]).map((e) => e.node) as [
      VersionNode,
      VersionNode,
    ];
    assert.equal(v2.version, 2);
    assert.equal(v2.dataset.slug, 'set-007');
    assert.equal(v2.generatedBy!.generatorModel, 'model-1');
    assert.equal(v2.generatedBy!.algorithm.key, 'evol-instruct');
    assert.ok(v2.generatedBy!.algorithm.components.length > 0);
    assert.deepEqual(v2.parents.map((p) => [p.role, p.version.dataset.slug, p.version.version]).sort(), [
      ['REFERENCE', 'set-006', 1],
      ['SEED', 'set-007', 1],
    ]);
    assert.equal(v1.generatedBy, null);
    assert.deepEqual(v1.children.map((c) => [c.role, c.version.version]).sort(), [
      ['REFERENCE', 2],
      ['SEED', 2],
    ]);
  });
});
