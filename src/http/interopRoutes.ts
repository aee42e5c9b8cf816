/**
 * Interchange routes:
 *   GET  /v1/versions/{id}/croissant.json  the version as a Croissant 1.1 JSON-LD description
 *   GET  /v1/versions/{id}/openlineage     its generating run as an OpenLineage RunEvent
 *   POST /v1/lineage                       records OpenLineage RunEvents as generation runs
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Role } from '../auth/apiKeys.js';
import type { Database } from '../db/connect.js';
import { idOf } from '../globalId.js';
import { buildCroissant } from '../interop/croissant.js';
import {
  acceptRunEvents,
  buildRunEvent,
  QDC_FACET_SCHEMA,
  QDC_FACET_SCHEMA_PATH,
} from '../interop/openlineage.js';
import { decodePathPart } from './bulkRoutes.js';
import { HttpError, readTextBody } from './readBody.js';

const CROISSANT_PATH = /^\/v1\/versions\/([^/]+)\/croissant\.json$/;
const OPENLINEAGE_PATH = /^\/v1\/versions\/([^/]+)\/openlineage$/;

export interface InteropRouteOptions {
  database: Database;
  maxBodyBytes: number;
  /** Longest pause in a request body before it is refused (408). */
  bodyIdleMs: number;
  /** qdc-catalog's version (OpenLineage `producer`). */
  version: string;
  requireRole(req: IncomingMessage, role: Role): Promise<void>;
}

/** The origin links in documents point at: the Host the client used (the server's own address otherwise). */
export function requestOrigin(req: IncomingMessage): string {
  const host = req.headers.host;
  return host && /^[\w.:[\]-]+$/.test(host) ? `http://${host}` : 'http://localhost';
}

/** Handles the request if it is an interop route; false when it is not one. */
export async function handleInteropRoute(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  options: InteropRouteOptions,
): Promise<boolean> {
  const croissant = CROISSANT_PATH.exec(url.pathname);
  if (croissant) {
    await options.requireRole(req, 'reader');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      throw new HttpError(405, 'BAD_REQUEST', 'use GET to read a Croissant description');
    const versionId = idOf('DatasetVersion', decodePathPart(croissant[1]!, 'version id'), 'id');
    const doc = await buildCroissant(options.database.db, versionId, { baseUrl: requestOrigin(req) });
    sendJson(res, 200, doc, 'application/ld+json; charset=utf-8');
    return true;
  }
  const openlineage = OPENLINEAGE_PATH.exec(url.pathname);
  if (openlineage) {
    await options.requireRole(req, 'reader');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      throw new HttpError(405, 'BAD_REQUEST', 'use GET to read the OpenLineage RunEvent');
    const versionId = idOf('DatasetVersion', decodePathPart(openlineage[1]!, 'version id'), 'id');
    const event = await buildRunEvent(options.database.db, versionId, {
      origin: requestOrigin(req),
      catalogVersion: options.version,
    });
    sendJson(res, 200, event);
    return true;
  }
  if (url.pathname === '/v1/lineage') {
    if (req.method !== 'POST')
      throw new HttpError(405, 'BAD_REQUEST', 'use POST to send OpenLineage RunEvents');
    await options.requireRole(req, 'writer');
    const text = await readTextBody(req, options.maxBodyBytes, { idleMs: options.bodyIdleMs });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new HttpError(400, 'BAD_REQUEST', `request body is not valid JSON: ${(error as Error).message}`);
    }
    const events = await acceptRunEvents(options.database.db, body);
    sendJson(res, 200, { events });
    return true;
  }
  if (url.pathname === QDC_FACET_SCHEMA_PATH && (req.method === 'GET' || req.method === 'HEAD')) {
    sendJson(res, 200, QDC_FACET_SCHEMA, 'application/schema+json; charset=utf-8');
    return true;
  }
  return false;
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
