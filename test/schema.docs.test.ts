import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildASTSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  parse,
  concatAST,
} from 'graphql';
import { loadTypeDefs, resolvers } from '../src/graphql/schema.js';

const schema = buildASTSchema(concatAST(loadTypeDefs().map((sdl) => parse(sdl))));

describe('GraphQL schema documentation', () => {
  it('documents every type, field, argument, input field and enum value', () => {
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name))
        continue;
      if (!type.description) {
        missing.push(type.name);
      }
      if (isObjectType(type) || isInterfaceType(type)) {
        for (const field of Object.values(type.getFields())) {
          const inherited =
            field.name === 'id' || ['edges', 'pageInfo', 'cursor', 'node'].includes(field.name);
          if (!field.description && !inherited) missing.push(`${type.name}.${field.name}`);
          for (const arg of field.args)
            if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
      if (isInputObjectType(type)) {
        for (const field of Object.values(type.getFields()))
          if (!field.description) missing.push(`${type.name}.${field.name}`);
      }
      if (isEnumType(type)) {
        for (const value of type.getValues())
          if (!value.description) missing.push(`${type.name}.${value.name}`);
      }
    }
    assert.deepEqual(missing, []);
  });
});

describe('GraphQL schema wiring', () => {
  it('resolves the cursor of every edge type (connections encode cursors only on request)', () => {
    const edgeTypes = Object.values(schema.getTypeMap()).filter(
      (type) => isObjectType(type) && 'cursor' in type.getFields(),
    );
    assert.ok(edgeTypes.length >= 6, `found ${edgeTypes.length} edge types`);
    const map = resolvers as Record<string, Record<string, unknown>>;
    const unresolved = edgeTypes
      .map((type) => type.name)
      .filter((name) => typeof map[name]?.cursor !== 'function');
    assert.deepEqual(unresolved, []);
    assert.equal(typeof map.PageInfo?.startCursor, 'function');
    assert.equal(typeof map.PageInfo?.endCursor, 'function');
  });
});
