/**
 * Roles and per-key limits (issue 21 item 9). The role table is derived from the schema: every
 * Mutation field must have a declared role in MUTATION_ROLES (a new mutation without one fails
 * here), and every mutation, a sample of queries and every /v1 route is called with no key and
 * with each role's key, expecting what the declared role allows by this file's own ranking.
 * Then revocation, the token bucket, the per-key job limit, built-in taxonomy entries and who
 * may cancel a job (its creator or an admin).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import {
  getNamedType,
  GraphQLObjectType,
  isLeafType,
  parse,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { createApiKey, revokeApiKey } from '../src/auth/apiKeys.js';
import type { ApiKeyRow } from '../src/db/schema.js';
import { rowsOf } from '../src/db/sqlHelpers.js';
import { fromGlobalId, toGlobalId } from '../src/globalId.js';
import { claimJob, getJob } from '../src/jobs/queue.js';
import { enqueueComputeMetrics } from '../src/metricRuns/computeJob.js';
import { MUTATION_ROLES, requiredRole } from '../src/graphql/operationRoles.js';
import { TokenBuckets } from '../src/http/rateLimit.js';
import { V1_ROUTES } from '../src/http/v1Routes.js';
import { fetchSchema } from './helpers/fuzz.js';
import { runJob } from './helpers/jobs.js';
import { testBackend } from './helpers/testDatabase.js';
import { startTestServer, type TestServer } from './helpers/testServer.js';

type Role = 'reader' | 'writer' | 'admin';
const ROLES: Role[] = ['reader', 'writer', 'admin'];
/** This test's own ordering of the roles (not the server's roleAllows). */
const LEVEL: Record<Role, number> = { reader: 0, writer: 1, admin: 2 };
const allows = (held: Role, needed: Role) => LEVEL[held] >= LEVEL[needed];

/** A mutation or query calling `field` with every argument as an unset variable. */
function operationFor(kind: 'mutation' | 'query', field: GraphQLField<unknown, unknown>): string {
  const defs = field.args.map((arg, i) => `$a${i}: ${String(arg.type)}`);
  const args = field.args.map((arg, i) => `${arg.name}: $a${i}`);
  const selection = isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
  return `${kind} Check${defs.length ? `(${defs.join(', ')})` : ''} { ${field.name}${
    args.length ? `(${args.join(', ')})` : ''
  }${selection} }`;
}

async function post(url: string, query: string, key?: string) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query }),
  });
  const body = (await res.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
  return { status: res.status, code: body.errors?.[0]?.extensions?.code, body, headers: res.headers };
}

describe(`every operation and /v1 route enforces its declared role (${testBackend})`, () => {
  let server: TestServer;
  let schema: GraphQLSchema;
  const keys = {} as Record<Role, string>;
  before(async () => {
    // Generous limits: this suite counts roles, not requests.
    server = await startTestServer({
      auth: 'required',
      rateLimits: { requestsPerSecond: 1000, burst: 10_000, maxConcurrentJobs: 0 },
    });
    for (const role of ROLES) keys[role] = (await createApiKey(server.database.db, { role })).key;
    schema = await fetchSchema(server.url, { authorization: `Bearer ${keys.admin}` });
  });
  after(() => server.stop());

  it('declares a role for exactly the schema’s mutations', () => {
    const inSchema = Object.keys((schema.getMutationType() as GraphQLObjectType).getFields()).sort();
    const declared = Object.keys(MUTATION_ROLES).sort();
    assert.deepEqual(
      inSchema.filter((m) => !declared.includes(m)),
      [],
      'mutations without a declared role in src/graphql/operationRoles.ts',
    );
    assert.deepEqual(
      declared.filter((m) => !inSchema.includes(m)),
      [],
      'declared roles of no mutation',
    );
  });

  it('each mutation: 401 without a key, 403 below its role, admitted at or above it', async () => {
    const mutations = Object.values((schema.getMutationType() as GraphQLObjectType).getFields());
    for (const field of mutations) {
      const query = operationFor('mutation', field);
      const needed = MUTATION_ROLES[field.name]!.role;
      const anonymous = await post(server.url, query);
      assert.deepEqual([anonymous.status, anonymous.code], [401, 'UNAUTHENTICATED'], field.name);
      for (const role of ROLES) {
        const answer = await post(server.url, query, keys[role]);
        if (allows(role, needed)) {
          // Admitted: it fails later, on the unset variables (or succeeds, for ping).
          assert.ok(
            answer.code !== 'FORBIDDEN' && answer.code !== 'UNAUTHENTICATED',
            `${field.name} as ${role}: ${JSON.stringify(answer.body)}`,
          );
        } else {
          assert.deepEqual([answer.status, answer.code], [403, 'FORBIDDEN'], `${field.name} as ${role}`);
          assert.match(answer.body.errors![0]!.message, new RegExp(`needs the ${needed} role`));
        }
      }
    }
  });

  it('a mutation hidden in a fragment or inline fragment needs its role all the same', async () => {
    const viaFragment = `mutation { ...W } fragment W on Mutation { createDataset(input: { slug: "frag", name: "f" }) { id } }`;
    const viaInline = `mutation { ... on Mutation { createDataset(input: { slug: "inline", name: "i" }) { id } } }`;
    for (const query of [viaFragment, viaInline]) {
      const answer = await post(server.url, query, keys.reader);
      assert.deepEqual([answer.status, answer.code], [403, 'FORBIDDEN'], query);
    }
    const none = await server.ok(
      `{ a: dataset(slug: "frag") { id } b: dataset(slug: "inline") { id } }`,
      {},
      {
        key: keys.reader,
      },
    );
    assert.deepEqual(none, { a: null, b: null });
  });

  it('each query: 401 without a key, admitted for every role', async () => {
    const queries = Object.values((schema.getQueryType() as GraphQLObjectType).getFields());
    for (const field of queries) {
      const query = operationFor('query', field);
      const anonymous = await post(server.url, query);
      assert.deepEqual([anonymous.status, anonymous.code], [401, 'UNAUTHENTICATED'], field.name);
      const answer = await post(server.url, query, keys.reader);
      assert.ok(answer.code !== 'FORBIDDEN' && answer.code !== 'UNAUTHENTICATED', field.name);
    }
  });

  it('each /v1 route: its declared role, checked before the route reads anything', async () => {
    const call = (path: string, method: string, key?: string) =>
      fetch(`${server.url}${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
        body: method === 'POST' ? '{}' : undefined,
      }).then(async (r) => ({ status: r.status, text: await r.text() }));
    for (const route of V1_ROUTES) {
      const method = route.methods[0]!;
      const anonymous = await call(route.example, method);
      if (route.role === null) {
        assert.equal(anonymous.status, 200, `${route.name} is public`);
        continue;
      }
      assert.equal(anonymous.status, 401, `${route.name} without a key`);
      for (const role of ROLES) {
        const answer = await call(route.example, method, keys[role]);
        if (allows(role, route.role)) {
          assert.ok(![401, 403].includes(answer.status), `${route.name} as ${role}: ${answer.text}`);
        } else {
          assert.equal(answer.status, 403, `${route.name} as ${role}`);
          assert.match(answer.text, /FORBIDDEN/);
        }
      }
    }
    // A /v1 path no route declares is not found, whatever the key.
    const unknown = await call('/v1/versions/v/secrets', 'GET', keys.admin);
    assert.equal(unknown.status, 404);
  });

  it('a revoked key fails from the very next request, on GraphQL and on /v1', async () => {
    const { key, row } = await createApiKey(server.database.db, { role: 'writer' });
    assert.equal((await post(server.url, '{ datasets { totalCount } }', key)).status, 200);
    await revokeApiKey(server.database.db, row.keyId);
    const next = await post(server.url, '{ datasets { totalCount } }', key);
    assert.deepEqual([next.status, next.code], [401, 'UNAUTHENTICATED']);
    assert.match(next.body.errors![0]!.message, /invalid or revoked/);
    const v1 = await fetch(`${server.url}/v1/versions/v/samples.jsonl`, {
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(v1.status, 401);
  });
});

describe('requiredRole (what the authorization plugin enforces)', () => {
  const roleOf = (text: string) => {
    const document = parse(text);
    const operation = document.definitions.find(
      (d) => d.kind === 'OperationDefinition',
    ) as OperationDefinitionNode;
    return requiredRole(document, operation);
  };

  it('refuses a mutation the map does not declare, however it is reached', () => {
    assert.deepEqual(roleOf('mutation { brandNewMutation }'), { undeclared: 'brandNewMutation' });
    assert.deepEqual(roleOf('mutation { ping ...F } fragment F on Mutation { dropEverything }'), {
      undeclared: 'dropEverything',
    });
  });

  it('queries need reader; a mutation the highest role among its root fields', () => {
    assert.deepEqual(roleOf('{ datasets { totalCount } }'), { role: 'reader', what: 'this query' });
    assert.deepEqual(roleOf('mutation { __typename }'), { role: 'reader', what: 'this mutation' });
    assert.deepEqual(roleOf('mutation { ping a: ping }'), { role: 'writer', what: 'the mutation ping' });
  });
});

describe('the token bucket (a hand-stepped clock)', () => {
  it('allows a burst, then one request per 1/rate seconds, per key', () => {
    let now = 0;
    const buckets = new TokenBuckets({ requestsPerSecond: 2, burst: 3 }, () => now);
    const take = (key = 'a') => buckets.take(key);
    assert.deepEqual(
      [take(), take(), take()].map((d) => d.allowed),
      [true, true, true],
    );
    // Empty: a token comes back after 0.5 s, so Retry-After rounds up to 1 s.
    assert.deepEqual(take(), { allowed: false, retryAfterSeconds: 1 });
    assert.equal(take('b').allowed, true, 'another key has its own bucket');
    now = 499;
    assert.equal(take().allowed, false);
    now = 500;
    assert.equal(take().allowed, true);
    assert.equal(take().allowed, false);
    // After 10 s idle the bucket holds its burst of 3 again, not 20.
    now = 10_500;
    assert.deepEqual(
      [take(), take(), take(), take()].map((d) => d.allowed),
      [true, true, true, false],
    );
  });

  it('a rate of 0 turns the limit off; a slow rate asks for a long wait', () => {
    const off = new TokenBuckets({ requestsPerSecond: 0, burst: 1 }, () => 0);
    for (let i = 0; i < 100; i++) assert.equal(off.take('k').allowed, true);
    const slow = new TokenBuckets({ requestsPerSecond: 0.1, burst: 1 }, () => 0);
    slow.take('k');
    assert.deepEqual(slow.take('k'), { allowed: false, retryAfterSeconds: 10 });
  });
});

describe(`per-key request and job limits on the server (${testBackend})`, () => {
  let server: TestServer;
  const keys: string[] = [];
  before(async () => {
    // A rate so slow no token comes back during the test: the burst is all a key gets.
    server = await startTestServer({
      auth: 'required',
      rateLimits: { requestsPerSecond: 0.001, burst: 20, maxConcurrentJobs: 2 },
    });
    for (let i = 0; i < 4; i++) keys.push((await createApiKey(server.database.db, { role: 'writer' })).key);
  });
  after(() => server.stop());

  it('answers 429 RATE_LIMITED with Retry-After once a key has used its burst; other keys go on', async () => {
    const statuses = [];
    for (let i = 0; i < 20; i++)
      statuses.push((await post(server.url, '{ datasets { totalCount } }', keys[0])).status);
    assert.deepEqual(statuses, Array(20).fill(200));
    const refused = await post(server.url, '{ datasets { totalCount } }', keys[0]);
    assert.deepEqual([refused.status, refused.code], [429, 'RATE_LIMITED']);
    const retryAfter = Number(refused.headers.get('retry-after'));
    // One token at 0.001/s is 1000 s away; a little of it may have refilled meanwhile.
    assert.ok(Number.isInteger(retryAfter) && retryAfter > 900 && retryAfter <= 1000, String(retryAfter));
    const v1 = await fetch(`${server.url}/v1/versions/v/samples.jsonl`, {
      headers: { authorization: `Bearer ${keys[0]}` },
    });
    assert.equal(v1.status, 429, '/v1 routes draw on the same bucket');
    assert.ok(v1.headers.get('retry-after'));
    assert.equal((await post(server.url, '{ datasets { totalCount } }', keys[1])).status, 200);
  });

  it('refuses a key its third concurrent job (429), not another key; a finished job frees a slot', async () => {
    const key = keys[2]!;
    const gql = async (query: string, variables: Record<string, unknown>, as = key) => {
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${as}` },
        body: JSON.stringify({ query, variables }),
      });
      return {
        status: res.status,
        retryAfter: res.headers.get('retry-after'),
        body: (await res.json()) as {
          data?: Record<string, { id: string } | null> | null;
          errors?: { extensions?: { code?: string } }[];
        },
      };
    };
    await gql(`mutation { createDataset(input: { slug: "quota", name: "q" }) { id } }`, {});
    const created = await gql(
      `mutation($s: [SampleInput!]!) { createVersion(input: { dataset: "quota", samples: $s }) { version { id } } }`,
      { s: [{ prompt: 'a b c', response: 'd e f' }] },
    );
    const version = (created.body.data!.createVersion as unknown as { version: { id: string } }).version.id;
    const compute = `mutation($v: ID!) { computeMetrics(version: $v, metrics: ["complexity.length"]) { id status } }`;
    const first = await gql(compute, { v: version });
    const second = await gql(compute, { v: version });
    assert.equal(first.body.errors, undefined, JSON.stringify(first.body));
    assert.equal(second.body.errors, undefined);
    const third = await gql(compute, { v: version });
    assert.equal(third.status, 429);
    assert.equal(third.retryAfter, '10');
    assert.equal(third.body.errors?.[0]?.extensions?.code, 'RATE_LIMITED');
    const queued = await gql(`{ jobs(status: [QUEUED]) { edges { node { id } } } }`, {});
    assert.equal(
      (queued.body.data!.jobs as unknown as { edges: unknown[] }).edges.length,
      2,
      'the refused job was not queued',
    );
    // Another key has its own allowance.
    assert.equal((await gql(compute, { v: version }, keys[3])).body.errors, undefined);
    // Cancelling a queued job ends it at once, which frees one slot of the key.
    await gql(`mutation($id: ID!) { cancelJob(id: $id) { status } }`, {
      id: first.body.data!.computeMetrics!.id,
    });
    assert.equal((await gql(compute, { v: version })).body.errors, undefined);
    assert.equal((await gql(compute, { v: version })).status, 429);
    // The count is the database's (the jobs' creator), so a restarted server refuses it too.
    const restarted = await startTestServer({
      auth: 'required',
      database: server.database,
      rateLimits: { requestsPerSecond: 1000, burst: 100, maxConcurrentJobs: 2 },
    });
    try {
      const again = await restarted.gql(compute, { v: version }, { key });
      assert.equal(again.errors?.[0]?.extensions?.code, 'RATE_LIMITED');
      assert.equal((await restarted.gql(compute, { v: version }, { key: keys[1] })).errors, undefined);
    } finally {
      await restarted.stop();
    }
  });
});

describe(`a reader cannot make the server load a model by naming a space (${testBackend})`, () => {
  let server: TestServer;
  const keys = {} as Record<Role, string>;
  before(async () => {
    server = await startTestServer({ auth: 'required' });
    for (const role of ROLES) keys[role] = (await createApiKey(server.database.db, { role })).key;
  });
  after(() => server.stop());
  const search = (space: string | null, key: string) =>
    server.gql(
      `query ($s: String) { searchDatasets(query: "gardening", k: 3, space: $s) { space { key } } }`,
      { s: space },
      { key },
    );

  it('searchDatasets: a reader gets FORBIDDEN for a space the catalog lacks; the default and stored ones work', async () => {
    const unknown = 'Xenova/some-other-model@main:q8';
    const refused = await search(unknown, keys.reader);
    assert.equal(refused.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(refused));
    assert.match(
      refused.errors![0]!.message,
      /is not in this catalog, and adding a space .* needs the writer role/,
    );
    const stored = await server.database.db.execute(sql`select count(*)::int as n from embedding_spaces`);
    assert.equal(rowsOf<{ n: number }>(stored)[0]!.n, 0, 'no space was added');
    // The default space, by name or not, is the server's own model.
    const byDefault = await search(null, keys.reader);
    assert.equal(byDefault.errors, undefined, JSON.stringify(byDefault.errors));
    const named = await search(byDefault.data!.searchDatasets.space.key, keys.reader);
    assert.equal(named.errors, undefined, JSON.stringify(named.errors));
    // A writer may add a space: it gets past the role check (here the model is not on the machine).
    const writer = await search(unknown, keys.writer);
    assert.notEqual(writer.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(writer.errors));
  });
});

describe(`built-in taxonomy entries need the admin role (${testBackend})`, () => {
  let server: TestServer;
  const keys = {} as Record<Role, string>;
  before(async () => {
    server = await startTestServer({ auth: 'required' });
    for (const role of ROLES) keys[role] = (await createApiKey(server.database.db, { role })).key;
  });
  after(() => server.stop());

  const component = (key: string, name: string) =>
    `mutation { upsertComponent(input: { key: "${key}", stage: FILTERING, name: "${name}",
      quality: UP, diversity: DOWN, complexity: NONE }) { key name builtin } }`;
  const read = async () =>
    server.ok(
      `{ component(key: "llm-judge-filter") { name quality diversity builtin }
         algorithm(key: "self-instruct") { name components { component { key } } } }`,
      {},
      { key: keys.reader },
    );

  it('a writer may not change a built-in component or algorithm (FORBIDDEN), and nothing changes', async () => {
    const before = await read();
    assert.equal(before.component.builtin, true);
    const edit = await server.gql(component('llm-judge-filter', 'Hijacked'), {}, { key: keys.writer });
    assert.equal(edit.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    assert.match(edit.errors![0]!.message, /"llm-judge-filter" is built in .* needs the admin role/);
    const algorithm = await server.gql(
      `mutation { upsertAlgorithm(input: { key: "self-instruct", name: "Hijacked", components: [] }) { key } }`,
      {},
      { key: keys.writer },
    );
    assert.equal(algorithm.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    assert.deepEqual(await read(), before, 'the component, the algorithm and its pipeline are unchanged');
  });

  it('a writer creates and edits its own entries; an admin edits built-in ones', async () => {
    const created = await server.ok(component('my-step', 'Mine'), {}, { key: keys.writer });
    assert.deepEqual(created.upsertComponent, { key: 'my-step', name: 'Mine', builtin: false });
    const edited = await server.ok(component('my-step', 'Mine, edited'), {}, { key: keys.writer });
    assert.equal(edited.upsertComponent.name, 'Mine, edited');
    const byAdmin = await server.ok(component('llm-judge-filter', 'Judge (admin)'), {}, { key: keys.admin });
    // Still built in: an edit does not change what the entry is.
    assert.deepEqual(byAdmin.upsertComponent, {
      key: 'llm-judge-filter',
      name: 'Judge (admin)',
      builtin: true,
    });
    const steps = await server.ok(
      `mutation { upsertAlgorithm(input: { key: "self-instruct", name: "Self-Instruct", year: 2022,
        components: [{ component: "my-step" }] }) { name components { component { key } } } }`,
      {},
      { key: keys.admin },
    );
    assert.deepEqual(steps.upsertAlgorithm, {
      name: 'Self-Instruct',
      components: [{ component: { key: 'my-step' } }],
    });
  });
});

describe(`a job is cancelled by the key that queued it or an admin (${testBackend})`, () => {
  let server: TestServer;
  let version: string;
  const keys = {} as Record<'readerKey' | 'writerA' | 'writerB' | 'admin', { key: string; row: ApiKeyRow }>;
  const COMPUTE = `mutation($v: ID!) { computeMetrics(version: $v, metrics: ["complexity.length"]) { id } }`;
  const CANCEL = `mutation($id: ID!) { cancelJob(id: $id) { status cancelRequested } }`;
  const JOB = `query($id: ID!) { job(id: $id) { status cancelRequested createdBy { keyId name } } }`;
  before(async () => {
    server = await startTestServer({ auth: 'required' });
    keys.readerKey = await createApiKey(server.database.db, { role: 'reader', name: 'reader' });
    keys.writerA = await createApiKey(server.database.db, { role: 'writer', name: 'writer A' });
    keys.writerB = await createApiKey(server.database.db, { role: 'writer', name: 'writer B' });
    keys.admin = await createApiKey(server.database.db, { role: 'admin', name: 'admin' });
    const as = { key: keys.writerA.key };
    await server.ok(`mutation { createDataset(input: { slug: "owned", name: "o" }) { id } }`, {}, as);
    const created = await server.ok(
      `mutation($s: [SampleInput!]!) { createVersion(input: { dataset: "owned", samples: $s }) { version { id } } }`,
      {
        s: [
          { prompt: 'a b c', response: 'd e f' },
          { prompt: 'g h', response: 'i j k l' },
        ],
      },
      as,
    );
    version = created.createVersion.version.id;
  });
  after(() => server.stop());

  const queueAs = async (who: keyof typeof keys) =>
    (await server.ok(COMPUTE, { v: version }, { key: keys[who].key })).computeMetrics.id as string;
  const creatorColumn = async (globalId: string) =>
    (await getJob(server.database.db, Number(fromGlobalId(globalId).id)))!.createdByApiKeyId;

  it('records the queueing key on the job and shows it to that key and admins only', async () => {
    const id = await queueAs('writerA');
    assert.equal(await creatorColumn(id), keys.writerA.row.id);
    const mine = { keyId: keys.writerA.row.keyId, name: 'writer A' };
    for (const [who, expected] of [
      ['writerA', mine],
      ['admin', mine],
      ['writerB', null],
      ['readerKey', null],
    ] as const) {
      const { job } = await server.ok(JOB, { id }, { key: keys[who].key });
      assert.deepEqual(job.createdBy, expected, who);
    }
  });

  it('another writer gets FORBIDDEN and the job is left to run; the creator cancels its own', async () => {
    const id = await queueAs('writerA');
    const refused = await server.gql(CANCEL, { id }, { key: keys.writerB.key });
    assert.equal(refused.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(refused));
    assert.match(refused.errors![0]!.message, /queued by another API key; only that key or the admin role/);
    const untouched = await server.ok(JOB, { id }, { key: keys.writerA.key });
    assert.deepEqual([untouched.job.status, untouched.job.cancelRequested], ['QUEUED', false]);
    const ran = await runJob(server.database, Number(fromGlobalId(id).id), server.embedders);
    assert.equal(ran.status, 'SUCCEEDED', ran.error ?? '');

    const own = await queueAs('writerA');
    const cancelled = await server.ok(CANCEL, { id: own }, { key: keys.writerA.key });
    assert.deepEqual(cancelled.cancelJob, { status: 'CANCELLED', cancelRequested: true });
  });

  it('an admin cancels any key’s job, queued or running; a reader none', async () => {
    const queued = await queueAs('writerB');
    const byReader = await server.gql(CANCEL, { id: queued }, { key: keys.readerKey.key });
    assert.equal(byReader.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    assert.match(byReader.errors![0]!.message, /needs the writer role/);
    assert.deepEqual((await server.ok(CANCEL, { id: queued }, { key: keys.admin.key })).cancelJob, {
      status: 'CANCELLED',
      cancelRequested: true,
    });
    // A job a worker holds: the admin's cancel flags it for the worker to stop at its next batch.
    const running = await queueAs('writerA');
    const runningId = Number(fromGlobalId(running).id);
    const claimed = await claimJob(server.database.db, 'test-worker', 60_000, ['metrics.compute'], runningId);
    assert.equal(claimed?.status, 'RUNNING');
    const refused = await server.gql(CANCEL, { id: running }, { key: keys.writerB.key });
    assert.equal(refused.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    assert.equal((await getJob(server.database.db, runningId))!.cancelRequested, false);
    assert.deepEqual((await server.ok(CANCEL, { id: running }, { key: keys.admin.key })).cancelJob, {
      status: 'RUNNING',
      cancelRequested: true,
    });
  });

  it('a job queued without a key (the CLI on the database) is the admin’s to cancel', async () => {
    const job = await enqueueComputeMetrics(
      server.database.db,
      Number(fromGlobalId(version).id),
      ['complexity.length'],
      null,
      { embedders: server.embedders, resolveVersion: async (ref) => Number(ref) },
    );
    assert.equal(job.createdByApiKeyId, null);
    const id = toGlobalId('Job', job.id);
    assert.equal((await server.ok(JOB, { id }, { key: keys.admin.key })).job.createdBy, null);
    const refused = await server.gql(CANCEL, { id }, { key: keys.writerA.key });
    assert.equal(refused.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    assert.match(refused.errors![0]!.message, /queued without an API key .* needs the admin role/);
    const cancelled = await server.ok(CANCEL, { id }, { key: keys.admin.key });
    assert.equal(cancelled.cancelJob.status, 'CANCELLED');
  });

  it('every job-starting mutation records its caller as the creator', async () => {
    const as = { key: keys.writerB.key };
    const v = version;
    // Embedded first: projectVersion and findOverlap need the version's vectors.
    const embed = await server.ok(`mutation($v: ID!) { embedVersion(version: $v) { id } }`, { v }, as);
    const embedded = await runJob(
      server.database,
      Number(fromGlobalId(embed.embedVersion.id).id),
      server.embedders,
    );
    assert.equal(embedded.status, 'SUCCEEDED', embedded.error ?? '');
    const calls: Record<string, () => Promise<string>> = {
      computeMetrics: async () => queueAs('writerB'),
      embedVersion: async () => embed.embedVersion.id,
      findOverlap: async () =>
        (await server.ok(`mutation($v: ID!) { findOverlap(version: $v, threshold: 0.9) { id } }`, { v }, as))
          .findOverlap.id,
      projectVersion: async () =>
        (await server.ok(`mutation($v: ID!) { projectVersion(version: $v, method: PCA) { id } }`, { v }, as))
          .projectVersion.id,
      generateTIntDataset: async () =>
        (
          await server.ok(
            `mutation { generateTIntDataset(input: { dataset: "owned-tint", op: ADD, digits: { min: 1, max: 2 }, n: 5 }) { id } }`,
            {},
            as,
          )
        ).generateTIntDataset.id,
    };
    const starting = Object.entries(MUTATION_ROLES)
      .filter(([, rule]) => rule.startsJob)
      .map(([name]) => name)
      .sort();
    assert.deepEqual(Object.keys(calls).sort(), starting, 'a call for every startsJob mutation');
    for (const [name, call] of Object.entries(calls)) {
      assert.equal(await creatorColumn(await call()), keys.writerB.row.id, name);
    }
  });
});

describe(`with auth off, jobs record no creator and anyone cancels them (${testBackend})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ auth: 'off' });
  });
  after(() => server.stop());

  it('queues without a creator and cancels without a key', async () => {
    await server.ok(`mutation { createDataset(input: { slug: "open", name: "o" }) { id } }`);
    const created = await server.ok(
      `mutation($s: [SampleInput!]!) { createVersion(input: { dataset: "open", samples: $s }) { version { id } } }`,
      { s: [{ prompt: 'a', response: 'b' }] },
    );
    const queued = await server.ok(
      `mutation($v: ID!) { computeMetrics(version: $v, metrics: ["complexity.length"]) { id createdBy { keyId } } }`,
      { v: created.createVersion.version.id },
    );
    assert.equal(queued.computeMetrics.createdBy, null);
    const job = await getJob(server.database.db, Number(fromGlobalId(queued.computeMetrics.id).id));
    assert.equal(job!.createdByApiKeyId, null);
    const cancelled = await server.ok(`mutation($id: ID!) { cancelJob(id: $id) { status } }`, {
      id: queued.computeMetrics.id,
    });
    assert.equal(cancelled.cancelJob.status, 'CANCELLED');
  });
});
