/**
 * What one GraphQL request may cost (security review F4, F5; issue 21 item 1): tokens before
 * parsing, aliases, expanded fields, list fan-out, batches and variables, each refused with
 * QUERY_TOO_COMPLEX (or BAD_REQUEST for a batch) before any resolver runs; and the graphql-jit
 * compile cache bounded by size. Every expected count and cost below is worked out by hand.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { parse, type OperationDefinitionNode } from 'graphql';
import { VERSION } from '../src/app.js';
import { DEFAULT_GRAPHQL_LIMITS } from '../src/config.js';
import { createContext } from '../src/graphql/context.js';
import { countSelections } from '../src/graphql/costLimits.js';
import { createJitExecutor, type JitCacheState } from '../src/graphql/jitExecutor.js';
import { loadTypeDefs, resolvers } from '../src/graphql/schema.js';
import { silentLogger } from '../src/logger.js';
import { makeVersion } from './helpers/fixtures.js';
import { testBackend } from './helpers/testDatabase.js';
import { testEmbedders } from './helpers/testEmbedders.js';
import { startTestServer, type TestServer, type ResponseJson } from './helpers/testServer.js';

// datasets(first: 3) 1 + 3 x [edges 1 + (node 1 + slug 1 + versions(first: 2) (1 + 2 x [edges 1 + (node 1 + version 1)]))]
//   versions = 1 + 2 x (1 + 2) = 7; dataset node = 1 + 1 + 7 = 9; edges = 10; datasets = 1 + 3 x 10 = 31.
const NESTED = `{ datasets(first: 3) { edges { node { slug versions(first: 2) { edges { node { version } } } } } } }`;
const NESTED_COST = 31;

/** As application/graphql-response+json, whose request errors are 4xx (application/json: 200). */
async function post(server: TestServer, body: unknown, accept = 'application/graphql-response+json') {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as ResponseJson };
}

describe('countSelections', () => {
  it('counts fields and aliases with fragments expanded where they are spread', () => {
    const document = parse(`
      { a: datasets { totalCount } ...F ...F }
      fragment F on Query { b: datasets { totalCount } version(id: "x") { id } }`);
    // a, a.totalCount (2) + twice F: b, b.totalCount, version, version.id (4 each) = 10 fields; aliases a + 2 x b = 3.
    assert.deepEqual(countSelections(document, document.definitions[0] as OperationDefinitionNode), {
      fields: 10,
      aliases: 3,
    });
  });

  it('takes linear time over fragments whose spreads multiply to 2^60 fields', () => {
    const fragments = Array.from(
      { length: 60 },
      (_, i) => `fragment L${i + 1} on Dataset { ...L${i} ...L${i} }`,
    );
    const document = parse(`{ datasets { edges { node { ...L60 } } } }
      fragment L0 on Dataset { slug }
      ${fragments.join('\n')}`);
    // datasets, edges, node + 2^60 slugs
    assert.equal(
      countSelections(document, document.definitions[0] as OperationDefinitionNode).fields,
      3 + 2 ** 60,
    );
  });
});

describe(`cost limits over HTTP (${testBackend})`, () => {
  let server: TestServer;
  let tight: TestServer;
  let few: TestServer;
  before(async () => {
    // More tokens than the default, so that the alias limit is the one the alias test meets.
    server = await startTestServer({ graphqlLimits: { ...DEFAULT_GRAPHQL_LIMITS, maxTokens: 100_000 } });
    await makeVersion(server, 'costed', 2);
    tight = await startTestServer({
      database: server.database,
      graphqlLimits: {
        ...DEFAULT_GRAPHQL_LIMITS,
        maxCost: NESTED_COST - 1,
        maxVariableValues: 50,
      },
    });
    few = await startTestServer({
      database: server.database,
      graphqlLimits: { ...DEFAULT_GRAPHQL_LIMITS, maxTokens: 500 },
    });
  });
  after(async () => {
    await few.stop();
    await tight.stop();
    await server.stop();
  });

  /** Runs `send` and checks that no statement reached the database meanwhile (no resolver ran). */
  async function noStatements<T>(send: () => Promise<T>): Promise<T> {
    const before = server.database.statements.count;
    const result = await send();
    assert.equal(server.database.statements.count, before, 'no statement was run');
    return result;
  }

  it('refuses a list fan-out over the cost limit with the computed cost, and runs it at the limit', async () => {
    const refused = await noStatements(() => post(tight, { query: NESTED }));
    assert.equal(refused.status, 400);
    const error = refused.body.errors[0];
    assert.equal(error.extensions.code, 'QUERY_TOO_COMPLEX');
    assert.equal(error.extensions.cost, NESTED_COST);
    assert.equal(error.extensions.limit, NESTED_COST - 1);
    assert.match(error.message, /costs 31 .* limit is 30 \(QDC_GRAPHQL_MAX_COST\)/);
    // The same refusal as application/json is a 200, as GraphQL over HTTP asks for request errors.
    const legacy = await noStatements(() => post(tight, { query: NESTED }, 'application/json'));
    assert.equal(legacy.status, 200);
    assert.deepEqual(legacy.body, refused.body);
    const ok = await post(server, { query: NESTED });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.data.datasets.edges[0].node.slug, 'costed');
  });

  it('takes page sizes from variables and argument defaults', async () => {
    // first defaults to 20: 1 + 20 x (1 + (1 + 1)) = 61 with only slug selected.
    const defaults = await post(tight, { query: '{ datasets { edges { node { slug } } } }' });
    assert.equal(defaults.body.errors[0].extensions.cost, 61);
    const viaVariable = await post(tight, {
      query: 'query($n: Int) { datasets(first: $n) { edges { node { slug } } } }',
      variables: { n: 9 },
    });
    // 1 + 9 x 3 = 28: under the limit of 30.
    assert.equal(viaVariable.status, 200, JSON.stringify(viaVariable.body));
  });

  it('refuses 2000 aliases of a nested list before any resolver runs', async () => {
    const aliases = Array.from(
      { length: 2000 },
      (_, i) =>
        `a${i}: datasets(first: 100) { edges { node { versions(first: 100) { edges { node { id } } } } } }`,
    );
    const refused = await noStatements(() => post(server, { query: `{ ${aliases.join(' ')} }` }));
    assert.equal(refused.status, 400);
    assert.equal(refused.body.errors[0].extensions.code, 'QUERY_TOO_COMPLEX');
    assert.equal(refused.body.errors[0].extensions.aliases, 2000);
    assert.equal(refused.body.errors[0].extensions.limit, DEFAULT_GRAPHQL_LIMITS.maxAliases);
  });

  it('refuses fragments that expand to more fields than the limit', async () => {
    const fragments = Array.from(
      { length: 12 },
      (_, i) => `fragment L${i + 1} on Dataset { ...L${i} ...L${i} }`,
    );
    const query = `{ datasets(first: 1) { edges { node { ...L12 } } } }
      fragment L0 on Dataset { slug name }
      ${fragments.join('\n')}`;
    const refused = await noStatements(() => post(server, { query }));
    assert.equal(refused.status, 400);
    // datasets, edges, node + 2^12 copies of (slug, name)
    assert.equal(refused.body.errors[0].extensions.fields, 3 + 2 ** 13);
    assert.equal(refused.body.errors[0].extensions.limit, DEFAULT_GRAPHQL_LIMITS.maxFields);
  });

  it('counts tokens before parsing', async () => {
    const refused = await noStatements(() => post(few, { query: `{ ${'__typename '.repeat(600)} }` }));
    assert.equal(refused.status, 400);
    assert.equal(refused.body.errors[0].extensions.code, 'QUERY_TOO_COMPLEX');
    assert.equal(refused.body.errors[0].extensions.limit, 500);
    assert.match(refused.body.errors[0].message, /more than 500 tokens .* not parsed/);
    const legacy = await post(few, { query: `{ ${'__typename '.repeat(600)} }` }, 'application/json');
    assert.equal(legacy.status, 200);
    assert.equal(legacy.body.errors[0].extensions.code, 'QUERY_TOO_COMPLEX');
    // 498 __typename + 2 braces = 500 tokens: parsed and answered.
    const ok = await post(few, { query: `{ ${'__typename '.repeat(498)} }` });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });

  it('bounds the values and the nesting of variables', async () => {
    const query = 'mutation($m: JSON) { updateDataset(input: { slug: "costed", card: $m }) { slug } }';
    const many = await noStatements(() =>
      post(tight, { query, variables: { m: Array.from({ length: 60 }, (_, i) => i) } }),
    );
    assert.equal(many.status, 400);
    assert.equal(many.body.errors[0].extensions.code, 'QUERY_TOO_COMPLEX');
    assert.equal(many.body.errors[0].extensions.limit, 50);
    let deep: unknown = 1;
    for (let i = 0; i < 1000; i++) deep = [deep];
    const nested = await noStatements(() => post(server, { query, variables: { m: deep } }));
    assert.equal(nested.status, 400);
    assert.equal(nested.body.errors[0].extensions.code, 'QUERY_TOO_COMPLEX');
    // variables (1) > m (2) > ... the 64th level is the last allowed.
    assert.equal(nested.body.errors[0].extensions.depth, 65);
    assert.equal(nested.body.errors[0].extensions.limit, 64);
  });

  it('refuses a batch of 1000 operations in one request', async () => {
    const batch = Array.from({ length: 1000 }, () => ({ query: '{ datasets { totalCount } }' }));
    const refused = await noStatements(() => post(server, batch));
    assert.equal(refused.status, 400);
    assert.equal(refused.body.errors[0].extensions.code, 'BAD_REQUEST');
    assert.equal(refused.body.errors[0].extensions.operations, 1000);
  });
});

describe('the graphql-jit compile cache', () => {
  it('is bounded by the fields it holds, and keeps no operation larger than itself', async () => {
    const schema = makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers });
    const state: JitCacheState = { entries: 0, fields: 0 };
    const execute = createJitExecutor(schema, 20, state);
    const context = () =>
      createContext(
        { db: null, backend: 'pglite' } as never,
        { version: VERSION, backend: 'pglite', auth: 'off' },
        { role: null, presentedKey: false, keyId: null, keyRowId: null, jobQuotas: null },
        { tintMaxSamples: 1 },
        testEmbedders(),
        { requestId: 'cache', logger: silentLogger },
      );
    const run = (query: string) => {
      const document = parse(query);
      return execute({
        document,
        operation: document.definitions[0] as OperationDefinitionNode,
        operationName: null,
        queryHash: query,
        context: context(),
        request: { query, variables: {} },
      } as unknown as GatewayGraphQLRequestContext);
    };
    // Each operation selects n copies of __typename under distinct aliases: n fields.
    const typenames = (n: number, tag: string) =>
      `{ ${Array.from({ length: n }, (_, i) => `${tag}${i}: __typename`).join(' ')} }`;
    await run(typenames(8, 'a'));
    await run(typenames(8, 'b'));
    assert.deepEqual(state, { entries: 2, fields: 16 });
    await run(typenames(8, 'c')); // 24 > 20: the oldest (a) goes
    assert.deepEqual(state, { entries: 2, fields: 16 });
    const big = await run(typenames(21, 'd')); // larger than the whole cache: answered, not kept
    assert.equal(Object.keys(big.data!).length, 21);
    assert.deepEqual(state, { entries: 2, fields: 16 });
  });
});
