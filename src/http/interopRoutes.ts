/**
 * Interchange routes:
 *   GET  /v1/versions/{id}/croissant.json  the version as a Croissant 1.1 JSON-LD description
 *   GET  /v1/versions/{id}/openlineage     its generating run as an OpenLineage RunEvent
 *   POST /v1/lineage                       records OpenLineage RunEvents as generation runs
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Database } from '../db/connect.js';
import { idOf } from '../globalId.js';
import { buildCroissant } from '../interop/croissant.js';
import { acceptRunEvents, buildRunEvent, QDC_FACET_SCHEMA } from '../interop/openlineage.js';
import { decodePathPart } from './bulkRoutes.js';
import { HttpError, readTextBody } from './readBody.js';

export interface InteropRouteOptions {
  database: Database;
  maxBodyBytes: number;
  /** Longest pause in a request body before it is refused (408). */
  bodyIdleMs: number;
  /** qdc-catalog's version (OpenLineage `producer`). */
  version: string;
}

/** The origin links in documents point at: the Host the client used (the server's own address otherwise). */
export function requestOrigin(req: IncomingMessage): string {
  const host = req.headers.host;
  return host && /^[\w.:[\]-]+$/.test(host) ? `http://${host}` : 'http://localhost';
}

/** GET /v1/versions/{id}/croissant.json (the role is checked by the server, from V1_ROUTES). */
export async function handleCroissant(
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
  options: InteropRouteOptions,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD')
    throw new HttpError(405, 'BAD_REQUEST', 'use GET to read a Croissant description');
  const versionId = idOf('DatasetVersion', decodePathPart(id, 'version id'), 'id');
  const doc = await buildCroissant(options.database.db, versionId, { baseUrl: requestOrigin(req) });
  sendJson(res, 200, doc, 'application/ld+json; charset=utf-8');
}

/** GET /v1/versions/{id}/openlineage. */
export async function handleOpenLineage(
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
  options: InteropRouteOptions,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD')
    throw new HttpError(405, 'BAD_REQUEST', 'use GET to read the OpenLineage RunEvent');
  const versionId = idOf('DatasetVersion', decodePathPart(id, 'version id'), 'id');
  const event = await buildRunEvent(options.database.db, versionId, {
    origin: requestOrigin(req),
    catalogVersion: options.version,
  });
  sendJson(res, 200, event);
}

/** POST /v1/lineage. */
export async function handleLineagePost(
  req: IncomingMessage,
  res: ServerResponse,
  options: InteropRouteOptions,
): Promise<void> {
  if (req.method !== 'POST')
    throw new HttpError(405, 'BAD_REQUEST', 'use POST to send OpenLineage RunEvents');
  const text = await readTextBody(req, options.maxBodyBytes, { idleMs: options.bodyIdleMs });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, 'BAD_REQUEST', `request body is not valid JSON: ${(error as Error).message}`);
  }
  const events = await acceptRunEvents(options.database.db, body);
  sendJson(res, 200, { events });
}

/** GET /v1/openlineage/QdcGenerationRunFacet.json (public). */
export function handleFacetSchema(req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD')
    throw new HttpError(405, 'BAD_REQUEST', 'use GET to read the facet schema');
  sendJson(res, 200, QDC_FACET_SCHEMA, 'application/schema+json; charset=utf-8');
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  type = 'application/json; charset=utf-8',
) {
  res.statusCode = status;
  res.setHeader('content-type', type);
  res.end(`${JSON.stringify(body, null, 2)}\n`);
}
