import type { Database, Db } from '../db/connect.js';
import type { Role } from '../auth/apiKeys.js';
import type { EmbedderRegistry } from '../embeddings/registry.js';
import type { Logger } from '../logger.js';
import type { JobQuotas } from './jobQuota.js';
import { createLoaders, type Loaders } from './loaders.js';

export interface ServerFacts {
  version: string;
  backend: string;
  auth: 'required' | 'off';
}

/** Server-wide limits that resolvers enforce (from the configuration). */
export interface RequestLimits {
  tintMaxSamples: number;
}

/** Per-request context: the database, a fresh set of loaders and the caller's role. */
export interface Context {
  db: Db;
  /** The whole handle, for work that needs its own transaction (writing versions). */
  database: Database;
  loaders: Loaders;
  /** Role of the presented API key; null when no valid key was presented. */
  role: Role | null;
  /** Whether a key was presented at all (to tell "missing" from "invalid"). */
  presentedKey: boolean;
  /** Id of the presented valid key (its `qdc_<id>_` part); null without one. */
  keyId: string | null;
  /** The presented valid key's row (api_keys.id), which jobs it queues record; null without one. */
  keyRowId: number | null;
  /** Per-key job limits (QDC_MAX_JOBS_PER_KEY); null when auth is off. */
  jobQuotas: JobQuotas | null;
  facts: ServerFacts;
  limits: RequestLimits;
  /** Embedders for query texts and embedding requests. */
  embedders: EmbedderRegistry;
  /** The HTTP request's id (its x-request-id header), which every line of `logger` carries. */
  requestId: string;
  logger: Logger;
}

export function createContext(
  database: Database,
  facts: ServerFacts,
  caller: {
    role: Role | null;
    presentedKey: boolean;
    keyId: string | null;
    keyRowId: number | null;
    jobQuotas: JobQuotas | null;
  },
  limits: RequestLimits,
  embedders: EmbedderRegistry,
  request: Pick<Context, 'requestId' | 'logger'>,
): Context {
  return {
    db: database.db,
    database,
    loaders: createLoaders(database.db),
    role: caller.role,
    presentedKey: caller.presentedKey,
    keyId: caller.keyId,
    keyRowId: caller.keyRowId,
    jobQuotas: caller.jobQuotas,
    facts,
    limits,
    embedders,
    requestId: request.requestId,
    logger: request.logger,
  };
}

/**
 * Ends a request's use of its loaders: `context.loaders` is replaced by one that refuses every
 * use, so the loaders and every row they cached become unreachable from the context at once.
 * Only for when nothing of the request will read through the loaders again.
 */
export function releaseLoaders(context: Context): void {
  context.loaders = releasedLoaders;
}

// Symbol keys (util.inspect and the like, when a context is logged) read as absent.
const releasedLoaders = new Proxy({} as Loaders, {
  get(_, name) {
    if (typeof name === 'symbol') return undefined;
    throw new Error(`loaders.${name} was used after its request had been executed`);
  },
});
