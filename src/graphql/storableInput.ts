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

// A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `text` cannot be taken, or null. */
export function unstorableString(text: string): string | null {
  const match = UNSTORABLE.exec(text);
  if (!match) return null;
  return match[0] === '\u0000'
    ? 'contains a NUL character (\\u0000), which PostgreSQL cannot store'
    : 'contains an unpaired UTF-16 surrogate (invalid Unicode)';
}

/** An unstorable string in a JSON-like value (walked without recursion): its path and the reason. */
export function findUnstorable(value: unknown, path: string): { path: string; problem: string } | null {
  const stack: Array<[value: unknown, path: string]> = [[value, path]];
  while (stack.length > 0) {
    const [item, at] = stack.pop()!;
    if (typeof item === 'string') {
      const problem = unstorableString(item);
      if (problem) return { path: at, problem };
    } else if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) stack.push([item[i], `${at}[${i}]`]);
    } else if (item && typeof item === 'object') {
      for (const [key, child] of Object.entries(item).reverse()) {
        const problem = unstorableString(key);
        if (problem) return { path: `${at} (the key ${JSON.stringify(key)})`, problem };
        stack.push([child, `${at}.${key}`]);
      }
    }
  }
  return null;
}

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
