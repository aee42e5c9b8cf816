import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { parse, type OperationDefinitionNode } from 'graphql';
import { VERSION } from '../src/app.js';
import { registerDataset } from '../src/catalog/datasets.js';
import type { Database } from '../src/db/connect.js';
import { stringifyAndDetach } from '../src/graphql/apollo.js';
import { createContext, type Context } from '../src/graphql/context.js';
import { createJitExecutor } from '../src/graphql/jitExecutor.js';
import { loadTypeDefs, resolvers } from '../src/graphql/schema.js';
import { silentLogger } from '../src/logger.js';
import { openTestDatabase, testBackend } from './helpers/testDatabase.js';
import { testEmbedders } from './helpers/testEmbedders.js';

/**
 * A finished request lets go of what it loaded: the jit executor releases the context's loaders
 * once execution ends, and the HTTP serializer empties a result once it is written (jitExecutor.ts
 * says why). Neither may change what any request answers.
 */
describe(`a request lets go of its loaders and result (${testBackend})`, () => {
  let database: Database;
  const schema = makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers });
  const execute = createJitExecutor(schema);
  const newContext = () =>
    createContext(
      database,
      { version: VERSION, backend: database.backend, auth: 'off' },
      { role: null, presentedKey: false, keyId: null, keyRowId: null, jobQuotas: null },
      { tintMaxSamples: 100 },
      testEmbedders(),
      { requestId: 'test', logger: silentLogger },
    );

  /** What Apollo's gateway path hands the executor, reduced to the fields it reads. */
  function run(query: string, context: Context, variables: Record<string, unknown> = {}) {
    const document = parse(query);
    const operation = document.definitions[0] as OperationDefinitionNode;
    return execute({
      document,
      operation,
      operationName: null,
      queryHash: query,
      context,
      request: { query, variables },
    } as unknown as GatewayGraphQLRequestContext);
  }

  before(async () => {
    database = await openTestDatabase();
    for (const slug of ['one', 'two']) await registerDataset(database.db, { slug, name: `Dataset ${slug}` });
  });
  after(async () => {
    await database.close();
  });

  it('answers in full, then refuses any later use of the loaders', async () => {
    const context = newContext();
    const loaders = context.loaders;
    const result = await run(
      '{ datasets(first: 5, orderBy: NAME_ASC) { edges { node { slug } } } }',
      context,
    );
    assert.equal(result.errors, undefined);
    assert.deepEqual(result.data, {
      datasets: { edges: [{ node: { slug: 'one' } }, { node: { slug: 'two' } }] },
    });
    assert.notEqual(context.loaders, loaders);
    assert.throws(
      () => context.loaders.dataset,
      /loaders\.dataset was used after its request had been executed/,
    );
    assert.match(inspect(context), /loaders: \{\}/, 'a released context can still be logged');
    // The loaders themselves are untouched: anything still holding them (a shared batch context) works on.
    assert.equal((await loaders.dataset.loadMany([-1]))[0], null);
  });

  it('releases them also when the operation fails', async () => {
    const context = newContext();
    const result = await run('query ($slug: String!) { dataset(slug: $slug) { slug } }', context, {
      slug: 42,
    });
    assert.match(String(result.errors?.[0]?.message), /String cannot represent a non string value/);
    assert.throws(() => context.loaders.dataset, /used after its request had been executed/);
    const failing = newContext();
    const partial = await run(
      '{ a: dataset(slug: "one") { slug } b: node(id: "not-an-id") { id } }',
      failing,
    );
    assert.deepEqual(partial.data, { a: { slug: 'one' }, b: null });
    assert.equal(partial.errors?.length, 1);
    assert.throws(() => failing.loaders.version, /used after its request had been executed/);
  });

  it('stringifyAndDetach writes what Apollo writes, then empties the data', () => {
    const data = { datasets: { edges: [{ node: { slug: 'one', tags: ['a', 'é'] } }] }, serverInfo: null };
    const errors = [{ message: 'x', path: ['serverInfo'] }];
    const expected = `${JSON.stringify({ errors, data, extensions: undefined })}\n`;
    const result = { errors, data, extensions: undefined };
    assert.equal(stringifyAndDetach(result), expected);
    assert.deepEqual(data, {});
    assert.deepEqual(result.errors, [{ message: 'x', path: ['serverInfo'] }]);
    assert.equal(stringifyAndDetach({ data: null, errors }), `${JSON.stringify({ data: null, errors })}\n`);
    assert.equal(stringifyAndDetach({ errors }), `${JSON.stringify({ errors })}\n`);
  });
});
