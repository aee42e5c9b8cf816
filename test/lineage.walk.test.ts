import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeVersion, recordRun } from './helpers/fixtures.js';
import { testBackend } from './helpers/testDatabase.js';
import { startTestServer, type TestServer } from './helpers/testServer.js';

const LINEAGE = `query($input: LineageInput!) { lineage(input: $input) {
  isPartial nodes { degree direction truncated version { id } } edges { role from { id } to { id } } } }`;

describe(`lineage walk (${testBackend})`, () => {
  let server: TestServer;
  const v: Record<string, string> = {};
  const name = (id: string) => Object.keys(v).find((k) => v[k] === id) ?? id;

  async function walk(start: string, direction: string, depth: number, maxNodes = 100) {
    const data = await server.ok(LINEAGE, { input: { version: v[start], direction, depth, maxNodes } });
    return {
      isPartial: data.lineage.isPartial as boolean,
      nodes: data.lineage.nodes.map(
        (n: { version: { id: string }; degree: number; direction: string; truncated: boolean }) =>
          `${name(n.version.id)}:${n.degree}:${n.direction[0]}${n.truncated ? ':cut' : ''}`,
      ),
      edges: data.lineage.edges
        .map(
          (e: { from: { id: string }; to: { id: string }; role: string }) =>
            `${name(e.from.id)}-${e.role}->${name(e.to.id)}`,
        )
        .sort(),
    };
  }

  before(async () => {
    server = await startTestServer();
    // a -> b -> c -> d, x -> c, and a chain k0 -> k1 -> ... -> k11.
    for (const key of ['a', 'b', 'x', 'c', 'd']) v[key] = await makeVersion(server, `lin-${key}`);
    assert.equal((await recordRun(server, v.b!, [{ version: v.a!, role: 'SEED' }])).errors, undefined);
    assert.equal(
      (
        await recordRun(server, v.c!, [
          { version: v.b!, role: 'SOURCE' },
          { version: v.x!, role: 'REFERENCE' },
        ])
      ).errors,
      undefined,
    );
    assert.equal(
      (await recordRun(server, v.d!, [{ version: v.c!, role: 'FILTERED_FROM' }])).errors,
      undefined,
    );
    for (let i = 0; i < 12; i += 1) {
      v[`k${i}`] = await makeVersion(server, `chain-${i}`, 1);
      if (i > 0)
        assert.equal(
          (await recordRun(server, v[`k${i}`]!, [{ version: v[`k${i - 1}`]!, role: 'SOURCE' }])).errors,
          undefined,
        );
    }
  });
  after(() => server.stop());

  it('walks upstream to the requested depth and reports what the depth cut off', async () => {
    assert.deepEqual(await walk('d', 'UPSTREAM', 1), {
      isPartial: true,
      nodes: ['c:1:U:cut'],
      edges: ['c-FILTERED_FROM->d'],
    });
    assert.deepEqual(await walk('d', 'UPSTREAM', 2), {
      isPartial: true,
      nodes: ['c:1:U', 'b:2:U:cut', 'x:2:U'],
      edges: ['b-SOURCE->c', 'c-FILTERED_FROM->d', 'x-REFERENCE->c'],
    });
    assert.deepEqual(await walk('d', 'UPSTREAM', 3), {
      isPartial: false,
      nodes: ['c:1:U', 'b:2:U', 'x:2:U', 'a:3:U'],
      edges: ['a-SEED->b', 'b-SOURCE->c', 'c-FILTERED_FROM->d', 'x-REFERENCE->c'],
    });
  });

  it('walks downstream, and both ways without wandering into siblings', async () => {
    assert.deepEqual(await walk('a', 'DOWNSTREAM', 10), {
      isPartial: false,
      nodes: ['b:1:D', 'c:2:D', 'd:3:D'],
      edges: ['a-SEED->b', 'b-SOURCE->c', 'c-FILTERED_FROM->d'],
    });
    const both = await walk('b', 'BOTH', 5);
    assert.deepEqual(both.nodes, ['a:1:U', 'c:1:D', 'd:2:D']);
    assert.equal(both.isPartial, false);
    assert.ok(
      !both.nodes.some((n) => n.startsWith('x:')),
      'x is a co-parent of c, not an ancestor or descendant of b',
    );
    assert.deepEqual(await walk('x', 'UPSTREAM', 3), { isPartial: false, nodes: [], edges: [] });
  });

  it('keeps the nearest maxNodes nodes and says the result is partial', async () => {
    const cut = await walk('d', 'UPSTREAM', 3, 2);
    assert.equal(cut.isPartial, true);
    assert.deepEqual(cut.nodes, ['c:1:U:cut', 'b:2:U:cut']);
    assert.deepEqual(cut.edges, ['b-SOURCE->c', 'c-FILTERED_FROM->d']);
  });

  it('caps long chains at depth 10', async () => {
    const chain = await walk('k11', 'UPSTREAM', 10, 1000);
    assert.equal(chain.isPartial, true);
    assert.equal(chain.nodes.length, 10);
    assert.equal(chain.nodes[9], 'k1:10:U:cut');
    const whole = await walk('k11', 'UPSTREAM', 10, 1000);
    assert.deepEqual(whole, chain, 'the walk is deterministic');
    const fromMiddle = await walk('k5', 'BOTH', 10, 1000);
    assert.equal(fromMiddle.isPartial, false);
    assert.equal(fromMiddle.nodes.length, 11);
  });

  it('rejects a run that would make a version its own ancestor, and writes nothing', async () => {
    const cycle = await recordRun(server, v.a!, [{ version: v.d!, role: 'SOURCE' }]);
    assert.equal(cycle.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(cycle.errors![0]!.message, /its own ancestor/);
    const self = await recordRun(server, v.x!, [{ version: v.x!, role: 'SOURCE' }]);
    assert.equal(self.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    const state = await server.ok(
      `query($a: ID!, $x: ID!) { a: version(id: $a) { generatedBy { id } parents { role } }
      x: version(id: $x) { generatedBy { id } } }`,
      { a: v.a, x: v.x },
    );
    assert.deepEqual(state, { a: { generatedBy: null, parents: [] }, x: { generatedBy: null } });
    assert.deepEqual((await walk('a', 'UPSTREAM', 10)).nodes, []);
  });

  it('rejects a second run for the same output and bad bounds', async () => {
    const second = await recordRun(server, v.d!, [{ version: v.a!, role: 'SOURCE' }]);
    assert.equal(second.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(second.errors![0]!.message, /already has a generation run/);
    for (const [depth, maxNodes, field] of [
      [0, 10, 'depth'],
      [11, 10, 'depth'],
      [3, 0, 'maxNodes'],
      [3, 1001, 'maxNodes'],
    ] as const) {
      const bad = await server.gql(LINEAGE, { input: { version: v.d, depth, maxNodes } });
      assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.match(bad.errors![0]!.message, new RegExp(`^${field} must be an integer`));
    }
  });
});
