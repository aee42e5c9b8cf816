/**
 * The web explorer's static files (built by `npm run build:web` into web/dist): the app at `/` and
 * its client-side routes, and the bundled GraphiQL IDE at `GET /graphql` for browser navigations.
 * Everything the page loads comes from this origin; the Content-Security-Policy says so too.
 */
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGzip, gzipSync } from 'node:zlib';
import {
  answersElement,
  firstViewOperations,
  renderRows,
  ROOT_ELEMENT,
  SAMPLE_ROWS_QUERY,
  type AnsweredOperation,
  type Operation,
} from './firstView.js';

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

/** The source module of the one view whose first operations are answered in its page. */
const SAMPLES_VIEW = 'src/views/Samples.tsx';

interface FirstView {
  /** The operations to answer (firstViewOperations) and their answers, one promise each. */
  operations: Operation[];
  answer: () => Promise<AnsweredOperation | null>[];
  /** The view's source module (a key of Vite's manifest), whose chunks the page preloads. */
  view: string;
}

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
    firstView?: () => Promise<AnsweredOperation | null>[],
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

  /**
   * The Vite manifest's chunks for one source module: its own file and the files it imports
   * statically, in load order (web/vite.config.ts writes the manifest; it is not served).
   */
  async function chunksOf(source: string): Promise<string[]> {
    const manifest = await load('.vite/manifest.json');
    if (!manifest) return [];
    let entries: Record<string, { file: string; isEntry?: boolean; imports?: string[] }>;
    try {
      entries = JSON.parse(manifest.body.toString('utf8')) as typeof entries;
    } catch {
      return [];
    }
    const files: string[] = [];
    const seen = new Set<string>();
    const visit = (key: string) => {
      const entry = entries[key];
      // The page's entry (the app) is in the page already.
      if (!entry || entry.isEntry || seen.has(key)) return;
      seen.add(key);
      entry.imports?.forEach(visit);
      files.push(`/${entry.file}`);
    };
    visit(source);
    return files;
  }

  /**
   * The head with its stylesheets (the app's, a few KB) inlined: a linked stylesheet holds back
   * the first paint of the streamed rows until it has loaded, a request a cold page would make
   * while the rows are already there. The policy's style-src allows inline styles.
   */
  async function inlineStylesheets(head: string): Promise<string> {
    let out = head;
    for (const [link, href] of head.matchAll(
      /<link rel="stylesheet"(?: crossorigin)? href="\/(assets\/[^"]+\.css)">/g,
    )) {
      const css = (await load(href!))?.body.toString('utf8');
      if (css === undefined || /<\/style/i.test(css)) continue;
      out = out.replace(link, `<style>${css}</style>`);
    }
    return out;
  }

  /**
   * The streamed page's head: the stylesheets inlined, the view's chunks preloaded. Kept for the
   * last page text seen (a rebuild changes its hashed names), so that a navigation's head waits
   * for no file read but the page's own.
   */
  let lastHead: { page: string; view: string; head: Promise<string> } | null = null;
  function headOf(page: string, view: string): Promise<string> {
    if (lastHead?.page === page && lastHead.view === view) return lastHead.head;
    const head = (async () => {
      const links = (await chunksOf(view))
        .filter((href) => !page.includes(`"${href}"`))
        .map((href) => `<link rel="modulepreload" crossorigin href="${href}">`)
        .join('');
      return (await inlineStylesheets(page)).replace('</head>', `${links}</head>`);
    })();
    lastHead = { page, view, head };
    head.catch(() => {
      if (lastHead?.head === head) lastHead = null; // a failed read is tried again next time
    });
    return head;
  }

  /**
   * A page whose first view the server answers (src/http/firstView.ts), streamed: everything up
   * to the app's root element goes out at once (the stylesheet inlined), so the browser fetches
   * the scripts (the view's own chunks too, as modulepreloads) while the operations run; the drawn
   * rows follow as soon as their operation is answered, and the answers' JSON once all are. The
   * module scripts run only once the document has been parsed, so the app always finds the JSON.
   */
  async function streamPage(
    req: IncomingMessage,
    res: ServerResponse,
    page: CachedFile,
    firstView: FirstView,
    policy: string,
  ) {
    const html = page.body.toString('utf8');
    const root = html.indexOf(ROOT_ELEMENT);
    const head = await headOf(html.slice(0, root), firstView.view);
    res.statusCode = 200;
    res.setHeader('content-type', page.type);
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('content-security-policy', policy);
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('vary', 'accept-encoding');
    let write = (text: string) => void res.write(text);
    let end = (text: string) => void res.end(text);
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      res.setHeader('content-encoding', 'gzip');
      const zip = createGzip({ level: 6 });
      zip.pipe(res);
      write = (text) => {
        zip.write(text);
        zip.flush();
      };
      end = (text) => void zip.end(text);
    }
    write(head);
    // Only now: starting the operations runs their parsing and validation at once, which the
    // head need not wait for.
    const answers = firstView.answer();
    const rowsAt = firstView.operations.findIndex((op) => op.query === SAMPLE_ROWS_QUERY);
    let answered: (AnsweredOperation | null)[] = [];
    try {
      write(`<div id="root">${renderRows(rowsAt >= 0 ? await answers[rowsAt]! : null)}`);
      answered = await Promise.all(answers);
    } finally {
      const rest = `</div>${html.slice(root + ROOT_ELEMENT.length)}`;
      end(rest.replace('</body>', `${answersElement(answered)}</body>`));
    }
  }

  async function sendPage(
    req: IncomingMessage,
    res: ServerResponse,
    name: string,
    firstView?: FirstView,
    policy = CONTENT_SECURITY_POLICY,
  ) {
    const page = await load(name);
    if (page && firstView && page.body.includes(ROOT_ELEMENT))
      return streamPage(req, res, page, firstView, policy);
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
        const operations = wantsHtml && req.method === 'GET' && firstView ? firstViewOperations(url) : [];
        await sendPage(
          req,
          res,
          'index.html',
          operations.length > 0 ? { operations, answer: firstView!, view: SAMPLES_VIEW } : undefined,
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
