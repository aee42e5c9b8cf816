import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type Edge, type TestServer } from './helpers/testServer.js';
import { testBackend } from './helpers/testDatabase.js';

describe(`first session over HTTP (${testBackend})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  it('creates a dataset, adds samples, records a run and walks lineage', async () => {
    const seeds = await server.ok(
      `mutation { createDataset(input: { slug: "seed-tasks", name: "Seed tasks", task: "instruction-following",
          tags: ["seed", "human"], card: { origin: "human-written" } }) { id slug tags card } }`,
    );
    assert.equal(seeds.createDataset.slug, 'seed-tasks');
    assert.deepEqual(seeds.createDataset.tags, ['seed', 'human']);
    assert.deepEqual(seeds.createDataset.card, { origin: 'human-written' });

    const v1 = await server.ok(
      `mutation($s: [SampleInput!]!) { createVersion(input: { dataset: "seed-tasks", samples: $s }) {
          created version { id version sampleCount contentHash samples(first: 10) { edges { node { ordinal prompt response metadata } } } } } }`,
      {
        s: [
          {
            prompt: 'Give three tips for staying healthy.',
            response: 'Eat well, sleep, move.',
            metadata: { id: 'seed_1' },
          },
          { prompt: 'Translate "cat" to French.', response: 'chat' },
        ],
      },
    );
    const seedVersion = v1.createVersion.version;
    assert.equal(v1.createVersion.created, true);
    assert.equal(seedVersion.version, 1);
    assert.equal(seedVersion.sampleCount, 2);
    assert.deepEqual(
      seedVersion.samples.edges.map((e: Edge<{ ordinal: number; prompt: string; metadata: unknown }>) => [
        e.node.ordinal,
        e.node.prompt,
        e.node.metadata,
      ]),
      [
        [0, 'Give three tips for staying healthy.', { id: 'seed_1' }],
        [1, 'Translate "cat" to French.', null],
      ],
    );

    await server.ok(`mutation { createDataset(input: { slug: "generated", name: "Generated" }) { id } }`);
    const v2 = await server.ok(
      `mutation { createVersion(input: { dataset: "generated", samples: [
          { messages: [{ role: "system", content: "be brief" }, { role: "user", content: "Name a prime." }, { role: "assistant", content: "7" }] }
        ] }) { version { id samples { edges { node { prompt response messages { role content } } } } } } }`,
    );
    const generated = v2.createVersion.version;
    const sample = generated.samples.edges[0].node;
    assert.equal(sample.prompt, 'Name a prime.');
    assert.equal(sample.response, '7');
    assert.equal(sample.messages.length, 3);

    const run = await server.ok(
      `mutation($input: RecordGenerationRunInput!) { recordGenerationRun(input: $input) {
          id generatorModel params algorithm { key } inputs { role version { id } } output { id } } }`,
      {
        input: {
          output: generated.id,
          inputs: [{ version: seedVersion.id, role: 'SEED' }],
          algorithm: 'self-instruct',
          generatorModel: 'gpt-4-0613',
          params: { temperature: 0.7, top_p: 1 },
          startedAt: '2026-11-01T10:00:00Z',
          finishedAt: '2026-11-01T12:30:00Z',
        },
      },
    );
    assert.equal(run.recordGenerationRun.algorithm.key, 'self-instruct');
    assert.deepEqual(run.recordGenerationRun.params, { temperature: 0.7, top_p: 1 });
    assert.deepEqual(run.recordGenerationRun.inputs, [{ role: 'SEED', version: { id: seedVersion.id } }]);

    const lineage = await server.ok(
      `query($v: ID!) { lineage(input: { version: $v, direction: UPSTREAM, depth: 3 }) {
          root { id } isPartial
          nodes { degree direction truncated version { id dataset { slug } } }
          edges { role from { id } to { id } run { generatorModel } } } }`,
      { v: generated.id },
    );
    assert.equal(lineage.lineage.root.id, generated.id);
    assert.equal(lineage.lineage.isPartial, false);
    assert.deepEqual(lineage.lineage.nodes, [
      {
        degree: 1,
        direction: 'UPSTREAM',
        truncated: false,
        version: { id: seedVersion.id, dataset: { slug: 'seed-tasks' } },
      },
    ]);
    assert.deepEqual(lineage.lineage.edges, [
      {
        role: 'SEED',
        from: { id: seedVersion.id },
        to: { id: generated.id },
        run: { generatorModel: 'gpt-4-0613' },
      },
    ]);

    const neighbours = await server.ok(
      `query($a: ID!, $b: ID!) {
        a: version(id: $a) { children { role version { id } run { id } } parents { role } generatedBy { id } }
        b: version(id: $b) { parents { role version { id } } generatedBy { id } } }`,
      { a: seedVersion.id, b: generated.id },
    );
    assert.deepEqual(neighbours.a.children, [
      { role: 'SEED', version: { id: generated.id }, run: { id: run.recordGenerationRun.id } },
    ]);
    assert.deepEqual(neighbours.a.parents, []);
    assert.equal(neighbours.a.generatedBy, null);
    assert.equal(neighbours.b.generatedBy.id, run.recordGenerationRun.id);
  });

  it('re-submitting identical content returns the existing version with an independently computed hash', async () => {
    await server.ok(`mutation { createDataset(input: { slug: "idem", name: "Idempotent" }) { id } }`);
    const samples = [
      { prompt: 'a', response: 'b', metadata: { z: 1, a: [1, { y: 2, x: 1 }] } },
      { prompt: 'a', response: 'b', metadata: { a: [1, { x: 1, y: 2 }], z: 1 } },
    ];
    const q = `mutation($s: [SampleInput!]!) { createVersion(input: { dataset: "idem", samples: $s }) {
        created duplicateSamples version { id version contentHash samples { edges { node { contentHash } } } } } }`;
    const first = await server.ok(q, { s: samples });
    const second = await server.ok(q, { s: samples });
    assert.equal(first.createVersion.created, true);
    assert.equal(
      first.createVersion.duplicateSamples,
      1,
      'key order in metadata does not change the content',
    );
    assert.equal(second.createVersion.created, false);
    assert.equal(second.createVersion.version.id, first.createVersion.version.id);

    const canonical =
      '{"messages":null,"metadata":{"a":[1,{"x":1,"y":2}],"z":1},"prompt":"a","reference":null,"response":"b"}';
    const sampleHash = createHash('sha256').update(canonical).digest('hex');
    const versionHash = createHash('sha256').update(`${sampleHash}\n${sampleHash}\n`).digest('hex');
    const hashes = first.createVersion.version.samples.edges.map(
      (e: Edge<{ contentHash: string }>) => e.node.contentHash,
    );
    assert.deepEqual(hashes, [sampleHash, sampleHash]);
    assert.equal(first.createVersion.version.contentHash, versionHash);

    const third = await server.ok(q, { s: [samples[0], { prompt: 'other' }] });
    assert.equal(third.createVersion.created, true);
    assert.equal(third.createVersion.version.version, 2);
  });

  it('serves concurrent createVersion calls on one dataset as distinct, gap-free versions', async () => {
    await server.ok(`mutation { createDataset(input: { slug: "busy", name: "Busy" }) { id } }`);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        server.ok(
          `mutation($s: [SampleInput!]!) { createVersion(input: { dataset: "busy", samples: $s }) { version { version } } }`,
          {
            s: [{ prompt: `p${i}` }],
          },
        ),
      ),
    );
    const numbers = results.map((r) => r.createVersion.version.version).sort((a: number, b: number) => a - b);
    assert.deepEqual(numbers, [1, 2, 3, 4, 5, 6]);
    const dataset =
      await server.ok(`{ dataset(slug: "busy") { latestVersion { version } versions(first: 3) { edges { node { version } } }
      third: version(number: 3) { version sampleCount } missing: version(number: 7) { version } } }`);
    assert.deepEqual(dataset.dataset.third, { version: 3, sampleCount: 1 });
    assert.equal(dataset.dataset.missing, null);
    assert.equal(dataset.dataset.latestVersion.version, 6);
    assert.deepEqual(
      dataset.dataset.versions.edges.map((e: Edge<{ version: number }>) => e.node.version),
      [6, 5, 4],
    );
  });

  it('updates descriptive fields and keeps the ones left out', async () => {
    await server.ok(
      `mutation { createDataset(input: { slug: "upd", name: "Before", task: "qa", license: "MIT" }) { id } }`,
    );
    const updated = await server.ok(
      `mutation { updateDataset(input: { slug: "upd", name: "After", tags: ["x"] }) { name task license tags } }`,
    );
    assert.deepEqual(updated.updateDataset, { name: 'After', task: 'qa', license: 'MIT', tags: ['x'] });
  });

  it('answers /healthz and node(id) for every node type', async () => {
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    const ids =
      await server.ok(`{ dataset(slug: "seed-tasks") { id latestVersion { id samples(first: 1) { edges { node { id } } } } }
      algorithm(key: "self-instruct") { id components { component { id } } } }`);
    const version = ids.dataset.latestVersion;
    for (const [id, type] of [
      [ids.dataset.id, 'Dataset'],
      [version.id, 'DatasetVersion'],
      [version.samples.edges[0].node.id, 'Sample'],
      [ids.algorithm.id, 'Algorithm'],
      [ids.algorithm.components[0].component.id, 'Component'],
    ]) {
      const found = await server.ok(`query($id: ID!) { node(id: $id) { __typename id } }`, { id });
      assert.deepEqual(found.node, { __typename: type, id });
    }
    const missing = await server.ok(`query($id: ID!) { node(id: $id) { id } }`, {
      id: Buffer.from('Dataset:99999').toString('base64url'),
    });
    assert.equal(missing.node, null);
  });
});
