/**
 * The GraphQL-over-HTTP specification's rules that Apollo leaves to us (issue 21 item 8):
 *   - the response media type: `application/graphql-response+json` when the client's Accept
 *     prefers it, `application/json` otherwise (no Accept header: json), 406 when it takes neither;
 *   - with `application/json`, a well-formed request whose GraphQL request failed (parse,
 *     validation, variable coercion, a cost limit) answers 200, as the specification says it
 *     should; with `application/graphql-response+json` such a response, which has no `data`, is a
 *     4xx;
 *   - GET runs queries only (Apollo refuses a mutation over GET with 405); POST must be JSON.
 */
import Negotiator from 'negotiator';

export const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json';
export const APPLICATION_JSON = 'application/json';
export type GraphQLMediaType = typeof GRAPHQL_RESPONSE_JSON | typeof APPLICATION_JSON;

/** The same choice Apollo makes for its own responses (json first on a tie, as Apollo lists it). */
export function chooseMediaType(accept: string | undefined): GraphQLMediaType | null {
  if (!accept) return APPLICATION_JSON;
  const preferred = new Negotiator({ headers: { accept } }).mediaType([
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
  ]);
  return (preferred as GraphQLMediaType | undefined) ?? null;
}

/** Codes of errors that end a GraphQL request before execution, on a well-formed HTTP request. */
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'QUERY_TOO_COMPLEX',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * The status an `application/json` response should have: 200 instead of Apollo's 400 when the
 * body is a GraphQL request error (no `data`, every error one of REQUEST_ERROR_CODES).
 */
export function legacyJsonStatus(status: number, body: string): number {
  if (status !== 400) return status;
  let parsed: { data?: unknown; errors?: Array<{ extensions?: { code?: unknown } }> };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return status;
  }
  if (parsed.data !== undefined || !Array.isArray(parsed.errors) || parsed.errors.length === 0) return status;
  const allRequestErrors = parsed.errors.every((e) => REQUEST_ERROR_CODES.has(String(e.extensions?.code)));
  return allRequestErrors ? 200 : status;
}

/** A GET request's operation as the HTTP layer checks it (query and variables from the URL). */
export function getRequestOperation(url: URL): { query?: string; variables?: unknown } {
  const query = url.searchParams.get('query') ?? undefined;
  const raw = url.searchParams.get('variables');
  let variables: unknown;
  if (raw !== null) {
    try {
      variables = JSON.parse(raw);
    } catch {
      // Apollo answers malformed variables with its own 400.
    }
  }
  return { query, variables };
}
