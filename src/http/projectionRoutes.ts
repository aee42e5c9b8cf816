/**
 * Binary reads of embedding maps (Projection in schema/projections.graphql), for clients that
 * draw 10^5..10^6 points: no JSON per point, only packed little-endian arrays.
 *
 *   GET /v1/projections/{id}/coordinates   n Float32 (x, y) pairs, ordinal order (8 bytes a point)
 *   GET /v1/projections/{id}/ordinals      n Uint32 sample ordinals, ascending, aligned with them
 *   GET /v1/projections/{id}/values?metric=KEY          n Float32 per-sample scores (NaN: none)
 *   GET /v1/projections/{id}/values?overlap=self|<id>   n Float32, 1 where the sample has a match
 *
 * `{id}` is the Projection's global id. Each answer is application/octet-stream with the header
 * `x-qdc-points: n`; a map that is not COMPLETE is 400 BAD_USER_INPUT, an unknown id 404.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Database } from '../db/connect.js';
import { projectionArrays, projectionBytes, requireProjection } from '../embeddings/projections.js';
import { BadInputError } from '../errors.js';
import { idOf } from '../globalId.js';
import { metricValuesAt, overlapValuesAt } from '../metricRuns/projectionValues.js';
import { decodePathPart } from './bulkRoutes.js';
import { HttpError } from './readBody.js';

export const PROJECTION_PATH = /^\/v1\/projections\/([^/]+)\/(coordinates|ordinals|values)$/;

export async function handleProjection(
  req: IncomingMessage,
  res: ServerResponse,
  match: RegExpExecArray,
  url: URL,
  database: Database,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET');
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', `use GET for ${url.pathname}`);
  }
  const id = idOf('Projection', decodePathPart(match[1]!, 'projection id'), 'id');
  const projection = await requireProjection(database.db, id);
  const what = match[2]!;
  let parts: Uint8Array[];
  if (what === 'values') {
    const { ordinals } = await projectionArrays(database.db, projection);
    const metric = url.searchParams.get('metric');
    const overlap = url.searchParams.get('overlap');
    if ((metric === null) === (overlap === null)) {
      throw new BadInputError('give exactly one of the query parameters metric and overlap', {
        argument: 'metric',
      });
    }
    const values =
      metric !== null
        ? await metricValuesAt(database.db, projection.versionId, metric, ordinals)
        : await overlapValuesAt(
            database.db,
            projection.versionId,
            overlap === 'self' ? projection.versionId : idOf('DatasetVersion', overlap!, 'overlap'),
            projection.spaceId,
            ordinals,
          );
    parts = [new Uint8Array(values.buffer, values.byteOffset, values.byteLength)];
  } else {
    parts = await projectionBytes(database.db, projection, what === 'coordinates' ? 'xy' : 'ordinals');
  }
  const length = parts.reduce((sum, p) => sum + p.byteLength, 0);
  res.statusCode = 200;
  res.setHeader('content-type', 'application/octet-stream');
  res.setHeader('content-length', String(length));
  res.setHeader('x-qdc-points', String(projection.n ?? 0));
  res.setHeader('cache-control', 'no-cache');
  if (req.method === 'HEAD') return void res.end();
  for (const part of parts) res.write(part);
  res.end();
}
