/** The Apollo server: schema, error formatting, depth limit and role checks per operation. */
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { GraphQLError, type FormattedExecutionResult } from 'graphql';
import { roleAllows } from '../auth/apiKeys.js';
import { DEFAULT_GRAPHQL_LIMITS, type GraphQLExecutorKind, type GraphQLLimits } from '../config.js';
import type { Logger } from '../logger.js';
import type { Context } from './context.js';
import { costLimitPlugin } from './costLimits.js';
import { depthLimitRule } from './depthLimitRule.js';
import { createFormatError, errorRequestPlugin } from './errors.js';
import { jitGateway } from './jitExecutor.js';
import { QUERY_ROLE, requiredRole } from './operationRoles.js';
import { storableInputPlugin } from './storableInput.js';
import { loadTypeDefs, resolvers } from './schema.js';

export const MAX_QUERY_DEPTH = 15;

/**
 * Reads need the reader role; each mutation the role MUTATION_ROLES declares for it (a mutation
 * missing there is refused). Only enforced when auth is required.
 */
const authorizationPlugin: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, document, contextValue: ctx }) {
        if (ctx.facts.auth === 'off') return;
        if (!ctx.role) {
          throw new GraphQLError(
            ctx.presentedKey
              ? 'the API key is invalid or revoked'
              : 'this server requires an API key: send the header "Authorization: Bearer <key>"',
            { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } },
          );
        }
        const needed: ReturnType<typeof requiredRole> = operation
          ? requiredRole(document, operation)
          : { role: QUERY_ROLE, what: 'this query' };
        if ('undeclared' in needed) {
          throw new GraphQLError(
            `the mutation ${needed.undeclared} has no declared role, so no key may call it`,
            {
              extensions: { code: 'FORBIDDEN', http: { status: 403 } },
            },
          );
        }
        if (!roleAllows(ctx.role, needed.role)) {
          throw new GraphQLError(`${needed.what} needs the ${needed.role} role; the key has ${ctx.role}`, {
            extensions: { code: 'FORBIDDEN', http: { status: 403 } },
          });
        }
      },
    };
  },
};

/**
 * Apollo's own serialization of a response (JSON and a newline), after which the result's data is
 * emptied. Apollo keeps each request's context, response included, reachable to V8's minor
 * collections for several requests after it has ended (see jitExecutor.ts); this is the last
 * reader of a result, so its objects need not survive those collections.
 */
export function stringifyAndDetach(result: FormattedExecutionResult): string {
  const text = `${JSON.stringify(result)}\n`;
  const data = result.data as Record<string, unknown> | null | undefined;
  if (data) for (const key of Object.keys(data)) delete data[key];
  return text;
}

/** `jit` compiles each operation with graphql-jit; `graphql-js` is the reference interpreter. */
export function createApolloServer(
  logger: Logger,
  executor: GraphQLExecutorKind = 'jit',
  limits: GraphQLLimits = DEFAULT_GRAPHQL_LIMITS,
  introspection = true,
): ApolloServer<Context> {
  const schema = makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers });
  return new ApolloServer<Context>({
    ...(executor === 'jit' ? { gateway: jitGateway(schema, limits.jitCacheFields) } : { schema }),
    // The HTTP layer counts tokens first (QUERY_TOO_COMPLEX); this bounds any other caller's parse.
    parseOptions: { maxTokens: limits.maxTokens },
    formatError: createFormatError(logger),
    // Apollo's own warnings and errors (startup, shutdown, plugin failures) become our JSON lines.
    logger,
    stringifyResult: stringifyAndDetach,
    includeStacktraceInErrorResponses: false,
    validationRules: [depthLimitRule(MAX_QUERY_DEPTH)],
    // The cache-control plugin wraps every field resolver; we set no cache hints, so it is pure cost.
    plugins: [
      costLimitPlugin(limits),
      authorizationPlugin,
      storableInputPlugin,
      errorRequestPlugin,
      ApolloServerPluginCacheControlDisabled(),
      // No landing page fetched from Apollo's CDN: a GET without a query gets a JSON 400.
      ApolloServerPluginLandingPageDisabled(),
    ],
    // GraphQL over HTTP: GET runs queries (never mutations: Apollo answers those 405) and POST must
    // be JSON (server.ts answers anything else 415), so nothing a page can send cross-site without
    // a preflight changes data. Apollo's own check would also refuse a plain GET query.
    csrfPrevention: false,
    // QDC_GRAPHQL_INTROSPECTION; off, `__schema` and `__type` fail validation.
    introspection,
    // `qdc serve` owns shutdown: it stops HTTP, Apollo and the database in order.
    stopOnTerminationSignals: false,
  });
}
