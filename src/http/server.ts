/**
 * The HTTP entry point: `/graphql` (Apollo, with our own body handling so limits and malformed
 * bodies get precise JSON errors) and `/healthz`. Bulk routes join here.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { HeaderMap } from '@apollo/server';
import { sql } from 'drizzle-orm';
import { authenticateApiKey, roleAllows, type Role } from '../auth/apiKeys.js';
import {
  allowedHostsFor,
  DEFAULT_GRAPHQL_LIMITS,
  DEFAULT_GUNZIP_CAPS,
  DEFAULT_HTTP_TIMEOUTS,
  DEFAULT_RATE_LIMITS,
  type GraphQLExecutorKind,
  type GraphQLLimits,
  type HttpTimeouts,
  type RateLimits,
} from '../config.js';
import type { Database } from '../db/connect.js';
import type { EmbedderRegistry } from '../embeddings/registry.js';
import { isDomainError, type ErrorCode } from '../errors.js';
import { createApolloServer } from '../graphql/apollo.js';
import { createContext, type Context, type RequestLimits, type ServerFacts } from '../graphql/context.js';
import type { Logger } from '../logger.js';
import { DEFAULT_MAX_RECORD_BYTES } from '../ingest/ingest.js';
import { DEFAULT_MAX_SAMPLES } from '../tint/spec.js';
import { handleExport, handleIngest, INGEST_PATH } from './bulkRoutes.js';
import { handleScores } from './scoresRoute.js';
import { handleProjection } from './projectionRoutes.js';
import { handleBackup } from './backupRoute.js';
import { handleCroissant, handleFacetSchema, handleLineagePost, handleOpenLineage } from './interopRoutes.js';
import { JobQuotas } from '../graphql/jobQuota.js';
import { TokenBuckets } from './rateLimit.js';
import { findV1Route, type V1RouteName } from './v1Routes.js';
import { checkRequestLimits } from './graphqlLimits.js';
import {
  APPLICATION_JSON,
  chooseMediaType,
  getRequestOperation,
  GRAPHQL_RESPONSE_JSON,
  legacyJsonStatus,
} from './graphqlOverHttp.js';
import { HttpError, readTextBody } from './readBody.js';
import { createWebRoutes } from './webRoutes.js';
import { firstViewOperations, SAMPLE_ROWS_QUERY, type AnsweredOperation } from './firstView.js';

const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400,
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  REQUEST_TIMEOUT: 408,
  NOT_ACCEPTABLE: 406,
  METHOD_NOT_ALLOWED: 405,
  QUERY_TOO_COMPLEX: 400,
  FORBIDDEN_HOST: 403,
  CSRF_REJECTED: 415,
  RATE_LIMITED: 429,
};

export interface HttpServerOptions {
  database: Database;
  auth: 'required' | 'off';
  host: string;
  /** Host header names answered; default: the loopback names and `host` (allowedHostsFor). */
  allowedHosts?: string[] | '*';
  port: number;
  maxBodyBytes: number;
  /** Default `jit` (graphql-jit); `graphql-js` interprets operations instead. */
  graphqlExecutor?: GraphQLExecutorKind;
  /** Longest record a bulk ingest accepts (default 1 MiB). */
  maxRecordBytes?: number;
  /** Most samples one TInt generation may ask for (default 10M). */
  tintMaxSamples?: number;
  /** Whether introspection is answered (QDC_GRAPHQL_INTROSPECTION; default true). */
  introspection?: boolean;
  /** Caps on gzip request bodies; default DEFAULT_GUNZIP_CAPS (32 GiB, ratio 200). */
  gunzip?: { maxBytes: number; maxRatio: number };
  /** Default: DEFAULT_GRAPHQL_LIMITS (the QDC_GRAPHQL_MAX_* variables). */
  graphqlLimits?: GraphQLLimits;
  /** Default: DEFAULT_HTTP_TIMEOUTS (QDC_HEADERS_TIMEOUT_MS, QDC_REQUEST_TIMEOUT_MS, QDC_BODY_IDLE_TIMEOUT_MS). */
  timeouts?: HttpTimeouts;
  /** Default: DEFAULT_RATE_LIMITS (QDC_RATE_LIMIT_RPS, QDC_RATE_LIMIT_BURST, QDC_MAX_JOBS_PER_KEY). */
  rateLimits?: RateLimits;
  /** Embedders for queries and embedding requests (shared with the in-process worker). */
  embedders: EmbedderRegistry;
  /**
   * Answer the app's first operations inside the HTML of a sample browser navigation
   * (src/http/firstView.ts). Default true; bench/ui turns it off to measure the difference.
   */
  webFirstView?: boolean;
  logger: Logger;
  version: string;
}

export interface RunningServer {
  url: string;
  server: Server;
  stop(): Promise<void>;
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningServer> {
  const { database, logger } = options;
  const graphqlLimits = options.graphqlLimits ?? DEFAULT_GRAPHQL_LIMITS;
  const apollo = createApolloServer(
    logger,
    options.graphqlExecutor,
    graphqlLimits,
    options.introspection ?? true,
  );
  await apollo.start();
  const facts: ServerFacts = { version: options.version, backend: database.backend, auth: options.auth };
  const limits: RequestLimits = { tintMaxSamples: options.tintMaxSamples ?? DEFAULT_MAX_SAMPLES };
  const timeouts = options.timeouts ?? DEFAULT_HTTP_TIMEOUTS;
  const allowedHosts = options.allowedHosts ?? allowedHostsFor(options.host);
  const rateLimits = options.rateLimits ?? DEFAULT_RATE_LIMITS;
  const buckets = new TokenBuckets(rateLimits);
  const jobQuotas =
    options.auth === 'required' ? new JobQuotas(database.db, rateLimits.maxConcurrentJobs) : null;

  async function handleGraphQL(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    request: Pick<Context, 'requestId' | 'logger'>,
  ) {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    if (req.method !== 'GET' && req.method !== 'POST' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, POST');
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `use GET (queries) or POST for ${url.pathname}`);
    }
    const mediaType = chooseMediaType(req.headers.accept);
    if (!mediaType) {
      throw new HttpError(
        406,
        'NOT_ACCEPTABLE',
        `the Accept header takes neither ${APPLICATION_JSON} nor ${GRAPHQL_RESPONSE_JSON}`,
      );
    }
    // The key is checked before a byte of the body is read: without one, a request costs nothing.
    const { role, presentedKey, keyId, keyRowId } = await authenticate(req);
    if (options.auth === 'required' && !role) throw unauthenticated(presentedKey);
    if (keyId) limitRate(keyId, res);
    let body: unknown;
    try {
      if (req.method === 'POST') {
        const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        // JSON only: a form or text/plain POST, which a web page can send without a preflight, never runs.
        if (contentType !== APPLICATION_JSON && !contentType.endsWith('+json')) {
          throw new HttpError(
            415,
            'UNSUPPORTED_MEDIA_TYPE',
            `POST a GraphQL request as ${APPLICATION_JSON} (got "${contentType || '(none)'}")`,
          );
        }
        const text = await readTextBody(req, options.maxBodyBytes, {
          idleMs: timeouts.bodyIdleMs,
          totalMs: timeouts.requestMs,
        });
        try {
          body = JSON.parse(text);
        } catch (error) {
          throw new HttpError(
            400,
            'BAD_REQUEST',
            `request body is not valid JSON: ${(error as Error).message}`,
          );
        }
        if (Array.isArray(body)) {
          // Batching is off, so one request is one operation and every bound above holds per request.
          throw new HttpError(
            400,
            'BAD_REQUEST',
            `a batch of ${body.length} operations was sent; this server takes one operation per request`,
            { operations: body.length, limit: 1 },
          );
        }
        checkRequestLimits(body, graphqlLimits);
      } else checkRequestLimits(getRequestOperation(url), graphqlLimits);
    } catch (error) {
      // A cost limit is a GraphQL request error: 200 for application/json, as Apollo's are below.
      if (error instanceof HttpError && error.code === 'QUERY_TOO_COMPLEX') {
        res.statusCode = mediaType === APPLICATION_JSON ? 200 : error.status;
        res.setHeader('content-type', `${mediaType}; charset=utf-8`);
        res.end(
          JSON.stringify({
            errors: [{ message: error.message, extensions: { ...error.details, code: error.code } }],
          }),
        );
        return;
      }
      throw error;
    }
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
      context: async () =>
        createContext(
          database,
          facts,
          { role, presentedKey, keyId, keyRowId, jobQuotas },
          limits,
          options.embedders,
          request,
        ),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      const json = (response.headers.get('content-type') ?? '').startsWith(APPLICATION_JSON);
      if (json) res.statusCode = legacyJsonStatus(res.statusCode, response.body.string);
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  /** The presented key, looked up afresh on every request (a revoked key fails the next one). */
  async function authenticate(
    req: IncomingMessage,
  ): Promise<{ role: Role | null; presentedKey: boolean; keyId: string | null; keyRowId: number | null }> {
    const header = req.headers.authorization;
    if (!header) return { role: null, presentedKey: false, keyId: null, keyRowId: null };
    if (options.auth === 'off') return { role: null, presentedKey: true, keyId: null, keyRowId: null };
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const key = match ? await authenticateApiKey(database.db, match[1]!) : null;
    return {
      role: key?.role ?? null,
      presentedKey: true,
      keyId: key?.keyId ?? null,
      keyRowId: key?.id ?? null,
    };
  }

  /** One token of the key's bucket, or 429 RATE_LIMITED with Retry-After. */
  function limitRate(keyId: string, res: ServerResponse): void {
    const decision = buckets.take(keyId);
    if (decision.allowed) return;
    res.setHeader('retry-after', String(decision.retryAfterSeconds));
    throw new HttpError(
      429,
      'RATE_LIMITED',
      `this API key sent more than ${rateLimits.requestsPerSecond} requests per second (QDC_RATE_LIMIT_RPS, bursts of ${rateLimits.burst}); retry in ${decision.retryAfterSeconds} s`,
      { retryAfterSeconds: decision.retryAfterSeconds, limit: rateLimits.requestsPerSecond },
    );
  }

  /** /v1 routes check their declared role here (GraphQL checks it per operation in the Apollo plugin). */
  async function requireRole(req: IncomingMessage, res: ServerResponse, needed: Role): Promise<void> {
    if (options.auth === 'off') return;
    const { role, presentedKey, keyId } = await authenticate(req);
    if (!role || !keyId) throw unauthenticated(presentedKey);
    limitRate(keyId, res);
    if (!roleAllows(role, needed))
      throw new HttpError(403, 'FORBIDDEN', `this route needs the ${needed} role; the key has ${role}`);
  }

  const web = createWebRoutes();

  /**
   * The app's first operations for a navigation, run as the app would run them: through Apollo
   * (so the cost limits and role checks apply) with the navigation's own credentials. A browser
   * navigation carries no API key, so with auth required nothing is answered and the app asks
   * for a key as usual. A failed operation is left out (the app repeats it and shows the error).
   */
  function answerFirstView(
    req: IncomingMessage,
    url: URL,
    request: Pick<Context, 'requestId' | 'logger'>,
  ): Promise<AnsweredOperation | null>[] {
    const operations = firstViewOperations(url);
    if (operations.length === 0) return [];
    const failed = (error: unknown) => {
      request.logger.warn('first view not embedded', { error: (error as Error).message });
      return null;
    };
    const session = authenticate(req).then(
      (who) => (options.auth === 'required' && !who.role ? null : who),
      failed,
    );
    const run = async (operation: (typeof operations)[number]): Promise<AnsweredOperation | null> => {
      try {
        const who = await session;
        if (!who) return null;
        const { role, presentedKey, keyId, keyRowId } = who;
        const response = await apollo.executeOperation(operation, {
          contextValue: createContext(
            database,
            facts,
            { role, presentedKey, keyId, keyRowId, jobQuotas },
            limits,
            options.embedders,
            request,
          ),
        });
        if (response.body.kind !== 'single') return null;
        const { data, errors } = response.body.singleResult;
        return { ...operation, result: errors ? { data, errors: [...errors] } : { data } };
      } catch (error) {
        return failed(error);
      }
    };
    // The rows first, alone: only they gate the page's first paint, and the other operations run
    // after them rather than competing with them for the event loop and the database. (`run`
    // never rejects, so the others start whatever the rows' outcome.)
    const rowsAt = operations.findIndex((op) => op.query === SAMPLE_ROWS_QUERY);
    const rows = rowsAt >= 0 ? run(operations[rowsAt]!) : Promise.resolve(null);
    return operations.map((operation, i) => (i === rowsAt ? rows : rows.then(() => run(operation))));
  }

  const bulk = {
    database,
    maxRecordBytes: options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
    bodyIdleMs: timeouts.bodyIdleMs,
    gunzip: options.gunzip ?? DEFAULT_GUNZIP_CAPS,
  };

  const interop = {
    ...bulk,
    maxBodyBytes: options.maxBodyBytes,
    version: options.version,
  };

  /** The handler of each declared /v1 route (V1_ROUTES); the role was checked before it runs. */
  const v1Handlers: Record<
    V1RouteName,
    (req: IncomingMessage, res: ServerResponse, match: RegExpExecArray, url: URL) => Promise<void> | void
  > = {
    ingest: (req, res, match, url) => handleIngest(req, res, match[1]!, url, bulk),
    export: (req, res, match) => handleExport(req, res, match[1]!, bulk),
    scores: (req, res, match, url) => handleScores(req, res, match[1]!, url, bulk),
    croissant: (req, res, match) => handleCroissant(req, res, match[1]!, interop),
    openlineage: (req, res, match) => handleOpenLineage(req, res, match[1]!, interop),
    lineage: (req, res) => handleLineagePost(req, res, interop),
    facetSchema: (req, res) => handleFacetSchema(req, res),
    projection: (req, res, match, url) => handleProjection(req, res, match, url, database),
    backup: (req, res) => handleBackup(req, res, database, `qdc-catalog ${options.version}`),
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const started = performance.now();
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    const log = logger.child({ requestId });
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      checkHost(req.headers.host, allowedHosts);
      checkQueryEncoding(url);
      // The ingest route takes only its own non-simple content types (415 for any other).
      if (url.pathname.startsWith('/v1/') && !INGEST_PATH.test(url.pathname)) checkNotSimpleWrite(req);
      const firstView =
        options.webFirstView === false
          ? undefined
          : () => answerFirstView(req, url, { requestId, logger: log });
      if (await web.handle(req, res, url, firstView)) return;
      if (url.pathname === '/graphql') return await handleGraphQL(req, res, url, { requestId, logger: log });
      const route = url.pathname.startsWith('/v1/') ? findV1Route(url.pathname) : undefined;
      if (route) {
        if (route.role) await requireRole(req, res, route.role);
        return await v1Handlers[route.name](req, res, route.path.exec(url.pathname)!, url);
      }
      if (url.pathname === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
        await database.db.execute(sql`select 1`);
        // With auth required, only a valid key learns the version and backend (security review F16).
        if (options.auth === 'required' && !(await authenticate(req)).role) {
          return sendJson(res, 200, { status: 'ok' });
        }
        return sendJson(res, 200, { status: 'ok', backend: database.backend, version: options.version });
      }
      sendJson(res, 404, {
        errors: [{ message: `no route ${req.method} ${url.pathname}`, extensions: { code: 'NOT_FOUND' } }],
      });
    } catch (error) {
      // A caller without a valid key, or one that stalled, is not read any further: the connection
      // closes after the answer. Other early answers (a bad line early in an upload) let node read
      // and discard the rest, so that a client still sending gets to read the answer.
      const cutOff =
        error instanceof HttpError && (error.code === 'UNAUTHENTICATED' || error.code === 'REQUEST_TIMEOUT');
      if (cutOff && !req.complete && !res.headersSent) res.setHeader('connection', 'close');
      if (res.headersSent) {
        // A streamed response (export) broke midway: cut the connection so the client sees it.
        log.error('HTTP response failed after it started', { path: url.pathname, error: String(error) });
        res.destroy();
        return;
      }
      if (error instanceof HttpError) {
        sendJson(res, error.status, {
          errors: [{ message: error.message, extensions: { ...error.details, code: error.code } }],
        });
      } else if (isDomainError(error)) {
        sendJson(res, HTTP_STATUS[error.code], {
          errors: [{ message: error.message, extensions: { ...error.details, code: error.code } }],
        });
      } else {
        log.error('internal error while handling an HTTP request', {
          path: url.pathname,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        });
        if (!res.headersSent) {
          sendJson(res, 500, {
            errors: [
              { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } },
            ],
          });
        } else res.end();
      }
    } finally {
      log.debug('HTTP request', {
        method: req.method,
        path: url.pathname,
        status: res.statusCode,
        ms: Math.round(performance.now() - started),
      });
    }
  }

  const server = createServer(
    {
      // A client must send its headers within headersMs (else node answers 408 and closes).
      headersTimeout: timeouts.headersMs,
      // Node's requestTimeout would cut multi-GB uploads too: bodies are timed by timedBody instead
      // (QDC_REQUEST_TIMEOUT_MS for /graphql, QDC_BODY_IDLE_TIMEOUT_MS for every body).
      requestTimeout: 0,
      // How often node looks for connections over headersTimeout (its default is 30 s).
      connectionsCheckingInterval: Math.min(1000, timeouts.headersMs),
      keepAliveTimeout: 5000,
    },
    (req, res) => void handle(req, res),
  );
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    server,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await apollo.stop();
    },
  };
}

/**
 * What node's own parser refuses before a request reaches `handle` (headers over the size limit,
 * a URL too long, broken HTTP, headers too slow) gets the same JSON error shape as everything
 * else, instead of node's bare status line: the schema fuzzer's long GET queries got an empty 431.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  // As node's own handler: answer unless a response on this socket has begun (a kept-alive socket
  // has written earlier responses, so bytesWritten would not tell).
  const current = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (!socket.writable || current?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, reason, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [
          431,
          'Request Header Fields Too Large',
          'PAYLOAD_TOO_LARGE',
          'the request line and headers are larger than this server takes (node --max-http-header-size, 16 KiB by default): send a long query by POST',
        ]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'REQUEST_TIMEOUT', 'the request headers did not arrive in time']
        : [400, 'Bad Request', 'BAD_REQUEST', 'the request is not well-formed HTTP'];
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * DNS rebinding: a page on evil.example whose name is made to resolve to 127.0.0.1 reaches this
 * server from the browser as same-origin, but its requests still carry `Host: evil.example`.
 */
function checkHost(header: string | undefined, allowed: string[] | '*'): void {
  if (allowed === '*' || header === undefined) return;
  const name = header.trim().toLowerCase().replace(/:\d+$/, '');
  if (!allowed.includes(name)) {
    throw new HttpError(
      403,
      'FORBIDDEN_HOST',
      `this server does not answer for the host "${name}" (allowed: ${allowed.join(', ')}; see QDC_ALLOWED_HOSTS)`,
      { host: name },
    );
  }
}

/**
 * URLSearchParams turns percent-encoding that is not UTF-8 into U+FFFD without a word, so a
 * scorer name or a search text would be stored altered: such a query is refused instead.
 */
function checkQueryEncoding(url: URL): void {
  if (!url.search.includes('%')) return;
  for (const part of url.search.slice(1).split('&')) {
    // Only runs of well-formed %XX escapes: a lone "%" is taken literally, as URLSearchParams does.
    try {
      for (const run of part.match(/(?:%[0-9a-fA-F]{2})+/g) ?? []) decodeURIComponent(run);
    } catch {
      const name = part.split('=')[0]!.slice(0, 64);
      throw new HttpError(
        400,
        'BAD_REQUEST',
        `the query parameter "${name}" is not valid percent-encoded UTF-8; nothing was done`,
        { parameter: name },
      );
    }
  }
}

/** What a web page may send cross-site without a CORS preflight (the "simple" content types). */
const SIMPLE_CONTENT_TYPES = new Set([
  '',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
]);

/**
 * CSRF on the /v1 routes: a write must carry a content type a page cannot send cross-site without
 * a preflight (application/x-ndjson, application/json, ...), or the custom header X-QDC-Client.
 */
function checkNotSimpleWrite(req: IncomingMessage): void {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return;
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!SIMPLE_CONTENT_TYPES.has(mediaType) || req.headers['x-qdc-client'] !== undefined) return;
  throw new HttpError(
    415,
    'CSRF_REJECTED',
    `a ${req.method} with content type "${mediaType || '(none)'}" could come from any web page; send the body as application/x-ndjson or application/json (or add the header X-QDC-Client)`,
  );
}

function unauthenticated(presentedKey: boolean): HttpError {
  return new HttpError(
    401,
    'UNAUTHENTICATED',
    presentedKey
      ? 'the API key is invalid or revoked'
      : 'this server requires an API key: send the header "Authorization: Bearer <key>"',
  );
}

/** A client's own x-request-id when it is a plain token of at most 128 characters, else a new one. */
function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.:/+=-]{1,128}$/.test(given) ? given : randomUUID();
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}
