/**
 * Maps errors to what clients see: domain errors keep their message and get `extensions.code`;
 * GraphQL's own validation errors pass through; everything else becomes a generic internal error,
 * so no stack trace or SQL text ever leaves the server (it goes to the log instead). An internal
 * error names its request's id (`extensions.requestId`), which the log line carries too.
 */
import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { isDomainError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Context } from './context.js';

const CLIENT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'QUERY_TOO_COMPLEX',
  'RATE_LIMITED',
]);

/** graphql-js's getVariableValues (maxErrors 50). */
const TOO_MANY_VARIABLE_ERRORS =
  'Too many errors processing variables, error limit reached. Execution aborted.';

/** A GraphQLError Apollo raised before execution (no path, cause or code) with a 4xx status in its extensions. */
function isApolloClientError(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.originalError || error.path) return false;
  if (error.extensions.code !== undefined) return false;
  const status = (error.extensions?.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/** The request each error arose in: Apollo hands formatError the error but not the context. */
const errorRequests = new WeakMap<object, Pick<Context, 'requestId' | 'logger'>>();

const errorListener: GraphQLRequestListener<Context> = {
  async didEncounterErrors({ errors, contextValue }) {
    const request = { requestId: contextValue.requestId, logger: contextValue.logger };
    for (const error of errors) errorRequests.set(error, request);
  },
};

/** Tags each request's errors with the request, for createFormatError; runs before it. */
export const errorRequestPlugin: ApolloServerPlugin<Context> = {
  requestDidStart: async () => errorListener,
};

/** `logger` logs internal errors that reach the formatter outside any tagged request. */
export function createFormatError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (isDomainError(original)) {
      return {
        message: original.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: original.code, ...original.details },
      };
    }
    if (formatted.message === TOO_MANY_VARIABLE_ERRORS && formatted.path === undefined) {
      // graphql-js ends coercion after 50 bad variable values with an error of no code that
      // Apollo, unlike the 50 before it, does not mark BAD_USER_INPUT (found by the fuzzer).
      return { message: formatted.message, extensions: { code: 'BAD_USER_INPUT' } };
    }
    if (isApolloClientError(error)) {
      // Apollo's own request errors without a code, such as an APQ hash that does not match its
      // query or an unknown persisted-query version: Apollo gave them a 4xx status itself.
      return { message: formatted.message, extensions: { code: 'BAD_REQUEST' } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && CLIENT_CODES.has(code)) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    const request = typeof error === 'object' && error !== null ? errorRequests.get(error) : undefined;
    (request?.logger ?? logger).error('internal error while handling a GraphQL request', {
      error: original instanceof Error ? (original.stack ?? original.message) : String(original),
      path: formatted.path,
    });
    return {
      message: 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: request
        ? { code: 'INTERNAL_SERVER_ERROR', requestId: request.requestId }
        : { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
