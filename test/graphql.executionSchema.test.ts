import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { getTableColumns } from 'drizzle-orm';
import {
  bigint,
  boolean,
  doublePrecision,
  integer,
  pgEnum,
  pgTable,
  smallint,
  text,
} from 'drizzle-orm/pg-core';
import {
  execute,
  getNamedType,
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLFloat,
  GraphQLInt,
  GraphQLString,
  isEnumType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isSpecifiedScalarType,
  parse,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { columnFitsLeaf, executionSchema, ROW_COLUMNS } from '../src/graphql/executionSchema.js';
import { nodeTypeOfIdField, NODE_TYPES, toGlobalId } from '../src/globalId.js';
import { loadTypeDefs, resolvers } from '../src/graphql/schema.js';

const publicSchema = makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers });
const execSchema = executionSchema(publicSchema);
const objectType = (schema: GraphQLSchema, name: string) => schema.getType(name) as GraphQLObjectType;
const leafTypeName = (schema: GraphQLSchema, type: string, field: string) =>
  getNamedType(objectType(schema, type).getFields()[field]!.type).name;

/**
 * Runs `query` three ways: graphql-jit on the execution schema (as the server does), graphql-jit
 * on `schema` (as it did before), and graphql-js on `schema`.
 */
async function threeWays(
  schema: GraphQLSchema,
  rowColumns: typeof ROW_COLUMNS,
  query: string,
  rootValue: unknown,
) {
  const run = async (on: GraphQLSchema, options?: { disableLeafSerialization: boolean }) => {
    const compiled = compileQuery(on, parse(query), undefined, options);
    assert.ok(isCompiledQuery(compiled));
    return compiled.query(rootValue, {}, {});
  };
  // The spec leaves the order of errors open, and graphql-jit reports resolved fields' errors last.
  const normal = (result: unknown) => {
    const copy = JSON.parse(JSON.stringify(result)) as { errors?: { path: unknown[] }[] };
    copy.errors?.sort((a, b) => JSON.stringify(a.path).localeCompare(JSON.stringify(b.path)));
    return copy as { data?: Record<string, unknown>; errors?: unknown[] };
  };
  return {
    exec: normal(await run(executionSchema(schema, rowColumns), { disableLeafSerialization: true })),
    plain: normal(await run(schema)),
    js: normal(await execute({ schema, document: parse(query), rootValue })),
  };
}

describe('the execution schema graphql-jit runs on', () => {
  it('serializes every Node type id from the row id, in place of the id resolver', () => {
    const node = publicSchema.getType('Node');
    assert.ok(isInterfaceType(node));
    const implementations = publicSchema
      .getPossibleTypes(node)
      .map((t) => t.name)
      .sort();
    assert.deepEqual(implementations, [...NODE_TYPES].sort());
    for (const type of NODE_TYPES) {
      assert.equal(nodeTypeOfIdField(objectType(publicSchema, type).getFields().id!), type, `${type}.id`);
      const field = objectType(execSchema, type).getFields().id!;
      assert.equal(field.resolve, undefined, `${type}.id keeps a resolver`);
      const scalar = getNamedType(field.type);
      assert.ok(isScalarType(scalar));
      assert.equal(scalar.serialize(4711), toGlobalId(type, 4711));
    }
  });

  it('keeps the built-in type of the catalog columns a list query reads, and checks everything else', () => {
    const trusted = [
      ['Dataset', 'slug'],
      ['Dataset', 'name'],
      ['DatasetVersion', 'version'],
      ['DatasetVersion', 'contentHash'],
      ['DatasetVersion', 'sampleCount'],
      ['GenerationRun', 'generatorModel'],
      ['Algorithm', 'key'],
      ['Algorithm', 'name'],
      ['RunInput', 'role'],
      ['LineageLink', 'role'],
    ] as const;
    for (const [type, field] of trusted)
      assert.equal(
        leafTypeName(execSchema, type, field),
        leafTypeName(publicSchema, type, field),
        `${type}.${field}`,
      );
    const checked = [
      ['Dataset', 'tags', 'QdcCheckedString'], // a list
      ['DatasetConnection', 'totalCount', 'QdcCheckedInt'], // a resolver's result
      ['PageInfo', 'hasNextPage', 'QdcCheckedBoolean'], // not a table row
      ['DatasetVersionEdge', 'cursor', 'QdcCheckedString'],
    ] as const;
    for (const [type, field, name] of checked)
      assert.equal(leafTypeName(execSchema, type, field), name, `${type}.${field}`);
  });

  it('leaves a built-in leaf type only on resolver-free row fields whose column fits it, and no Float or ID anywhere', () => {
    let kept = 0;
    for (const type of Object.values(execSchema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        const leaf = getNamedType(field.type);
        if (!isEnumType(leaf) && !(isScalarType(leaf) && isSpecifiedScalarType(leaf))) continue;
        const where: string = `${type.name}.${field.name}`;
        assert.notEqual(leaf, GraphQLFloat, where);
        assert.notEqual(leaf.name, 'ID', where);
        assert.equal(field.resolve, undefined, where);
        const column = ROW_COLUMNS[type.name]?.[field.name];
        assert.ok(column && columnFitsLeaf(column, leaf), where);
        kept += 1;
      }
    }
    assert.ok(kept >= 10, `only ${kept} trusted leaves`);
  });

  it('trusts a column only for the GraphQL type every one of its values already is', () => {
    const mood = pgEnum('mood', ['HAPPY', 'SAD']);
    const t = pgTable('t', {
      txt: text('txt'),
      int: integer('int'),
      small: smallint('small'),
      big: bigint('big', { mode: 'number' }),
      dbl: doublePrecision('dbl'),
      flag: boolean('flag'),
      mood: mood('mood'),
    });
    const c = getTableColumns(t);
    const Mood = new GraphQLEnumType({ name: 'Mood', values: { HAPPY: {}, SAD: {}, MEH: {} } });
    const MoodMapped = new GraphQLEnumType({
      name: 'MoodMapped',
      values: { HAPPY: { value: 1 }, SAD: { value: 2 } },
    });
    const NarrowMood = new GraphQLEnumType({ name: 'NarrowMood', values: { HAPPY: {} } });
    assert.ok(columnFitsLeaf(c.txt, GraphQLString));
    assert.ok(columnFitsLeaf(c.mood, GraphQLString));
    assert.ok(columnFitsLeaf(c.int, GraphQLInt));
    assert.ok(columnFitsLeaf(c.small, GraphQLInt));
    assert.ok(columnFitsLeaf(c.flag, GraphQLBoolean));
    assert.ok(columnFitsLeaf(c.mood, Mood));
    assert.ok(!columnFitsLeaf(c.big, GraphQLInt), 'bigint can exceed 32 bits');
    assert.ok(!columnFitsLeaf(c.int, GraphQLString));
    assert.ok(!columnFitsLeaf(c.txt, GraphQLInt));
    assert.ok(!columnFitsLeaf(c.dbl, GraphQLFloat), 'double precision can be NaN');
    assert.ok(!columnFitsLeaf(c.txt, Mood));
    assert.ok(!columnFitsLeaf(c.mood, MoodMapped), 'internal enum values');
    assert.ok(!columnFitsLeaf(c.mood, NarrowMood), 'a column value the enum lacks');
  });

  it('checks every untrusted leaf as before (the same values and errors), and copies trusted row values as read', async () => {
    const schema = makeExecutableSchema({
      typeDefs: `
        type Query { items: [Item!]! rows: [Row!]! }
        enum Kind { A B }
        type Item { count: Int! ratio: Float size: Int label: String kind: Kind flags: [Boolean!] }
        type Row { n: Int! label: String! }
      `,
      resolvers: { Item: { label: (item: { label: unknown }) => item.label } },
    });
    const table = pgTable('rows', { n: integer('n').notNull(), label: text('label').notNull() });
    const rowColumns = { Row: getTableColumns(table) };
    const items = [
      { count: 1, ratio: 0.5, size: 7, label: 'fine', kind: 'A', flags: [true, false] },
      { count: 'x', ratio: Number.NaN, size: 2 ** 40, label: { no: 1 }, kind: 'C', flags: ['maybe'] },
      { count: 2.5, ratio: Infinity, size: '12', label: 3, kind: 'B', flags: [1] },
    ];
    const itemsQuery = '{ items { count ratio size label kind flags } }';
    const good = await threeWays(schema, rowColumns, itemsQuery, { items: [items[0]] });
    assert.equal(good.js.errors, undefined);
    assert.deepEqual(good.exec, good.plain);
    assert.deepEqual(good.exec, good.js);
    const bad = await threeWays(schema, rowColumns, '{ items { ratio size label kind flags } }', {
      items: items.slice(1),
    });
    // NaN, 2^40, an object as String, an unknown enum value, 'maybe' as Boolean, Infinity; '12' and 3 and 1 coerce.
    assert.equal(bad.js.errors?.length, 6, JSON.stringify(bad.js.errors));
    assert.deepEqual(bad.exec, bad.plain);
    assert.deepEqual(bad.exec, bad.js);
    // A non-null field's error nulls the item; graphql-jit also reports the siblings' errors, as before.
    const nonNull = await threeWays(schema, rowColumns, itemsQuery, { items: [items[1]] });
    assert.equal(nonNull.exec.errors?.length, 5);
    assert.deepEqual(nonNull.exec, nonNull.plain);

    // Trusted fields are not re-checked: that is the point, and why only fitting columns are trusted.
    const rows = await threeWays(schema, rowColumns, '{ rows { n label } }', {
      rows: [
        { n: 3, label: 'a' },
        { n: 'not checked', label: 'b' },
      ],
    });
    assert.deepEqual(rows.exec.data?.rows, [
      { n: 3, label: 'a' },
      { n: 'not checked', label: 'b' },
    ]);
    assert.equal(rows.js.errors?.length, 1);
  });
});
