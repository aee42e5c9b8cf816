/** The depth limit: what it counts, and that nested fragment spreads cost it linear time (security review F1). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSchema, parse, validate } from 'graphql';
import { depthLimitRule } from '../src/graphql/depthLimitRule.js';

const SDL = 'type Query { node: Node } type Node { child: Node name: String }';
const schema = buildSchema(SDL);

function depthErrors(document: string, limit: number): string[] {
  return validate(schema, parse(document), [depthLimitRule(limit)]).map((e) => e.message);
}

describe('depthLimitRule', () => {
  it('counts fields through inline fragments and fragment spreads', () => {
    // node (1) > child (2) > [inline] child (3) > [...Leaf] child (4) > name (5)
    const document = `
      { node { child { ... on Node { child { ...Leaf } } } } }
      fragment Leaf on Node { child { name } }`;
    assert.deepEqual(depthErrors(document, 5), []);
    assert.deepEqual(depthErrors(document, 4), ['query is 5 levels deep; the limit is 4']);
  });

  it('takes the deepest branch, and a fragment spread twice at different depths counts at each', () => {
    const document = `
      { node { name ...Two child { child { ...Two } } } }
      fragment Two on Node { child { child { name } } }`;
    // Shallow spread: node > child > child > name = 4; deep one: node > child > child > child > child > name = 6.
    assert.deepEqual(depthErrors(document, 6), []);
    assert.deepEqual(depthErrors(document, 5), ['query is 6 levels deep; the limit is 5']);
  });

  it('measures a chain of 60 fragments that each spread the next twice (2^60 paths)', () => {
    const fragments = Array.from(
      { length: 60 },
      (_, i) => `fragment F${i} on Node { a: child { ...F${i + 1} } b: child { ...F${i + 1} } }`,
    );
    const document = `{ node { ...F0 } }\n${fragments.join('\n')}\nfragment F60 on Node { name }`;
    assert.ok(document.length < 5_000, 'a few kilobytes of query text');
    // In a child process: a rule that followed every spread would block forever, not fail.
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', validateInChild(document, 15)],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(run.signal, null, 'validation did not finish within a minute');
    assert.equal(run.status, 0, run.stderr);
    // node (1) + one child per fragment F0..F59 (60) + name (1)
    assert.deepEqual(JSON.parse(run.stdout), ['query is 62 levels deep; the limit is 15']);
  });
});

function validateInChild(document: string, limit: number): string {
  const rule = pathToFileURL(join(import.meta.dirname, '..', 'src', 'graphql', 'depthLimitRule.ts')).href;
  return `
    import { buildSchema, parse, validate } from 'graphql';
    import { depthLimitRule } from ${JSON.stringify(rule)};
    const schema = buildSchema(${JSON.stringify(SDL)});
    const errors = validate(schema, parse(${JSON.stringify(document)}), [depthLimitRule(${limit})]);
    process.stdout.write(JSON.stringify(errors.map((e) => e.message)));`;
}
