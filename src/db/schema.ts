/**
 * The catalog's tables, the single source of truth for migrations (`npm run db:generate`).
 * Later domains (metrics, embeddings, jobs) add their own tables here without reshaping these.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  serial,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

/** STAGING exists only inside the writing transaction (a placeholder row); readers only ever see READY. */
export const versionStatus = pgEnum('version_status', ['READY', 'STAGING']);
export const effect = pgEnum('qdc_effect', ['UP', 'DOWN', 'NONE', 'DEPENDS']);
export const componentStage = pgEnum('component_stage', [
  'SEED_DATA',
  'GENERATOR',
  'SAMPLING',
  'CONDITIONING',
  'PROMPTING',
  'EVOLUTION',
  'AUGMENTATION',
  'FILTERING',
  'LABELING',
  'SEARCH',
]);
export const inputRole = pgEnum('input_role', [
  'SEED',
  'SOURCE',
  'REFERENCE',
  'FILTERED_FROM',
  'DEDUPLICATED_FROM',
  'MERGED_FROM',
  'OTHER',
]);
export const apiKeyRole = pgEnum('api_key_role', ['reader', 'writer', 'admin']);

export const datasets = pgTable(
  'datasets',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    task: text('task'),
    domain: text('domain'),
    license: text('license'),
    sourceUri: text('source_uri'),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    card: jsonb('card').$type<Record<string, unknown>>(),
    /** Next version number to hand out; bumped atomically when a version is created. */
    nextVersion: integer('next_version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('datasets_slug_idx').on(t.slug),
    index('datasets_created_at_id_idx').on(t.createdAt, t.id),
    index('datasets_tags_idx').using('gin', t.tags),
  ],
);
export type DatasetRow = typeof datasets.$inferSelect;
export type NewDatasetRow = typeof datasets.$inferInsert;

export const datasetVersions = pgTable(
  'dataset_versions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    datasetId: bigint('dataset_id', { mode: 'number' })
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    /** sha256 over the ordered sample hashes (see catalog/contentHash.ts). */
    contentHash: text('content_hash').notNull(),
    sampleCount: integer('sample_count').notNull(),
    /** UTF-8 bytes of the canonical sample JSON, summed. */
    byteSize: bigint('byte_size', { mode: 'number' }).notNull(),
    status: versionStatus('status').notNull().default('READY'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('dataset_versions_dataset_version_idx').on(t.datasetId, t.version),
    uniqueIndex('dataset_versions_dataset_hash_idx').on(t.datasetId, t.contentHash),
  ],
);
export type VersionRow = typeof datasetVersions.$inferSelect;

export const samples = pgTable(
  'samples',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    versionId: bigint('version_id', { mode: 'number' })
      .notNull()
      .references(() => datasetVersions.id, { onDelete: 'cascade' }),
    ordinal: integer('ordinal').notNull(),
    prompt: text('prompt'),
    response: text('response'),
    reference: text('reference'),
    messages: jsonb('messages').$type<ChatMessage[]>(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>(),
    contentHash: text('content_hash').notNull(),
  },
  (t) => [
    uniqueIndex('samples_version_ordinal_idx').on(t.versionId, t.ordinal),
    index('samples_version_hash_idx').on(t.versionId, t.contentHash),
  ],
);
export type SampleRow = typeof samples.$inferSelect;
export interface ChatMessage {
  role: string;
  content: string;
  [extra: string]: unknown;
}

export const components = pgTable(
  'components',
  {
    id: serial('id').primaryKey(),
    key: text('key').notNull(),
    stage: componentStage('stage').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    qualityEffect: effect('quality_effect').notNull(),
    diversityEffect: effect('diversity_effect').notNull(),
    complexityEffect: effect('complexity_effect').notNull(),
    rationale: text('rationale').notNull().default(''),
    citation: text('citation'),
    /** Seeded by the catalog from the QDC survey taxonomy (users may still edit it). */
    builtin: boolean('builtin').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('components_key_idx').on(t.key), index('components_stage_idx').on(t.stage)],
);
export type ComponentRow = typeof components.$inferSelect;

export const algorithms = pgTable(
  'algorithms',
  {
    id: serial('id').primaryKey(),
    key: text('key').notNull(),
    name: text('name').notNull(),
    paperTitle: text('paper_title'),
    arxivId: text('arxiv_id'),
    year: smallint('year'),
    description: text('description').notNull().default(''),
    builtin: boolean('builtin').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('algorithms_key_idx').on(t.key)],
);
export type AlgorithmRow = typeof algorithms.$inferSelect;

export const algorithmComponents = pgTable(
  'algorithm_components',
  {
    algorithmId: integer('algorithm_id')
      .notNull()
      .references(() => algorithms.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    componentId: integer('component_id')
      .notNull()
      .references(() => components.id, { onDelete: 'restrict' }),
    config: jsonb('config').$type<Record<string, unknown>>(),
  },
  (t) => [
    primaryKey({ columns: [t.algorithmId, t.position] }),
    index('algorithm_components_component_idx').on(t.componentId),
  ],
);
export type AlgorithmComponentRow = typeof algorithmComponents.$inferSelect;

export const generationRuns = pgTable(
  'generation_runs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    outputVersionId: bigint('output_version_id', { mode: 'number' })
      .notNull()
      .references(() => datasetVersions.id, { onDelete: 'cascade' }),
    algorithmId: integer('algorithm_id').references(() => algorithms.id, { onDelete: 'set null' }),
    generatorModel: text('generator_model'),
    params: jsonb('params').$type<Record<string, unknown>>().notNull().default({}),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    notes: text('notes'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('generation_runs_output_version_idx').on(t.outputVersionId)],
);
export type GenerationRunRow = typeof generationRuns.$inferSelect;

export const runInputs = pgTable(
  'run_inputs',
  {
    runId: bigint('run_id', { mode: 'number' })
      .notNull()
      .references(() => generationRuns.id, { onDelete: 'cascade' }),
    inputVersionId: bigint('input_version_id', { mode: 'number' })
      .notNull()
      .references(() => datasetVersions.id, { onDelete: 'restrict' }),
    role: inputRole('role').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.inputVersionId, t.role] }),
    index('run_inputs_input_version_idx').on(t.inputVersionId),
  ],
);
export type RunInputRow = typeof runInputs.$inferSelect;

export const apiKeys = pgTable(
  'api_keys',
  {
    id: serial('id').primaryKey(),
    /** Public part of the key (`qdc_<keyId>_<secret>`), used to find the row. */
    keyId: text('key_id').notNull(),
    salt: text('salt').notNull(),
    /** scrypt(secret, salt), hex. The secret itself is never stored. */
    hash: text('hash').notNull(),
    role: apiKeyRole('role').notNull(),
    name: text('name'),
    createdAt: createdAt(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('api_keys_key_id_idx').on(t.keyId),
    check('api_keys_key_id_format', sql`${t.keyId} ~ '^[a-z0-9]{8,32}$'`),
  ],
);
export type ApiKeyRow = typeof apiKeys.$inferSelect;
