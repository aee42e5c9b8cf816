import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildASTSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType, parse, concatAST } from 'graphql';
import { loadTypeDefs } from '../src/graphql/schema.js';

describe('GraphQL schema documentation', () => {
  const schema = buildASTSchema(concatAST(loadTypeDefs().map((sdl) => parse(sdl))));

  it('documents every type, field, argument, input field and enum value', () => {
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)) continue;
      if (!type.description) {
        missing.push(type.name);
      }
      if (isObjectType(type) || isInterfaceType(type)) {
        for (const field of Object.values(type.getFields())) {
          const inherited = field.name === 'id' || ['edges', 'pageInfo', 'cursor', 'node'].includes(field.name);
          if (!field.description && !inherited) missing.push(`${type.name}.${field.name}`);
          for (const arg of field.args) if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
      if (isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) if (!field.description) missing.push(`${type.name}.${field.name}`);
      }
      if (isEnumType(type)) {
        for (const value of type.getValues()) if (!value.description) missing.push(`${type.name}.${value.name}`);
      }
    }
    assert.deepEqual(missing, []);
  });
});
