import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GraphQLError } from 'graphql';
import { createFormatError } from '../src/graphql/errors.js';
import { silentLogger } from '../src/logger.js';
import { createDataset, createVersion } from './helpers/fixtures.js';
import { testBackend } from './helpers/testDatabase.js';
import {
  startTestServer,
  type Edge,
  type ErrorBody,
  type GraphQLResult,
  type TestServer,
} from './helpers/testServer.js';

function expectError(result: GraphQLResult, code: string, message?: RegExp) {
  assert.ok(result.errors?.length, `expected a ${code} error, got ${JSON.stringify(result.data)}`);
  const error = result.errors[0]!;
  assert.equal(error.extensions?.code, code, error.message);
  if (message) assert.match(error.message, message);
  assert.equal(error.extensions?.stacktrace, undefined, 'no stack trace reaches the client');
}

const CREATE_VERSION = `mutation($input: CreateVersionInput!) { createVersion(input: $input) { version { id } } }`;

describe(`bad input is refused precisely and writes nothing (${testBackend})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ maxBodyBytes: 64 * 1024 });
    await createDataset(server, 'taken');
  });
  after(() => server.stop());

  const counts = async () =>
    (
      await server.ok(
        `{ datasets(first: 100) { totalCount edges { node { slug versions { edges { node { sampleCount } } } } } } }`,
      )
    ).datasets;

  it('unknown slug or id', async () => {
    expectError(
      await server.gql(CREATE_VERSION, { input: { dataset: 'nope', samples: [{ prompt: 'x' }] } }),
      'NOT_FOUND',
      /no dataset with slug "nope"/,
    );
    expectError(
      await server.gql(`mutation { updateDataset(input: { slug: "nope", name: "n" }) { slug } }`),
      'NOT_FOUND',
    );
    const ghost = Buffer.from('DatasetVersion:424242').toString('base64url');
    expectError(
      await server.gql(`query($v: ID!) { lineage(input: { version: $v }) { isPartial } }`, { v: ghost }),
      'NOT_FOUND',
      new RegExp(ghost),
    );
    const real = (await createVersion(server, 'taken', [{ prompt: 'p' }])).version.id;
    expectError(
      await server.gql(
        `mutation($o: ID!, $i: ID!) { recordGenerationRun(input: { output: $o, inputs: [{ version: $i, role: SEED }] }) { id } }`,
        {
          o: real,
          i: ghost,
        },
      ),
      'NOT_FOUND',
    );
    expectError(
      await server.gql(
        `mutation($o: ID!) { recordGenerationRun(input: { output: $o, inputs: [], algorithm: "no-such-method" }) { id } }`,
        {
          o: real,
        },
      ),
      'BAD_USER_INPUT',
      /unknown algorithm "no-such-method"/,
    );
    const after = await server.ok(`query($v: ID!) { version(id: $v) { generatedBy { id } } }`, { v: real });
    assert.equal(after.version.generatedBy, null, 'rejected runs wrote nothing');
    const lookups = await server.ok(
      `query($v: ID!) { dataset(slug: "nope") { id } version(id: $v) { id } }`,
      { v: ghost },
    );
    assert.deepEqual(lookups, { dataset: null, version: null }, 'lookups document null for a miss');
  });

  it('duplicate or malformed slug', async () => {
    expectError(
      await server.gql(`mutation { createDataset(input: { slug: "taken", name: "Again" }) { id } }`),
      'BAD_USER_INPUT',
      /slug "taken" already exists/,
    );
    expectError(
      await server.gql(`mutation { createDataset(input: { slug: "Bad Slug!", name: "x" }) { id } }`),
      'BAD_USER_INPUT',
      /lowercase/,
    );
    expectError(
      await server.gql(`mutation { createDataset(input: { slug: "ok-slug", name: "" }) { id } }`),
      'BAD_USER_INPUT',
      /name/,
    );
    const list = await counts();
    assert.deepEqual(
      list.edges.map((e: Edge<{ slug: string }>) => e.node.slug),
      ['taken'],
    );
  });

  it('NUL and lone surrogates in dataset fields are refused, not stored or replaced', async () => {
    // Refused for every string of a request at once (src/graphql/storableInput.ts), naming the variable path.
    const CREATE = 'mutation($in: CreateDatasetInput!) { createDataset(input: $in) { id } }';
    const UPDATE = 'mutation($in: UpdateDatasetInput!) { updateDataset(input: $in) { description } }';
    // Variables as JSON text, so the lone surrogate arrives as the \\ud800 escape a client sends.
    const send = (query: string, input: string) =>
      fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"query": ${JSON.stringify(query)}, "variables": {"in": ${input}}}`,
      }).then((r) => r.json() as Promise<GraphQLResult>);
    const cases: [string, string, RegExp][] = [
      [CREATE, '{"slug": "nul-name", "name": "a\\u0000b"}', /^variable \$in\.name contains a NUL character/],
      [
        CREATE,
        '{"slug": "sur-desc", "name": "x", "description": "half \\ud800 pair"}',
        /^variable \$in\.description(\[\d+\])? contains an unpaired UTF-16 surrogate/,
      ],
      [
        CREATE,
        '{"slug": "sur-tag", "name": "x", "tags": ["ok", "\\udc00"]}',
        /^variable \$in\.tags(\[\d+\])? contains an unpaired UTF-16 surrogate/,
      ],
      [
        CREATE,
        '{"slug": "nul-card", "name": "x", "card": {"a": {"b": "\\u0000"}}}',
        /^variable \$in\.card\.a\.b contains a NUL/,
      ],
      [
        UPDATE,
        '{"slug": "taken", "description": "\\ud83d"}',
        /^variable \$in\.description(\[\d+\])? contains an unpaired UTF-16 surrogate/,
      ],
    ];
    for (const [query, input, message] of cases) {
      expectError(await send(query, input), 'BAD_USER_INPUT', message);
    }
    // A surrogate pair (an emoji) is well-formed and kept as it is.
    const kept = await send(UPDATE, '{"slug": "taken", "description": "ok \\ud83d\\ude00"}');
    assert.equal(kept.data?.updateDataset.description, 'ok \u{1F600}');
    const list = await counts();
    assert.deepEqual(
      list.edges.map((e: Edge<{ slug: string }>) => e.node.slug),
      ['taken'],
    );
  });

  it('page sizes, cursors and global ids', async () => {
    expectError(
      await server.gql(`{ datasets(first: 101) { totalCount } }`),
      'BAD_USER_INPUT',
      /first must be an integer from 0 to 100 \(got 101\)/,
    );
    expectError(await server.gql(`{ datasets(first: -1) { totalCount } }`), 'BAD_USER_INPUT', /first/);
    expectError(
      await server.gql(`{ datasets(after: "not-a-cursor") { totalCount } }`),
      'BAD_USER_INPUT',
      /not a valid cursor/,
    );
    expectError(
      await server.gql(`{ dataset(slug: "taken") { versions(first: 500) { pageInfo { hasNextPage } } } }`),
      'BAD_USER_INPUT',
      /first/,
    );
    expectError(await server.gql(`{ version(id: "garbage") { id } }`), 'BAD_USER_INPUT', /not a valid id/);
    expectError(
      await server.gql(`{ node(id: "RGF0YXNldDpub3Bl") { id } }`),
      'BAD_USER_INPUT',
      /not a valid id/,
    );
    const datasetId = (await server.ok(`{ dataset(slug: "taken") { id } }`)).dataset.id;
    expectError(
      await server.gql(`query($id: ID!) { version(id: $id) { id } }`, { id: datasetId }),
      'BAD_USER_INPUT',
      /is a Dataset id; expected a DatasetVersion id/,
    );
    expectError(
      await server.gql(`query($f: Int) { datasets(first: $f) { totalCount } }`, { f: 'ten' }),
      'BAD_USER_INPUT',
    );
  });

  it('too many samples, or a sample with neither prompt nor messages', async () => {
    const before = await counts();
    const tooMany = Array.from({ length: 1001 }, (_, i) => ({ prompt: `p${i}` }));
    const big = await startTestServer({ database: server.database });
    try {
      expectError(
        await big.gql(CREATE_VERSION, { input: { dataset: 'taken', samples: tooMany } }),
        'BAD_USER_INPUT',
        /at most 1000/,
      );
    } finally {
      await big.stop();
    }
    expectError(
      await server.gql(CREATE_VERSION, {
        input: { dataset: 'taken', samples: [{ prompt: 'fine' }, { response: 'orphan answer' }] },
      }),
      'BAD_USER_INPUT',
      /samples\[1\]: a sample needs a non-empty prompt or non-empty messages/,
    );
    expectError(
      await server.gql(CREATE_VERSION, {
        input: { dataset: 'taken', samples: [{ prompt: 'x', metadata: [1, 2] }] },
      }),
      'BAD_USER_INPUT',
      /samples\[0\]: metadata must be a JSON object/,
    );
    expectError(
      await server.gql(CREATE_VERSION, { input: { dataset: 'taken', samples: [] } }),
      'BAD_USER_INPUT',
      /at least 1/,
    );
    expectError(
      await server.gql(CREATE_VERSION, { input: { dataset: 'taken', samples: [{ prompt: 42 }] } }),
      'BAD_USER_INPUT',
      /String/,
    );
    assert.deepEqual(await counts(), before, 'no version was written');
  });

  it('oversized, malformed and non-UTF-8 request bodies', async () => {
    const huge = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: `{ datasets { totalCount } }`,
        variables: { pad: 'x'.repeat(70 * 1024) },
      }),
    });
    assert.equal(huge.status, 413);
    assert.equal(((await huge.json()) as ErrorBody).errors[0]!.extensions.code, 'PAYLOAD_TOO_LARGE');

    const malformed = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": "{ datasets { totalCount } }"',
    });
    assert.equal(malformed.status, 400);
    const body = (await malformed.json()) as ErrorBody;
    assert.equal(body.errors[0]!.extensions.code, 'BAD_REQUEST');
    assert.match(body.errors[0]!.message, /not valid JSON/);

    const invalidUtf8 = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.concat([
        Buffer.from('{"query":"{ dataset(slug: \\"'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('\\") { id } }"}'),
      ]),
    });
    assert.equal(invalidUtf8.status, 400);
    assert.match(((await invalidUtf8.json()) as ErrorBody).errors[0]!.message, /not valid UTF-8/);

    const unknownRoute = await fetch(`${server.url}/nope`);
    assert.equal(unknownRoute.status, 404);
  });

  it('turns unexpected errors into a generic INTERNAL_SERVER_ERROR without internals', () => {
    const logged: unknown[] = [];
    const format = createFormatError({ ...silentLogger, error: (_m, f) => logged.push(f) });
    const leak = new GraphQLError('relation "datasets" violates constraint', {
      originalError: new Error('duplicate key value violates unique constraint "x" SELECT * FROM secrets'),
    });
    const formatted = format(
      { message: leak.message, extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x'] } },
      leak,
    );
    assert.deepEqual(formatted, {
      message: 'Internal server error',
      locations: undefined,
      path: undefined,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    assert.equal(logged.length, 1, 'the details go to the log');
  });
});
