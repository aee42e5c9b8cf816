/**
 * Every text a GraphQL request hands in must be storable and valid Unicode: PostgreSQL text and
 * jsonb refuse NUL characters (a raw driver error, i.e. an internal error, wherever a resolver
 * binds one: a taxonomy key, a job kind, a judge secret, ...), and lone UTF-16 surrogates are not
 * Unicode (PostgreSQL turns them into U+FFFD, search embeds them as nothing). Found by the schema
 * fuzzer (test/graphql.fuzz.test.ts) in nine resolvers at once, so the check is made here, once,
 * for every string of the request (literals, variables, JSON-scalar keys and values) before any
 * resolver runs, instead of in each resolver that reaches SQL.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, visit, type DocumentNode, type StringValueNode } from 'graphql';
import type { Context } from './context.js';
import { findUnstorable, unstorableString } from '../storableText.js';

function firstUnstorableLiteral(document: DocumentNode): { node: StringValueNode; problem: string } | null {
  let found: { node: StringValueNode; problem: string } | null = null;
  visit(document, {
    StringValue(node) {
      if (found) return false;
      const problem = unstorableString(node.value);
      if (problem) found = { node, problem };
      return undefined;
    },
  });
  return found;
}

/** Refuses a request with an unstorable string anywhere in its document or variables (BAD_USER_INPUT). */
export const storableInputPlugin: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ document, request }) {
        const literal = firstUnstorableLiteral(document);
        if (literal) {
          throw new GraphQLError(`a string literal ${literal.problem}`, {
            nodes: literal.node,
            extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
          });
        }
        for (const [name, value] of Object.entries(request.variables ?? {})) {
          const found = findUnstorable(value, `$${name}`);
          if (found) {
            throw new GraphQLError(`variable ${found.path} ${found.problem}`, {
              extensions: { code: 'BAD_USER_INPUT', variable: name, path: found.path, http: { status: 400 } },
            });
          }
        }
      },
    };
  },
};
