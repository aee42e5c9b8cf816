/**
 * One GraphQL document, two transports: the commands that read or write the catalog's graph
 * (`qdc runs|lineage|compare|search|overlap`) send the same operation either to a running server
 * (`--server`) or to the schema executed in this process over the opened database. The JSON they
 * print is the operation's result in both modes, so the two cannot drift apart.
 */
import { randomUUID } from 'node:crypto';
import { openCatalog, VERSION } from '../app.js';
import { loadConfig, type Config } from '../config.js';
import type { Database } from '../db/connect.js';
import { EmbedderRegistry } from '../embeddings/registry.js';
import { createApolloServer } from '../graphql/apollo.js';
import { createContext } from '../graphql/context.js';
import { createLogger, silentLogger } from '../logger.js';
import { DEFAULT_MAX_SAMPLES } from '../tint/spec.js';
import type { OptionSpec } from './command.js';
import { connectOptions, fileDatabaseOptions } from './commands/databaseOptions.js';
import {
  API_KEY_ENV_DOC,
  CommandFailure,
  remoteFrom,
  remoteGraphQL,
  remoteOptions,
  type Remote,
} from './remote.js';
import { looksLikeGlobalId } from './versionRef.js';

const { 'no-progress': _noProgress, ...serverOptions } = remoteOptions;

/**
 * The options of a command that works either through `--server URL [--api-key KEY]` or on the
 * database (`--data-dir`, `--database-url`): what `openCatalogClient` reads.
 */
export const CLIENT_OPTIONS: Record<string, OptionSpec> = { ...serverOptions, ...fileDatabaseOptions };

/** The epilog lines for the environment those options fall back to. */
export const CLIENT_ENV_HELP: readonly string[] = [
  'Environment:',
  '  DATABASE_URL              PostgreSQL URL; unset: the embedded PGlite database.',
  '  QDC_DATA_DIR              PGlite data directory (default ./.qdc/pglite).',
  API_KEY_ENV_DOC,
];

export interface CatalogClient {
  /** Runs a GraphQL operation; a GraphQL error becomes a CommandFailure `message (CODE)`. */
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** The --server target, or null in direct mode. */
  remote: Remote | null;
  /** Direct mode: the opened database, config and embedders (to run a queued job in this process). */
  local: { database: Database; config: Config; embedders: EmbedderRegistry } | null;
  close(): Promise<void>;
}

/** A client for `--server URL`, or one over the database the options (or the environment) name. */
export async function openCatalogClient(values: Record<string, unknown>): Promise<CatalogClient> {
  const remote = remoteFrom(values);
  if (remote) {
    return {
      remote,
      local: null,
      request: (query, variables = {}) => remoteGraphQL(remote, query, variables),
      close: async () => {},
    };
  }
  const config = loadConfig();
  const database = await openCatalog(connectOptions(config, values));
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  const embedders = new EmbedderRegistry(config.embedding, logger);
  // graphql-js rather than graphql-jit: one operation per process, nothing to amortise a compile on.
  const apollo = createApolloServer(silentLogger, 'graphql-js');
  await apollo.start();
  const facts = { version: VERSION, backend: database.backend, auth: 'off' as const };
  return {
    remote: null,
    local: { database, config, embedders },
    async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      const context = createContext(
        database,
        facts,
        { role: null, presentedKey: false, keyId: null, keyRowId: null, jobQuotas: null },
        { tintMaxSamples: DEFAULT_MAX_SAMPLES },
        embedders,
        { requestId: randomUUID(), logger },
      );
      const response = await apollo.executeOperation<Record<string, unknown>>(
        { query, variables },
        { contextValue: context },
      );
      if (response.body.kind !== 'single') throw new CommandFailure('unexpected incremental response');
      const { data, errors } = response.body.singleResult;
      const first = errors?.[0];
      if (first) {
        const code = first.extensions?.code;
        throw new CommandFailure(`${first.message}${typeof code === 'string' ? ` (${code})` : ''}`);
      }
      return data as T;
    },
    async close() {
      await apollo.stop();
      await embedders.close();
      await database.close();
    },
  };
}

/** Opens a client, runs `work` with it and closes it again. */
export async function withCatalogClient<T>(
  values: Record<string, unknown>,
  work: (client: CatalogClient) => Promise<T>,
): Promise<T> {
  const client = await openCatalogClient(values);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

/** A version as the new commands print it: its id, `slug@N` and size. */
export interface VersionSummary {
  id: string;
  ref: string;
  version: number;
  sampleCount: number;
  contentHash: string;
  dataset: { slug: string };
}

/** `slug@N` of a version as the API returns it. */
export function refOf(v: { version: number; dataset: { slug: string } }): string {
  return `${v.dataset.slug}@${v.version}`;
}

export function summarize<T extends { version: number; dataset: { slug: string } }>(
  v: T,
): T & { ref: string } {
  return { ...v, ref: refOf(v) };
}

/** The selection that yields a VersionSummary (without `ref`). */
export const VERSION_FIELDS_SELECTION = 'id version sampleCount contentHash dataset { slug }';

const REF_PATTERN = /^([^@\s]+)@([1-9][0-9]*)$/;

/** Resolves a global id, `slug@N` or a bare slug (its latest version) through the client. */
export async function resolveVersion(client: CatalogClient, ref: string): Promise<VersionSummary> {
  const match = REF_PATTERN.exec(ref);
  if (looksLikeGlobalId(ref)) {
    const data = await client.request<{ version: Omit<VersionSummary, 'ref'> | null }>(
      `query ($id: ID!) { version(id: $id) { ${VERSION_FIELDS_SELECTION} } }`,
      { id: ref },
    );
    if (!data.version) throw new CommandFailure(`no version with id ${ref}`);
    return summarize(data.version);
  }
  if (!match && /[@\s]/.test(ref)) {
    throw new CommandFailure(
      `"${ref}" is not a version reference: use <dataset-slug>@<number> or a version id`,
    );
  }
  const slug = match ? match[1]! : ref;
  if (match) {
    const data = await client.request<{ dataset: { version: Omit<VersionSummary, 'ref'> | null } | null }>(
      `query ($slug: String!, $number: Int!) { dataset(slug: $slug) { version(number: $number) { ${VERSION_FIELDS_SELECTION} } } }`,
      { slug, number: Number(match[2]) },
    );
    if (!data.dataset) throw new CommandFailure(`no dataset with slug "${slug}"`);
    if (!data.dataset.version) throw new CommandFailure(`dataset "${slug}" has no version ${match[2]}`);
    return summarize(data.dataset.version);
  }
  const data = await client.request<{
    dataset: { latestVersion: Omit<VersionSummary, 'ref'> | null } | null;
  }>(`query ($slug: String!) { dataset(slug: $slug) { latestVersion { ${VERSION_FIELDS_SELECTION} } } }`, {
    slug,
  });
  if (!data.dataset) throw new CommandFailure(`no dataset with slug "${slug}"`);
  if (!data.dataset.latestVersion) throw new CommandFailure(`dataset "${slug}" has no versions yet`);
  return summarize(data.dataset.latestVersion);
}

/** The global id of a dataset by slug. */
export async function resolveDatasetId(client: CatalogClient, slug: string): Promise<string> {
  const data = await client.request<{ dataset: { id: string } | null }>(
    'query ($slug: String!) { dataset(slug: $slug) { id } }',
    { slug },
  );
  if (!data.dataset) throw new CommandFailure(`no dataset with slug "${slug}"`);
  return data.dataset.id;
}
