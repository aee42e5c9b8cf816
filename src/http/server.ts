/**
 * The HTTP entry point: `/graphql` (Apollo, with our own body handling so limits and malformed
 * bodies get precise JSON errors) and `/healthz`. Bulk routes join here.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap } from '@apollo/server';
import { sql } from 'drizzle-orm';
import { roleAllows, verifyApiKey, type Role } from '../auth/apiKeys.js';
import type { GraphQLExecutorKind } from '../config.js';
import type { Database } from '../db/connect.js';
import type { EmbedderRegistry } from '../embeddings/registry.js';
import { isDomainError, type ErrorCode } from '../errors.js';
import { createApolloServer } from '../graphql/apollo.js';
import { createContext, type Context, type RequestLimits, type ServerFacts } from '../graphql/context.js';
import type { Logger } from '../logger.js';
import { DEFAULT_MAX_RECORD_BYTES } from '../ingest/ingest.js';
import { DEFAULT_MAX_SAMPLES } from '../tint/spec.js';
import { EXPORT_PATH, handleExport, handleIngest, INGEST_PATH } from './bulkRoutes.js';
import { handleScores, SCORES_PATH } from './scoresRoute.js';
import { handleInteropRoute } from './interopRoutes.js';
import { HttpError, readTextBody } from './readBody.js';
import { createWebRoutes } from './webRoutes.js';

const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400,
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
};

export interface HttpServerOptions {
  database: Database;
  auth: 'required' | 'off';
  host: string;
  port: number;
  maxBodyBytes: number;
  /** Default `jit` (graphql-jit); `graphql-js` interprets operations instead. */
  graphqlExecutor?: GraphQLExecutorKind;
  /** Longest record a bulk ingest accepts (default 1 MiB). */
  maxRecordBytes?: number;
  /** Most samples one TInt generation may ask for (default 10M). */
  tintMaxSamples?: number;
  /** Embedders for queries and embedding requests (shared with the in-process worker). */
  embedders: EmbedderRegistry;
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
  const apollo = createApolloServer(logger, options.graphqlExecutor);
  await apollo.start();
  const facts: ServerFacts = { version: options.version, backend: database.backend, auth: options.auth };
  const limits: RequestLimits = { tintMaxSamples: options.tintMaxSamples ?? DEFAULT_MAX_SAMPLES };

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
    let body: unknown;
    if (req.method === 'POST') {
      const text = await readTextBody(req, options.maxBodyBytes);
      if ((headers.get('content-type') ?? '').includes('json')) {
        try {
          body = JSON.parse(text);
        } catch (error) {
          throw new HttpError(
            400,
            'BAD_REQUEST',
            `request body is not valid JSON: ${(error as Error).message}`,
          );
        }
      } else {
        body = text;
      }
    }
    const { role, presentedKey } = await authenticate(req);
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
      context: async () =>
        createContext(database, facts, role, presentedKey, limits, options.embedders, request),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  async function authenticate(req: IncomingMessage): Promise<{ role: Role | null; presentedKey: boolean }> {
    const header = req.headers.authorization;
    if (!header) return { role: null, presentedKey: false };
    if (options.auth === 'off') return { role: null, presentedKey: true };
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    return { role: match ? await verifyApiKey(database.db, match[1]!) : null, presentedKey: true };
  }

  /** Bulk routes check roles here (GraphQL checks them per operation in the Apollo plugin). */
  async function requireRole(req: IncomingMessage, needed: Role): Promise<void> {
    if (options.auth === 'off') return;
    const { role, presentedKey } = await authenticate(req);
    if (!role) {
      throw new HttpError(
        401,
        'UNAUTHENTICATED',
        presentedKey
          ? 'the API key is invalid or revoked'
          : 'this server requires an API key: send the header "Authorization: Bearer <key>"',
      );
    }
    if (!roleAllows(role, needed))
      throw new HttpError(403, 'FORBIDDEN', `this route needs the ${needed} role; the key has ${role}`);
  }

  const web = createWebRoutes();

  const bulk = { database, maxRecordBytes: options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const started = performance.now();
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    const log = logger.child({ requestId });
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (await web.handle(req, res, url)) return;
      if (url.pathname === '/graphql') return await handleGraphQL(req, res, url, { requestId, logger: log });
      const ingest = INGEST_PATH.exec(url.pathname);
      if (ingest) {
        await requireRole(req, 'writer');
        return await handleIngest(req, res, ingest[1]!, url, bulk);
      }
      const exported = EXPORT_PATH.exec(url.pathname);
      if (exported) {
        await requireRole(req, 'reader');
        return await handleExport(req, res, exported[1]!, bulk);
      }
      const scores = SCORES_PATH.exec(url.pathname);
      if (scores) {
        await requireRole(req, 'writer');
        return await handleScores(req, res, scores[1]!, url, bulk);
      }
      if (
        await handleInteropRoute(req, res, url, {
          ...bulk,
          maxBodyBytes: options.maxBodyBytes,
          version: options.version,
          requireRole,
        })
      )
        return;
      if (url.pathname === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
        await database.db.execute(sql`select 1`);
        return sendJson(res, 200, { status: 'ok', backend: database.backend, version: options.version });
      }
      sendJson(res, 404, {
        errors: [{ message: `no route ${req.method} ${url.pathname}`, extensions: { code: 'NOT_FOUND' } }],
      });
    } catch (error) {
      if (res.headersSent) {
        // A streamed response (export) broke midway: cut the connection so the client sees it.
        log.error('HTTP response failed after it started', { path: url.pathname, error: String(error) });
        res.destroy();
        return;
      }
      if (error instanceof HttpError) {
        sendJson(res, error.status, {
          errors: [{ message: error.message, extensions: { code: error.code } }],
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

  const server = createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 5000;
  // Bulk uploads of many GB take longer than Node's default 5-minute request timeout.
  server.requestTimeout = 0;
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
