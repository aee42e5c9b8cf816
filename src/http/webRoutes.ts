/**
 * The web explorer's static files (built by `npm run build:web` into web/dist): the app at `/` and
 * its client-side routes, and the bundled GraphiQL IDE at `GET /graphql` for browser navigations.
 * Everything the page loads comes from this origin; the Content-Security-Policy says so too.
 */
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { embedFirstView, type AnsweredOperation } from './firstView.js';

/** Where `vite build` writes the app (web/vite.config.ts). */
export const WEB_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../web/dist');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/** Only this origin: no script, style, font, image or request may come from anywhere else. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

/**
 * The embedding map's pages (web/src/views/EmbeddingMap.tsx) also allow 'unsafe-eval': regl, under
 * regl-scatterplot, compiles its WebGL draw commands with `new Function`. Only documents opened
 * at these paths get it (the app loads them as full page loads); every other page keeps the policy
 * above.
 */
const MAP_PAGE = /^\/(map|versions\/[^/]+\/map)\/?$/;
const MAP_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
  "script-src 'self'",
  "script-src 'self' 'unsafe-eval'",
);

/** Paths the server answers itself; the app's client-side routes are everything else. */
const SERVER_PATHS = /^\/(graphql|v1|healthz)(\/|$)/;

interface CachedFile {
  body: Buffer;
  gzipped: Buffer | null;
  type: string;
}

export interface WebRoutes {
  /**
   * Answers the request when it is the app's or the IDE's; false when it is not. `firstView`
   * answers the app's first operations for this URL, to embed in the page (src/http/firstView.ts).
   */
  handle(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    firstView?: () => Promise<AnsweredOperation[]>,
  ): Promise<boolean>;
}

export function createWebRoutes(root: string = WEB_ROOT): WebRoutes {
  const cache = new Map<string, CachedFile | null>();

  async function load(relative: string): Promise<CachedFile | null> {
    if (cache.has(relative)) return cache.get(relative)!;
    const path = normalize(join(root, relative));
    let file: CachedFile | null = null;
    if (path.startsWith(root + sep)) {
      const info = await stat(path).catch(() => null);
      if (info?.isFile()) {
        const body = await readFile(path);
        const type = CONTENT_TYPES[extname(path)] ?? 'application/octet-stream';
        const compressible = /text|json|svg/.test(type) && body.length > 1024;
        file = { body, gzipped: compressible ? gzipSync(body, { level: 9 }) : null, type };
      }
    }
    // Hashed assets never change; pages are read again each time, so a rebuild shows at once.
    if (file && relative.startsWith('assets/')) cache.set(relative, file);
    return file;
  }

  function send(
    req: IncomingMessage,
    res: ServerResponse,
    file: CachedFile,
    immutable: boolean,
    policy = CONTENT_SECURITY_POLICY,
  ) {
    res.statusCode = 200;
    res.setHeader('content-type', file.type);
    res.setHeader('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    res.setHeader('x-content-type-options', 'nosniff');
    if (file.type.startsWith('text/html')) {
      res.setHeader('content-security-policy', policy);
      res.setHeader('referrer-policy', 'no-referrer');
    }
    res.setHeader('vary', 'accept-encoding');
    const gzip = file.gzipped && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? file.gzipped! : file.body;
    if (gzip) res.setHeader('content-encoding', 'gzip');
    res.setHeader('content-length', body.length);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  async function sendPage(
    req: IncomingMessage,
    res: ServerResponse,
    name: string,
    firstView?: () => Promise<AnsweredOperation[]>,
    policy = CONTENT_SECURITY_POLICY,
  ) {
    const page = await load(name);
    const answered = page && firstView ? await firstView() : [];
    if (page && answered.length > 0) {
      const body = Buffer.from(embedFirstView(page.body.toString('utf8'), answered));
      return send(req, res, { body, gzipped: gzipSync(body, { level: 6 }), type: page.type }, false, policy);
    }
    if (page) return send(req, res, page, false, policy);
    res.statusCode = 503;
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
    res.end(
      '<!doctype html><title>qdc: web explorer not built</title>' +
        '<p>The web explorer has not been built. Run <code>npm run build:web</code> ' +
        '(<code>npm start</code> does it) and reload. The GraphQL API is at <code>POST /graphql</code>.</p>',
    );
  }

  return {
    async handle(req, res, url, firstView) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      const accept = String(req.headers.accept ?? '');
      const wantsHtml = accept.includes('text/html');
      if (url.pathname === '/graphql') {
        // A browser navigating to the endpoint gets the IDE; a GET carrying an operation is the API's.
        if (!wantsHtml || url.searchParams.has('query')) return false;
        await sendPage(req, res, 'graphiql.html');
        return true;
      }
      if (SERVER_PATHS.test(url.pathname)) return false;
      if (url.pathname.startsWith('/assets/') || url.pathname === '/favicon.svg') {
        const file = await load(safeDecode(url.pathname.slice(1)));
        if (!file) return false;
        send(req, res, file, url.pathname.startsWith('/assets/'));
        return true;
      }
      if (url.pathname === '/' || wantsHtml) {
        const policy = MAP_PAGE.test(url.pathname) ? MAP_CONTENT_SECURITY_POLICY : CONTENT_SECURITY_POLICY;
        await sendPage(
          req,
          res,
          'index.html',
          wantsHtml && req.method === 'GET' ? firstView : undefined,
          policy,
        );
        return true;
      }
      return false;
    },
  };
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
