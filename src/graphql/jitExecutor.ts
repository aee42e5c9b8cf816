/**
 * Executes operations with graphql-jit instead of graphql-js's interpreter.
 *
 * graphql-js walks the selection set for every object of every response, checking types and
 * wrapping each object with promise-valued fields in `Promise.all`. graphql-jit compiles each
 * distinct operation once into a JavaScript function, which cuts per-field execution cost by
 * roughly an order of magnitude on list-heavy queries like the catalog's nested dataset lists.
 *
 * Apollo Server 5 has no executor option; its documented hook for a custom executor is the
 * `gateway` interface, which is what `jitGateway` implements (it serves one fixed schema).
 * Parsing, validation, plugins, error formatting and HTTP stay Apollo's.
 */
import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import {
  BREAK,
  getVariableValues,
  GraphQLError,
  visit,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { releaseLoaders, type Context } from './context.js';
import { countSelections } from './costLimits.js';
import { executionSchema } from './executionSchema.js';

/**
 * How many fields, summed over the operations it keeps, the compile cache may hold. A compiled
 * operation's code (and the heap it keeps) grows with its field count once fragments are expanded,
 * so the cache is bounded by that total rather than by an entry count alone (security review F4:
 * 1000 entries of large distinct operations kept 26-76 MB each).
 */
export const DEFAULT_CACHE_FIELDS = 100_000;
/** At most this many entries, however small. */
const MAX_CACHE_ENTRIES = 1000;

interface CacheEntry {
  query: CompiledQuery;
  fields: number;
}

/** What the compile cache holds right now (a live view, for tests and diagnostics). */
export interface JitCacheState {
  entries: number;
  fields: number;
}

export function createJitExecutor(
  schema: GraphQLSchema,
  cacheFields = DEFAULT_CACHE_FIELDS,
  state: JitCacheState = { entries: 0, fields: 0 },
): GatewayExecutor {
  const compiled = new Map<string, CacheEntry>();
  const executable = executionSchema(schema);
  const compile = (document: DocumentNode, operationName: string | undefined) =>
    introspects(document)
      ? compileQuery(schema, document, operationName)
      : compileQuery(executable, document, operationName, { disableLeafSerialization: true });

  function compiledFor(
    key: string,
    fields: () => number,
    compile: () => CompiledQuery | ExecutionResult,
  ): CompiledQuery | ExecutionResult {
    const hit = compiled.get(key);
    if (hit) {
      // Map keeps insertion order: re-inserting marks the entry as most recently used.
      compiled.delete(key);
      compiled.set(key, hit);
      return hit.query;
    }
    const result = compile();
    if (!isCompiledQuery(result)) return result;
    const size = fields();
    // An operation larger than the whole cache runs once and is not kept.
    if (size > cacheFields) return result;
    compiled.set(key, { query: result, fields: size });
    state.fields += size;
    while (state.fields > cacheFields || compiled.size > MAX_CACHE_ENTRIES) {
      const [oldestKey, oldest] = compiled.entries().next().value!;
      compiled.delete(oldestKey);
      state.fields -= oldest.fields;
    }
    state.entries = compiled.size;
    return result;
  }

  return async (requestContext) => {
    const { document, operation, operationName, queryHash, context } = requestContext;
    try {
      const variables = requestContext.request.variables ?? {};
      // graphql-js's coercion gives variable errors the exact messages and AST nodes (Apollo turns
      // those into BAD_USER_INPUT); graphql-jit then coerces the same values again, cheaply.
      const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables, {
        maxErrors: 50,
      });
      if (coerced.errors) return { errors: coerced.errors };
      const key = `${queryHash}\u0000${operationName ?? ''}`;
      const query = compiledFor(
        key,
        () => countSelections(document, operation).fields,
        () => compile(document, operationName ?? undefined),
      );
      const result = isCompiledQuery(query) ? await query.query(undefined, context, variables) : query;
      return result.errors ? { ...result, errors: result.errors.map(upstreamError) } : result;
    } finally {
      // Apollo keeps this request's context reachable to V8's minor collections for several
      // requests after it ends (see below); without this, every row it loaded would go with it.
      releaseLoaders(context as Context);
    }
  };
}

/*
 * Why the executor releases the loaders. For every request, Apollo's gateway path
 * (makeGatewayGraphQLRequestContext) builds `response.http` as an object literal with a `status`
 * getter and setter, closures over Apollo's request context, which holds ours (a shallow copy
 * that shares our loaders). Measured: after such a request has ended, its context and all it
 * reaches survive V8's minor collections and are promoted, though a full collection frees them;
 * with those accessors patched into a plain property (an experiment on Apollo's code) nothing
 * survives. So they are reachable only through references the young-generation collector treats
 * as strong, most likely the hidden class each evaluation of that literal gets, which holds the
 * accessor pair. In bench/graphql that was ~1 MB of rows per request kept through scavenges, and
 * scavenges took 10-14 ms instead of ~5 ms (bench/README.md has the figures). The executor is the
 * last reader of the loaders, so it drops them as soon as execution ends.
 */

/** Whether the document asks for `__schema` or `__type`: those must see the public schema's types. */
function introspects(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/**
 * graphql-jit's errors leave `extensions` undefined when the resolver's error has none, and
 * Apollo's error normalisation reads `extensions.code` unguarded. Rebuilding each error as a
 * graphql-js GraphQLError gives Apollo (and our formatError) exactly what graphql-js would.
 */
function upstreamError(error: GraphQLError): GraphQLError {
  const rebuilt = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: error.extensions ?? undefined,
  });
  if (error.locations) (rebuilt as { locations?: GraphQLError['locations'] }).locations = error.locations;
  return rebuilt;
}

/** A gateway in name only: it hands Apollo one fixed schema and the JIT executor. */
export function jitGateway(schema: GraphQLSchema, cacheFields = DEFAULT_CACHE_FIELDS): GatewayInterface {
  return {
    async load() {
      return { executor: createJitExecutor(schema, cacheFields) };
    },
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => undefined;
    },
    async stop() {},
  };
}
