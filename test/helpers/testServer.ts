/** Starts the real HTTP server on a free loopback port over a fresh test database. */
import { VERSION } from '../../src/app.js';
import type { Database } from '../../src/db/connect.js';
import {
  loadConfig,
  type GraphQLExecutorKind,
  type GraphQLLimits,
  type HttpTimeouts,
  type RateLimits,
} from '../../src/config.js';
import { startHttpServer } from '../../src/http/server.js';
import { silentLogger, type Logger } from '../../src/logger.js';
import { openTestDatabase } from './testDatabase.js';
import type { EmbedderRegistry } from '../../src/embeddings/registry.js';
import { testEmbedders } from './testEmbedders.js';
import { request } from 'node:http';

/**
 * A JSON response body as tests read it: untyped on purpose, each test asserting the fields it
 * reads. The one explicit `any` of the test suite; shapes a test relies on get a type of their own
 * (Connection, Edge, ErrorBody, or an interface in the test).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ResponseJson = any;

export interface GraphQLResult<T = ResponseJson> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string; [k: string]: unknown }; path?: unknown[] }[];
}

/** A Relay edge and connection as a test reads them back. */
export interface Edge<N> {
  node: N;
  cursor: string;
}

export interface Connection<N> {
  edges: Edge<N>[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
  totalCount: number;
}

/** The JSON body of a refused HTTP request. */
export interface ErrorBody {
  errors: { message: string; extensions: { code: string } }[];
}

export interface TestServer {
  url: string;
  database: Database;
  /** The embedders the server (and jobs run for it in tests) use. */
  embedders: EmbedderRegistry;
  gql<T = ResponseJson>(
    query: string,
    variables?: Record<string, unknown>,
    options?: { key?: string },
  ): Promise<GraphQLResult<T>>;
  /** Like gql, but fails the test on any GraphQL error and returns `data`. */
  ok<T = ResponseJson>(
    query: string,
    variables?: Record<string, unknown>,
    options?: { key?: string },
  ): Promise<T>;
  stop(): Promise<void>;
}

export async function startTestServer(
  options: {
    auth?: 'required' | 'off';
    maxBodyBytes?: number;
    maxRecordBytes?: number;
    tintMaxSamples?: number;
    database?: Database;
    embedders?: EmbedderRegistry;
    /** Default: QDC_GRAPHQL_EXECUTOR, else the server's default (jit). */
    graphqlExecutor?: GraphQLExecutorKind;
    /** Default: silent. */
    logger?: Logger;
    /** Default: the server's (DEFAULT_HTTP_TIMEOUTS). */
    timeouts?: HttpTimeouts;
    /** Default: true. */
    introspection?: boolean;
    /** Default: DEFAULT_GUNZIP_CAPS. */
    gunzip?: { maxBytes: number; maxRatio: number };
    /** Default: the loopback names (allowedHostsFor). */
    allowedHosts?: string[] | '*';
    /** Default: the server's (DEFAULT_GRAPHQL_LIMITS). */
    graphqlLimits?: GraphQLLimits;
    /** Default: the server's (DEFAULT_RATE_LIMITS). */
    rateLimits?: RateLimits;
    /** Default: true (the sample browser's first view answered inside its HTML). */
    webFirstView?: boolean;
  } = {},
): Promise<TestServer> {
  const database = options.database ?? (await openTestDatabase());
  const embedders = options.embedders ?? testEmbedders();
  const running = await startHttpServer({
    database,
    auth: options.auth ?? 'off',
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: options.maxBodyBytes ?? 16 * 1024 * 1024,
    graphqlExecutor: options.graphqlExecutor ?? loadConfig().graphqlExecutor,
    maxRecordBytes: options.maxRecordBytes ?? 1024 * 1024,
    tintMaxSamples: options.tintMaxSamples,
    embedders,
    timeouts: options.timeouts,
    graphqlLimits: options.graphqlLimits,
    rateLimits: options.rateLimits,
    allowedHosts: options.allowedHosts,
    gunzip: options.gunzip,
    introspection: options.introspection,
    webFirstView: options.webFirstView,
    logger: options.logger ?? silentLogger,
    version: VERSION,
  });
  const gql: TestServer['gql'] = async (query, variables, opts) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (opts?.key) headers.authorization = `Bearer ${opts.key}`;
    const res = await postOnNewConnection(
      `${running.url}/graphql`,
      headers,
      JSON.stringify({ query, variables }),
    );
    const body = JSON.parse(res.body) as Omit<GraphQLResult, 'status'>;
    return { status: res.status, ...body };
  };
  return {
    url: running.url,
    database,
    embedders,
    gql,
    async ok(query, variables, opts) {
      const result = await gql(query, variables, opts);
      if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
      return result.data;
    },
    async stop() {
      await running.stop();
      if (!options.database) await database.close();
    },
  };
}

/**
 * POSTs on a connection of its own. A kept-alive connection can be closed by the server's
 * keep-alive timer just as the next request is sent when a test has blocked the event loop (a job
 * run in-process), which fetch reports as ECONNRESET; tests must not fail on that.
 */
function postOnNewConnection(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
