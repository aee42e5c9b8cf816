/**
 * What one GraphQL operation may cost, checked after validation and before any resolver runs
 * (security review F5; issue 21 item 1): aliases, fields once fragments are expanded, and a cost
 * that multiplies each list's page size into what it selects (graphql-query-complexity).
 *
 * Fields and aliases are counted with each fragment measured once and reused wherever it is
 * spread (as depthLimitRule does), so the count takes time linear in the document whatever its
 * spreads multiply to; only an operation within those counts goes on to the complexity walk,
 * whose work is then bounded by them.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import {
  getNamedType,
  getNullableType,
  getVariableValues,
  GraphQLError,
  isListType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import type { GraphQLLimits } from '../config.js';
import type { Context } from './context.js';

/** From GraphQLLimits (config.ts): QDC_GRAPHQL_MAX_ALIASES, QDC_GRAPHQL_MAX_FIELDS, QDC_GRAPHQL_MAX_COST. */
export type OperationLimits = Pick<GraphQLLimits, 'maxAliases' | 'maxFields' | 'maxCost'>;

/** A list field with no page-size argument is counted as if it held this many items. */
export const UNSIZED_LIST_ITEMS = 10;

export interface SelectionCounts {
  fields: number;
  aliases: number;
}

/** Fields and aliases `operation` selects with every fragment spread expanded (in linear time). */
export function countSelections(document: DocumentNode, operation: OperationDefinitionNode): SelectionCounts {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  }
  const measured = new Map<string, SelectionCounts>();
  const fragmentCounts = (name: string): SelectionCounts => {
    const known = measured.get(name);
    if (known) return known;
    // A cycle (refused by validation) counts nothing while it is being measured.
    measured.set(name, { fields: 0, aliases: 0 });
    const counts = countSet(fragments.get(name)?.selectionSet);
    measured.set(name, counts);
    return counts;
  };
  const countSet = (set: SelectionSetNode | undefined): SelectionCounts => {
    const total = { fields: 0, aliases: 0 };
    if (!set) return total;
    for (const sel of set.selections) {
      let inner: SelectionCounts;
      if (sel.kind === Kind.FIELD) {
        inner = countSet(sel.selectionSet);
        total.fields += 1;
        if (sel.alias) total.aliases += 1;
      } else if (sel.kind === Kind.INLINE_FRAGMENT) inner = countSet(sel.selectionSet);
      else inner = fragmentCounts(sel.name.value);
      total.fields += inner.fields;
      total.aliases += inner.aliases;
    }
    return total;
  };
  return countSet(operation.selectionSet);
}

/**
 * Each field costs 1 plus what it selects, times the items it can return: its `first` or `k`
 * argument (defaults applied), or UNSIZED_LIST_ITEMS for a list without one. A connection's
 * `edges` list is already counted by the connection's `first`.
 */
export const pageSizeEstimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  const size = typeof args.first === 'number' ? args.first : typeof args.k === 'number' ? args.k : null;
  if (size !== null) return 1 + Math.max(0, size) * childComplexity;
  const returnsList = isListType(getNullableType(field.type));
  if (returnsList && !getNamedType(type).name.endsWith('Connection')) {
    return 1 + UNSIZED_LIST_ITEMS * childComplexity;
  }
  return 1 + childComplexity;
};

function tooComplex(message: string, facts: Record<string, number>): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'QUERY_TOO_COMPLEX', ...facts, http: { status: 400 } },
  });
}

/** Refuses an operation over any of `limits` with QUERY_TOO_COMPLEX (HTTP 400), naming the count and the limit. */
export function costLimitPlugin(limits: OperationLimits): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, schema }) {
          if (!operation) return;
          const counts = countSelections(document, operation);
          if (counts.aliases > limits.maxAliases) {
            throw tooComplex(
              `the operation has ${counts.aliases} aliases; the limit is ${limits.maxAliases} (QDC_GRAPHQL_MAX_ALIASES)`,
              { aliases: counts.aliases, limit: limits.maxAliases },
            );
          }
          if (counts.fields > limits.maxFields) {
            throw tooComplex(
              `the operation selects ${counts.fields} fields once its fragments are expanded; the limit is ${limits.maxFields} (QDC_GRAPHQL_MAX_FIELDS)`,
              { fields: counts.fields, limit: limits.maxFields },
            );
          }
          const variables = request.variables ?? {};
          // Variables that do not coerce are refused by execution (BAD_USER_INPUT) before any resolver.
          if (getVariableValues(schema, operation.variableDefinitions ?? [], variables).errors) return;
          // Abstract types are walked once per possible type: room for that, still bounded.
          const maxQueryNodes = limits.maxFields * 50;
          let cost: number;
          try {
            cost = getComplexity({
              schema,
              query: document,
              operationName: request.operationName ?? undefined,
              variables,
              estimators: [pageSizeEstimator],
              maxQueryNodes,
            });
          } catch (error) {
            throw tooComplex(`the operation cannot be costed: ${(error as Error).message}`, {
              limit: maxQueryNodes,
            });
          }
          if (cost > limits.maxCost) {
            throw tooComplex(
              `the operation costs ${cost} (each field 1, times the page size of every list around it); the limit is ${limits.maxCost} (QDC_GRAPHQL_MAX_COST)`,
              { cost, limit: limits.maxCost },
            );
          }
        },
      };
    },
  };
}
