/**
 * Every /v1 route and the role it needs (issue 21 item 9): the server dispatches /v1 requests
 * through this table only, checking the role before the route's handler runs, so a route cannot
 * exist without a declared role; test/auth.roles.test.ts checks each entry against the running
 * server. `null`: public (no key needed even with auth required).
 */
import type { Role } from '../auth/apiKeys.js';
import { QDC_FACET_SCHEMA_PATH } from '../interop/openlineage.js';
import { EXPORT_PATH, INGEST_PATH } from './bulkRoutes.js';
import { SCORES_PATH } from './scoresRoute.js';
import { PROJECTION_PATH } from './projectionRoutes.js';
import { BACKUP_PATH } from './backupRoute.js';

export type V1RouteName =
  | 'ingest'
  | 'export'
  | 'scores'
  | 'croissant'
  | 'openlineage'
  | 'lineage'
  | 'facetSchema'
  | 'projection'
  | 'backup';

export interface V1Route {
  name: V1RouteName;
  /** The methods it answers (others: 405 from the handler). */
  methods: readonly string[];
  path: RegExp;
  role: Role | null;
  /** A concrete path of the route, for tests and docs. */
  example: string;
}

export const CROISSANT_PATH = /^\/v1\/versions\/([^/]+)\/croissant\.json$/;
export const OPENLINEAGE_PATH = /^\/v1\/versions\/([^/]+)\/openlineage$/;
export const LINEAGE_PATH = /^\/v1\/lineage$/;

export const V1_ROUTES: readonly V1Route[] = [
  {
    name: 'ingest',
    methods: ['POST'],
    path: INGEST_PATH,
    role: 'writer',
    example: '/v1/datasets/d/versions',
  },
  {
    name: 'export',
    methods: ['GET', 'HEAD'],
    path: EXPORT_PATH,
    role: 'reader',
    example: '/v1/versions/v/samples.jsonl',
  },
  { name: 'scores', methods: ['POST'], path: SCORES_PATH, role: 'writer', example: '/v1/versions/v/scores' },
  {
    name: 'croissant',
    methods: ['GET', 'HEAD'],
    path: CROISSANT_PATH,
    role: 'reader',
    example: '/v1/versions/v/croissant.json',
  },
  {
    name: 'openlineage',
    methods: ['GET', 'HEAD'],
    path: OPENLINEAGE_PATH,
    role: 'reader',
    example: '/v1/versions/v/openlineage',
  },
  { name: 'lineage', methods: ['POST'], path: LINEAGE_PATH, role: 'writer', example: '/v1/lineage' },
  {
    name: 'projection',
    methods: ['GET', 'HEAD'],
    path: PROJECTION_PATH,
    role: 'reader',
    example: '/v1/projections/p/coordinates',
  },
  { name: 'backup', methods: ['GET'], path: BACKUP_PATH, role: 'admin', example: '/v1/backup' },
  {
    name: 'facetSchema',
    methods: ['GET', 'HEAD'],
    path: new RegExp(`^${QDC_FACET_SCHEMA_PATH.replace(/[.]/g, '\\.')}$`),
    role: null,
    example: QDC_FACET_SCHEMA_PATH,
  },
];

/** The route a /v1 path belongs to, or undefined (404). */
export function findV1Route(pathname: string): V1Route | undefined {
  return V1_ROUTES.find((route) => route.path.test(pathname));
}
