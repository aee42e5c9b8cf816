/**
 * The bounds on a /graphql request that are checked before Apollo sees it: how many tokens the
 * document holds (counted by graphql-js's own lexer, before anything is parsed), and how many
 * values and how much nesting its variables hold (counted without recursion). Over a bound:
 * QUERY_TOO_COMPLEX (HTTP 400) naming the count and the limit.
 */
import { Lexer, Source, TokenKind } from 'graphql';
import type { GraphQLLimits } from '../config.js';
import { HttpError } from './readBody.js';

export type RequestLimits = Pick<GraphQLLimits, 'maxTokens' | 'maxVariableValues' | 'maxVariableDepth'>;

/** Checks one operation request (`{query, variables, ...}`); anything malformed is left to Apollo. */
export function checkRequestLimits(request: unknown, limits: RequestLimits): void {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) return;
  const { query, variables } = request as { query?: unknown; variables?: unknown };
  if (typeof query === 'string') checkTokens(query, limits.maxTokens);
  if (variables !== undefined) checkVariables(variables, limits);
}

function checkTokens(query: string, maxTokens: number): void {
  const lexer = new Lexer(new Source(query));
  let tokens = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) {
      tokens += 1;
      if (tokens > maxTokens) {
        throw new HttpError(
          400,
          'QUERY_TOO_COMPLEX',
          `the document has more than ${maxTokens} tokens (QDC_GRAPHQL_MAX_TOKENS); it was not parsed`,
          { tokens, limit: maxTokens },
        );
      }
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    // A syntax error: Apollo's parser reports it with its location.
  }
}

function checkVariables(variables: unknown, limits: RequestLimits): void {
  let values = 0;
  const stack: Array<[value: unknown, depth: number]> = [[variables, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    values += 1;
    if (values > limits.maxVariableValues) {
      throw new HttpError(
        400,
        'QUERY_TOO_COMPLEX',
        `the variables hold more than ${limits.maxVariableValues} values (QDC_GRAPHQL_MAX_VARIABLE_VALUES)`,
        { values, limit: limits.maxVariableValues },
      );
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth + 1 > limits.maxVariableDepth) {
      throw new HttpError(
        400,
        'QUERY_TOO_COMPLEX',
        `the variables nest objects and arrays more than ${limits.maxVariableDepth} deep (QDC_GRAPHQL_MAX_VARIABLE_DEPTH)`,
        { depth: depth + 1, limit: limits.maxVariableDepth },
      );
    }
    for (const child of Array.isArray(value) ? value : Object.values(value)) stack.push([child, depth + 1]);
  }
}
