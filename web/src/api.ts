/**
 * The app's only way to the server: GraphQL over POST /graphql on this origin, with the API key
 * kept in sessionStorage (gone when the tab closes) as the bearer header.
 */
const KEY_STORAGE = 'qdc.apiKey';

export function apiKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function setApiKey(key: string | null): void {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
  authListeners.forEach((listener) => listener());
}

const authListeners = new Set<() => void>();
export function onApiKeyChange(listener: () => void): () => void {
  authListeners.add(listener);
  return () => authListeners.delete(listener);
}

/** A GraphQL error answer: the server's message and `extensions.code`, and the HTTP status. */
export class GraphQLRequestError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
    readonly path?: readonly unknown[],
  ) {
    super(message);
  }
}

/** The server could not be reached (or answered something that is not GraphQL). */
export class NetworkError extends Error {}

interface GraphQLBody<T> {
  data?: T | null;
  errors?: { message: string; path?: unknown[]; extensions?: { code?: string } }[];
}

/**
 * Results the server answered inside the page for its first operations (src/http/firstView.ts),
 * by operation text and variables. Each is used once, by the same operation, instead of a request.
 */
const firstView = new Map<string, GraphQLBody<unknown>>();
{
  const element = document.getElementById('qdc-first-view');
  try {
    const answered = JSON.parse(element?.textContent ?? '[]') as {
      query: string;
      variables: Record<string, unknown>;
      result: GraphQLBody<unknown>;
    }[];
    for (const { query, variables, result } of answered)
      firstView.set(operationKey(query, variables), result);
  } catch {
    // Not there or not readable: every operation goes to the server.
  }
  element?.remove();
}

function operationKey(query: string, variables: Record<string, unknown> | undefined): string {
  return `${query}\n${JSON.stringify(variables ?? {})}`;
}

export async function gql<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const cacheKey = operationKey(query, variables);
  const embedded = firstView.get(cacheKey);
  if (embedded?.data != null && !embedded.errors?.length) {
    firstView.delete(cacheKey);
    return embedded.data as T;
  }
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json',
  };
  const key = apiKey();
  if (key) headers.authorization = `Bearer ${key}`;
  let response: Response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new NetworkError(`the server could not be reached (${(error as Error).message})`);
  }
  let body: GraphQLBody<T>;
  try {
    body = (await response.json()) as GraphQLBody<T>;
  } catch {
    throw new NetworkError(`the server answered HTTP ${response.status} without a GraphQL body`);
  }
  const first = body.errors?.[0];
  if (first) {
    throw new GraphQLRequestError(
      first.message,
      first.extensions?.code ?? 'INTERNAL_SERVER_ERROR',
      response.status,
      first.path,
    );
  }
  if (body.data == null) throw new NetworkError(`the server answered HTTP ${response.status} without data`);
  return body.data;
}
