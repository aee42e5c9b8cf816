/**
 * The schema graphql-jit executes against (jitExecutor.ts): the public schema's types, fields and
 * resolvers, with different leaf types where that lets graphql-jit skip work.
 *
 * graphql-jit calls every resolver through a generic path (per call an arguments object, a
 * response path, a resolve-info object and three closures), and checks every leaf value with its
 * type's serializer through a call that builds the error's locations and path up front. The
 * catalog's list queries are mostly ids and column values: the bench/graphql query has ~1200 ids
 * and ~2600 other leaves per request. Two changes remove that work where the value is known good:
 *
 * - **Node ids.** The `id` resolvers of fields made by `nodeIdField` are dropped; the field reads the
 *   row's database id and a per-type scalar serializes it into the global id, the same string.
 * - **Trusted leaves.** Queries compile with graphql-jit's `disableLeafSerialization`, which copies
 *   values of built-in scalar and enum types as read. That is right only for values that already
 *   are the type's JSON form, so only fields read straight off a table row (no resolver) whose
 *   column type guarantees it keep their type: text as String, 32-bit integers as Int, boolean as
 *   Boolean, a pg enum whose values are the GraphQL enum's names. Every other such leaf (Float,
 *   ID, lists, resolver results, objects that are not rows) gets a "checked" copy of its type: a
 *   custom scalar with the original's `serialize`, so it is checked as before, with the same
 *   values and errors.
 *
 * The copies never show: operations that introspect compile against the public schema.
 */
import { getTableColumns, is, type Column } from 'drizzle-orm';
import { PgEnumColumn } from 'drizzle-orm/pg-core';
import {
  getNamedType,
  GraphQLBoolean,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLScalarType,
  GraphQLString,
  isEnumType,
  isListType,
  isNonNullType,
  isScalarType,
  isSpecifiedScalarType,
  type GraphQLEnumType,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { mapSchema, MapperKind } from '@graphql-tools/utils';
import {
  algorithms,
  components,
  datasets,
  datasetVersions,
  generationRuns,
  runInputs,
  samples,
} from '../db/schema.js';
import { NODE_TYPES, nodeTypeOfIdField, toGlobalId } from '../globalId.js';

/**
 * GraphQL object types whose objects are always rows of one table, as their resolvers' row types
 * say, with the columns their fields read. (`LineageLink` rows come from a join; only `role` is a
 * column value.)
 */
export const ROW_COLUMNS: Record<string, Record<string, Column>> = {
  Dataset: getTableColumns(datasets),
  DatasetVersion: getTableColumns(datasetVersions),
  Sample: getTableColumns(samples),
  Component: getTableColumns(components),
  Algorithm: getTableColumns(algorithms),
  GenerationRun: getTableColumns(generationRuns),
  RunInput: getTableColumns(runInputs),
  LineageLink: { role: runInputs.role },
};

const INT32_COLUMN_TYPES = new Set(['PgInteger', 'PgSmallInt', 'PgSerial', 'PgSmallSerial']);

/** Whether every value `column` decodes to is already `type`'s serialized form. */
export function columnFitsLeaf(column: Column, type: GraphQLNamedType): boolean {
  if (type === GraphQLString) return column.dataType === 'string';
  if (type === GraphQLInt) return INT32_COLUMN_TYPES.has(column.columnType);
  if (type === GraphQLBoolean) return column.dataType === 'boolean';
  if (isEnumType(type))
    return (
      is(column, PgEnumColumn) && enumIsIdentity(type) && column.enumValues.every((v) => type.getValue(v))
    );
  return false;
}

/** Every value of the enum serializes to its own name (no internal values). */
function enumIsIdentity(type: GraphQLEnumType): boolean {
  return type.getValues().every((value) => value.value === value.name);
}

export function executionSchema(schema: GraphQLSchema, rowColumns = ROW_COLUMNS): GraphQLSchema {
  const globalIds = new Map(
    NODE_TYPES.map((type) => [
      type,
      new GraphQLScalarType({
        name: `QdcGlobalId${type}`,
        serialize: (id) => toGlobalId(type, id as number),
      }),
    ]),
  );
  const checked = new Map<string, GraphQLScalarType>();
  const checkedCopyOf = (type: GraphQLScalarType | GraphQLEnumType) => {
    let copy = checked.get(type.name);
    if (!copy) {
      copy = new GraphQLScalarType({
        name: `QdcChecked${type.name}`,
        serialize: (value) => type.serialize(value),
      });
      checked.set(type.name, copy);
    }
    return copy;
  };

  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName) => {
      const nodeType = nodeTypeOfIdField(field);
      if (nodeType)
        return { ...field, type: new GraphQLNonNull(globalIds.get(nodeType)!), resolve: undefined };
      const leaf = getNamedType(field.type);
      if (!isEnumType(leaf) && !(isScalarType(leaf) && isSpecifiedScalarType(leaf))) return field;
      const column = rowColumns[typeName]?.[fieldName];
      const trusted =
        !field.resolve && !hasList(field.type) && column !== undefined && columnFitsLeaf(column, leaf);
      return trusted ? field : { ...field, type: withNamedType(field.type, checkedCopyOf(leaf)) };
    },
  });
}

function hasList(type: GraphQLOutputType): boolean {
  if (isNonNullType(type)) return hasList(type.ofType);
  return isListType(type);
}

/** `type` with its named type swapped, keeping the list and non-null wrappers. */
function withNamedType(type: GraphQLOutputType, named: GraphQLScalarType): GraphQLOutputType {
  if (isNonNullType(type)) return new GraphQLNonNull(withNamedType(type.ofType, named) as GraphQLScalarType);
  if (isListType(type)) return new GraphQLList(withNamedType(type.ofType, named));
  return named;
}
