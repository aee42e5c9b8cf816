import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { seedTaxonomy } from '../src/catalog/taxonomy/seedTaxonomy.js';
import { ALGORITHM_SEEDS, COMPONENT_SEEDS } from '../src/catalog/taxonomy/seedData.js';
import { testBackend } from './helpers/testDatabase.js';
import { startTestServer, type TestServer } from './helpers/testServer.js';

describe(`taxonomy (${testBackend})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  it('seeds every component and algorithm of the design with QDC effects and arXiv ids', async () => {
    const data = await server.ok<{
      components: { key: string; quality: string; diversity: string; complexity: string }[];
      algorithms: {
        key: string;
        name: string;
        arxivId: string;
        builtin: boolean;
        components: { position: number; config: { rougeLThreshold?: number } | null }[];
      }[];
    }>(`{ components { key stage quality diversity complexity rationale citation builtin }
      algorithms { key name arxivId year builtin components { position config component { key } } } }`);
    assert.equal(data.components.length, COMPONENT_SEEDS.length);
    assert.equal(data.algorithms.length, ALGORITHM_SEEDS.length);
    const names = data.algorithms.map((a) => a.name).join(' | ');
    for (const expected of [
      'Self-Instruct',
      'AlpaGasus',
      'Deita',
      'Magpie',
      'MetaMath',
      'STaR',
      'Rainbow Teaming',
      'TInt',
    ]) {
      assert.ok(names.includes(expected), `${expected} is seeded`);
    }
    assert.ok(data.algorithms.every((a) => /^\d{4}\.\d{4,5}$/.test(a.arxivId) && a.builtin));
    const judge = data.components.find((c) => c.key === 'llm-judge-filter')!;
    assert.deepEqual([judge.quality, judge.diversity], ['UP', 'DOWN']);
    const temperature = data.components.find((c) => c.key === 'high-temperature-sampling')!;
    assert.deepEqual(
      [temperature.quality, temperature.diversity, temperature.complexity],
      ['DOWN', 'UP', 'NONE'],
    );
    const selfInstruct = data.algorithms.find((a) => a.key === 'self-instruct')!;
    assert.equal(selfInstruct.arxivId, '2212.10560');
    assert.deepEqual(
      selfInstruct.components.map((s) => s.position),
      selfInstruct.components.map((_, i) => i),
    );
    assert.ok(selfInstruct.components.some((s) => s.config?.rougeLThreshold === 0.7));
  });

  it('filters by stage and component, and answers usedBy', async () => {
    const filters = await server.ok<{
      components: { stage: string; key: string; usedBy: { key: string }[] }[];
      algorithms: { key: string }[];
    }>(
      `{ components(stage: FILTERING) { stage key usedBy { key } } algorithms(usesComponent: "llm-judge-filter") { key } }`,
    );
    assert.ok(filters.components.length >= 3);
    assert.ok(filters.components.every((c) => c.stage === 'FILTERING'));
    const judgeUsers = filters.components
      .find((c) => c.key === 'llm-judge-filter')!
      .usedBy.map((a) => a.key)
      .sort();
    assert.deepEqual(filters.algorithms.map((a) => a.key).sort(), judgeUsers);
    assert.ok(judgeUsers.includes('alpagasus'));
  });

  it('upserts user components and algorithms, replacing the pipeline atomically', async () => {
    await server.ok(`mutation { upsertComponent(input: { key: "my-filter", stage: FILTERING, name: "My filter",
      quality: UP, diversity: DOWN, complexity: NONE, rationale: "keeps the best" }) { key builtin } }`);
    const created = await server.ok<{
      upsertAlgorithm: {
        builtin: boolean;
        components: { position: number; config: unknown; component: { key: string } }[];
      };
    }>(`mutation { upsertAlgorithm(input: { key: "my-recipe", name: "My recipe", year: 2026,
      components: [{ component: "seed-data" }, { component: "my-filter", config: { threshold: 0.5 } }] }) {
        key builtin components { position config component { key } } } }`);
    assert.equal(created.upsertAlgorithm.builtin, false);
    assert.deepEqual(
      created.upsertAlgorithm.components.map((s) => [s.position, s.component.key, s.config]),
      [
        [0, 'seed-data', null],
        [1, 'my-filter', { threshold: 0.5 }],
      ],
    );
    const bad = await server.gql(`mutation { upsertAlgorithm(input: { key: "my-recipe", name: "Changed",
      components: [{ component: "my-filter" }, { component: "no-such-step" }] }) { key } }`);
    assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(bad.errors![0]!.message, /unknown component key\(s\): no-such-step/);
    const unchanged = await server.ok(
      `{ algorithm(key: "my-recipe") { name components { component { key } } } }`,
    );
    assert.deepEqual(unchanged.algorithm, {
      name: 'My recipe',
      components: [{ component: { key: 'seed-data' } }, { component: { key: 'my-filter' } }],
    });
    const replaced = await server.ok(`mutation { upsertAlgorithm(input: { key: "my-recipe", name: "Renamed",
      components: [{ component: "my-filter" }] }) { name components { position component { key } } } }`);
    assert.deepEqual(replaced.upsertAlgorithm, {
      name: 'Renamed',
      components: [{ position: 0, component: { key: 'my-filter' } }],
    });
    const badYear = await server.gql(
      `mutation { upsertAlgorithm(input: { key: "old", name: "Old", year: 1800 }) { key } }`,
    );
    assert.match(badYear.errors![0]!.message, /year must be from 1950 to 2100/);
  });

  it('re-seeding keeps user edits to seeded records', async () => {
    await server.ok(`mutation { upsertComponent(input: { key: "llm-judge-filter", stage: FILTERING, name: "Judge (edited)",
      quality: UP, diversity: DEPENDS, complexity: DOWN }) { key } }`);
    assert.deepEqual(await seedTaxonomy(server.database.db), { components: 0, algorithms: 0 });
    const judge = await server.ok(`{ component(key: "llm-judge-filter") { name diversity } }`);
    assert.deepEqual(judge.component, { name: 'Judge (edited)', diversity: 'DEPENDS' });
  });
});
