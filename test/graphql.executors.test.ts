import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDataset, createVersion, recordRun } from './helpers/fixtures.js';
import { testBackend } from './helpers/testDatabase.js';
import { startTestServer, type ResponseJson, type TestServer } from './helpers/testServer.js';

/**
 * graphql-jit (the default executor) against graphql-js, the reference implementation: the same
 * operations on the same database must give byte-for-byte the same JSON, data and errors alike.
 */
describe(`graphql-jit answers exactly like graphql-js (${testBackend})`, () => {
  let jit: TestServer;
  let reference: TestServer;
  const ids: Record<string, string> = {};

  before(async () => {
    jit = await startTestServer({ graphqlExecutor: 'jit' });
    reference = await startTestServer({
      graphqlExecutor: 'graphql-js',
      database: jit.database,
      embedders: jit.embedders,
    });
    await createDataset(jit, 'alpha', {
      description: 'first',
      task: 'math',
      tags: ['x', 'y'],
      card: { a: [1, null, 'z'] },
    });
    await createDataset(jit, 'beta');
    ids.a1 = (
      await createVersion(jit, 'alpha', [{ prompt: 'p', response: 'r', metadata: { k: 1 } }])
    ).version.id;
    ids.a2 = (
      await createVersion(jit, 'alpha', [
        {
          messages: [
            { role: 'user', content: 'hi' },
            { role: 'assistant', content: 'yo' },
          ],
        },
      ])
    ).version.id;
    ids.b1 = (
      await createVersion(jit, 'beta', [{ prompt: 'q', response: 'a', reference: '4' }, { prompt: 'q2' }])
    ).version.id;
    const run = await recordRun(
      jit,
      ids.b1!,
      [
        { version: ids.a1!, role: 'SEED' },
        { version: ids.a2!, role: 'SOURCE' },
      ],
      {
        algorithm: 'self-instruct',
        generatorModel: 'gpt-4-0613',
        params: { temperature: 0.7 },
      },
    );
    assert.equal(run.errors, undefined);
  });
  after(async () => {
    await reference.stop();
    await jit.stop();
  });

  async function both(query: string, variables?: Record<string, unknown>) {
    const call = async (server: TestServer) => {
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, body: await res.text() };
    };
    const [fromJit, fromReference] = [await call(jit), await call(reference)];
    assert.deepEqual(fromJit, fromReference, `executors differ on ${query}`);
    return JSON.parse(fromJit.body) as { data?: ResponseJson; errors?: ResponseJson[] };
  }

  const VERSION_FIELDS = `id version contentHash sampleCount byteSize createdAt
    dataset { slug }
    generatedBy { id generatorModel params algorithm { key name year components { position component { key stage quality } } }
      inputs { role version { id version } } }
    parents { role version { id } } children { role version { id } }
    samples(first: 5) { edges { cursor node { id ordinal prompt response reference messages { role content } metadata contentHash } } pageInfo { hasNextPage endCursor } }`;

  it('nested lists with fragments, aliases, variables, directives and __typename', async () => {
    const result = await both(
      `query List($n: Int!, $withRuns: Boolean!, $skipCard: Boolean = true) {
        all: datasets(first: $n) { totalCount edges { cursor node { ...D } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }
        one: dataset(slug: "alpha") { __typename ...D }
        none: dataset(slug: "missing") { id }
        spreadSkipped: dataset(slug: "beta") { slug ...D @skip(if: $withRuns) ... on Dataset @include(if: $withRuns) { name } }
        serverInfo { version }
      }
      fragment D on Dataset {
        id slug name description task domain license tags createdAt updatedAt
        card @skip(if: $skipCard)
        versions(first: 5) { edges { node { ...V } } }
      }
      fragment V on DatasetVersion { id version generatedBy @include(if: $withRuns) { id inputs { role } } }`,
      { n: 10, withRuns: true, skipCard: false },
    );
    assert.equal(result.data.all.totalCount, 2);
    assert.deepEqual(result.data.one.card, { a: [1, null, 'z'] });
    assert.equal(result.data.one.versions.edges.length, 2);
    assert.deepEqual(result.data.spreadSkipped, { slug: 'beta', name: 'Dataset beta' });
  });

  it('versions, samples, runs and the taxonomy through node(id) and inline fragments', async () => {
    const result = await both(
      `query($id: ID!, $b: ID!) {
        node(id: $id) { __typename id ... on DatasetVersion { ${VERSION_FIELDS} } }
        version(id: $b) { ${VERSION_FIELDS} }
        algorithms(usesComponent: null) { key name arxivId components { position component { key usedBy { key } } } }
        components(stage: null) { __typename id key stage name quality diversity complexity rationale builtin }
      }`,
      { id: ids.a1, b: ids.b1 },
    );
    assert.equal(result.data.version.generatedBy.inputs.length, 2);
  });

  it('lineage walks', async () => {
    // b1 was generated from a1 and a2: upstream from b1, downstream from a1, both ways from either.
    const walks = [
      ['UPSTREAM', ids.b1],
      ['DOWNSTREAM', ids.a1],
      ['BOTH', ids.b1],
      ['BOTH', ids.a1],
    ] as const;
    for (const [direction, version] of walks) {
      const result = await both(
        `query($input: LineageInput!) { lineage(input: $input) { isPartial nodes { degree direction truncated version { id version } } edges { role from { id } to { id } run { id } } } }`,
        { input: { version, direction, depth: 3, maxNodes: 10 } },
      );
      assert.equal(result.errors, undefined);
      assert.ok(result.data.lineage.edges.length > 0, `${direction} from ${version}: no edges`);
    }
  });

  it('errors: domain errors, bad ids and cursors, validation, variables and partial data', async () => {
    const cases: [string, Record<string, unknown>?][] = [
      ['{ datasets(first: 101) { edges { cursor } } }'],
      ['{ datasets(first: 1, after: "not-a-cursor") { edges { cursor } } }'],
      ['{ node(id: "garbage!") { id } }'],
      ['query($id: ID!) { version(id: $id) { id } }', { id: 'RGF0YXNldFZlcnNpb246NDI0MjQy' }],
      ['query($n: Int!) { datasets(first: $n) { totalCount } }', { n: 'ten' }],
      ['query($n: Int!) { datasets(first: $n) { totalCount } }'],
      ['{ datasets { edges { node { nope } } } }'],
      [
        '{ datasets(first: 1) { edges { node { slug } } } ok: dataset(slug: "alpha") { slug } bad: version(id: "x") { id } }',
      ],
      ['mutation { createDataset(input: { slug: "alpha", name: "again" }) { id } }'],
      ['mutation { updateDataset(input: { slug: "nope", name: "n" }) { slug } }'],
      [
        'mutation($input: RecordGenerationRunInput!) { recordGenerationRun(input: $input) { id } }',
        { input: { output: ids.a1, inputs: [{ version: ids.b1, role: 'SEED' }] } },
      ],
      [
        'mutation($input: CreateVersionInput!) { createVersion(input: $input) { created version { id } } }',
        { input: { dataset: 'alpha', samples: [{ response: 'no prompt' }] } },
      ],
      [
        'mutation($input: CreateVersionInput!) { createVersion(input: $input) { created version { id } } }',
        { input: { dataset: 'alpha', samples: [{ prompt: 'p', response: 'r', metadata: { k: 1 } }] } },
      ],
      ['{ __typename }'],
    ];
    for (const [query, variables] of cases) await both(query, variables);
    const partial = await both(cases[7]![0]);
    assert.equal(partial.data.ok.slug, 'alpha');
    assert.equal(partial.data.bad, null);
    assert.equal(partial.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  });

  it('introspection', async () => {
    const schema = await both(
      `{ __schema { queryType { name } types { kind name fields { name args { name defaultValue } type { kind name ofType { name } } } } } }`,
    );
    assert.ok(schema.data.__schema.types.length > 50);
    const version = await both(
      `{ __type(name: "DatasetVersion") { name description fields { name description isDeprecated type { name ofType { name } } } interfaces { name } } }`,
    );
    // The public types, not the execution schema's copies.
    const id = version.data.__type.fields.find((f: { name: string }) => f.name === 'id');
    assert.equal(id.type.ofType.name, 'ID');
  });
});
