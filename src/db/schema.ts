/**
 * The catalog's tables, the single source of truth for migrations (`npm run db:generate`).
 * Later domains (metrics, embeddings, jobs) add their own tables here without reshaping these.
 */
import { sql, type SQL } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  doublePrecision,
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

/**
 * STAGING marks a version still being written (see catalog/versionWriter.ts): on PostgreSQL it only
 * exists inside the writing transaction; on PGlite it is committed while its samples go in by
 * chunks. Readers only ever see READY (`readyVersion`).
 */
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
    tags: text('tags')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
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

/**
 * The condition every reader of dataset_versions adds: a version being written (STAGING) is
 * invisible until its last sample is in and it is numbered.
 */
export const readyVersion: SQL = sql`${datasetVersions.status} = 'READY'`;
/** The same for raw SQL over an alias of dataset_versions (`readyVersionAs('v')`). */
export const readyVersionAs = (alias: string): SQL => sql`${sql.identifier(alias)}.status = 'READY'`;

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

// ---------------------------------------------------------------------------------------------
// Jobs: a durable queue that workers claim with FOR UPDATE SKIP LOCKED and hold by a lease.

export const jobStatus = pgEnum('job_status', ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']);

export const jobs = pgTable(
  'jobs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    kind: text('kind').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    status: jobStatus('status').notNull().default('QUEUED'),
    /** Higher runs first. */
    priority: integer('priority').notNull().default(0),
    progressDone: bigint('progress_done', { mode: 'number' }).notNull().default(0),
    progressTotal: bigint('progress_total', { mode: 'number' }),
    /** Claims so far, counting ones whose lease ran out. */
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(3),
    /** Not claimed before this time (backoff after a failed attempt). */
    runAfter: timestamp('run_after', { withTimezone: true }).notNull().defaultNow(),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
    cancelRequested: boolean('cancel_requested').notNull().default(false),
    error: text('error'),
    result: jsonb('result').$type<Record<string, unknown>>(),
    createdAt: createdAt(),
    /** When the first attempt began. */
    startedAt: timestamp('started_at', { withTimezone: true }),
    /** When the current (or last) attempt began, and progress_done then: the base of rate and ETA. */
    attemptStartedAt: timestamp('attempt_started_at', { withTimezone: true }),
    attemptStartDone: bigint('attempt_start_done', { mode: 'number' }).notNull().default(0),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    updatedAt: updatedAt(),
    /**
     * The API key whose request queued the job (api_keys.id): it may cancel the job, as may an
     * admin. Null when queued without one (auth off, or the CLI on the database directly).
     */
    createdByApiKeyId: integer('created_by_api_key_id').references(() => apiKeys.id, {
      onDelete: 'set null',
    }),
  },
  (t) => [
    index('jobs_claimable_idx').on(t.status, t.runAfter),
    index('jobs_kind_created_idx').on(t.kind, t.createdAt),
    index('jobs_creator_status_idx').on(t.createdByApiKeyId, t.status),
    check('jobs_attempts_nonnegative', sql`${t.attempts} >= 0 and ${t.maxAttempts} >= 1`),
  ],
);
export type JobRow = typeof jobs.$inferSelect;

// ---------------------------------------------------------------------------------------------
// Metrics: definitions (synced from the code registry), results with provenance, per-sample scores.

export const metricAxis = pgEnum('metric_axis', ['QUALITY', 'DIVERSITY', 'COMPLEXITY']);
export const metricDirection = pgEnum('metric_direction', ['HIGHER_IS_BETTER', 'LOWER_IS_BETTER', 'NEUTRAL']);
export const metricStatus = pgEnum('metric_status', ['PENDING', 'RUNNING', 'PARTIAL', 'COMPLETE', 'FAILED']);
export const estimatorKind = pgEnum('estimator_kind', ['EXACT', 'SAMPLED', 'APPROXIMATE']);

/** A metric parameter as metric_definitions stores it: src/metrics' ParamSpec, as JSON. */
export interface StoredParamSpec {
  type: string;
  description: string;
  /** Absent when the parameter is required. */
  default?: number | string;
  min?: number;
  max?: number;
  values?: readonly string[];
  /** Left out of the params hash (see src/metrics/types.ts ParamSpec). */
  operational?: boolean;
}

export const metricDefinitions = pgTable(
  'metric_definitions',
  {
    id: serial('id').primaryKey(),
    key: text('key').notNull(),
    version: integer('version').notNull(),
    axis: metricAxis('axis').notNull(),
    direction: metricDirection('direction').notNull(),
    description: text('description').notNull(),
    citation: text('citation').notNull().default(''),
    /** Parameter schema: name -> { type, default, min/max or values, description }. */
    params: jsonb('params').$type<Record<string, StoredParamSpec>>().notNull(),
    sampleValue: text('sample_value'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('metric_definitions_key_version_idx').on(t.key, t.version)],
);
export type MetricDefinitionRow = typeof metricDefinitions.$inferSelect;

/** Who produced externally computed scores (a reward model, an LLM judge, a notebook script). */
export const scorers = pgTable(
  'scorers',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    model: text('model').notNull().default(''),
    version: text('version').notNull().default(''),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('scorers_identity_idx').on(t.name, t.model, t.version)],
);
export type ScorerRow = typeof scorers.$inferSelect;

export const metricResults = pgTable(
  'metric_results',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    versionId: bigint('version_id', { mode: 'number' })
      .notNull()
      .references(() => datasetVersions.id, { onDelete: 'cascade' }),
    /** Exactly one of definition (built-in metric) and scorer (external scores) is set. */
    definitionId: integer('definition_id').references(() => metricDefinitions.id, { onDelete: 'restrict' }),
    scorerId: integer('scorer_id').references(() => scorers.id, { onDelete: 'restrict' }),
    /** Resolved parameters, defaults filled in (field, seed, subset size, thresholds...). */
    params: jsonb('params').$type<Record<string, unknown>>().notNull(),
    /** sha256 of the canonical params JSON: results with equal hashes are comparable. */
    paramsHash: text('params_hash').notNull(),
    status: metricStatus('status').notNull(),
    statusReason: text('status_reason'),
    value: doublePrecision('value'),
    /** Samples the value is computed over. */
    n: integer('n'),
    /** Samples processed when the run stopped (PARTIAL) or finished. */
    samplesDone: integer('samples_done').notNull().default(0),
    estimator: estimatorKind('estimator'),
    seed: integer('seed'),
    sampleSize: integer('sample_size'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    jobId: bigint('job_id', { mode: 'number' }).references(() => jobs.id, { onDelete: 'set null' }),
    /** The embedding space an embedding-based metric read its vectors from. */
    spaceId: integer('space_id').references((): AnyPgColumn => embeddingSpaces.id, { onDelete: 'restrict' }),
    computedAt: timestamp('computed_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    index('metric_results_version_idx').on(t.versionId, t.definitionId, t.createdAt),
    /** A job re-run after a lost lease reuses its rows instead of adding new ones. */
    uniqueIndex('metric_results_job_metric_idx').on(t.jobId, t.definitionId, t.paramsHash),
    /** One aggregate row per version and external scorer, refreshed on every push. */
    uniqueIndex('metric_results_version_scorer_idx')
      .on(t.versionId, t.scorerId)
      .where(sql`${t.scorerId} is not null`),
    check('metric_results_one_source', sql`(${t.definitionId} is null) <> (${t.scorerId} is null)`),
  ],
);
export type MetricResultRow = typeof metricResults.$inferSelect;

export const sampleScores = pgTable(
  'sample_scores',
  {
    resultId: bigint('result_id', { mode: 'number' })
      .notNull()
      .references(() => metricResults.id, { onDelete: 'cascade' }),
    sampleId: bigint('sample_id', { mode: 'number' })
      .notNull()
      .references(() => samples.id, { onDelete: 'cascade' }),
    value: doublePrecision('value').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>(),
  },
  (t) => [
    primaryKey({ columns: [t.resultId, t.sampleId] }),
    index('sample_scores_sample_idx').on(t.sampleId),
  ],
);
export type SampleScoreRow = typeof sampleScores.$inferSelect;

// ---------------------------------------------------------------------------------------------
// Embeddings: spaces (one per model x revision x dtype x pooling), vectors per sample and per
// dataset description, and overlap (near-duplicate / contamination) edges between samples.

/**
 * pgvector's `vector` with no fixed dimension: one table holds every space's vectors. Each space
 * gets its own partial HNSW index on `(embedding::vector(DIMS)) WHERE space_id = ...` (see
 * embeddings/hnswIndex.ts), pgvector's documented way to index mixed dimensions.
 */
const anyVector = customType<{ data: string; driverData: string }>({ dataType: () => 'vector' });

export const embedderProvider = pgEnum('embedder_provider', ['TRANSFORMERS', 'LEXICAL']);

export const embeddingSpaces = pgTable(
  'embedding_spaces',
  {
    id: serial('id').primaryKey(),
    /** `model@revision:dtype`, the name users pass (see embeddings/spaceKey.ts). */
    key: text('key').notNull(),
    provider: embedderProvider('provider').notNull(),
    model: text('model').notNull(),
    revision: text('revision').notNull(),
    dtype: text('dtype').notNull(),
    dims: integer('dims').notNull(),
    pooling: text('pooling').notNull(),
    normalized: boolean('normalized').notNull().default(true),
    /** Which text of a sample is embedded (fixed per space so its vectors compare like with like). */
    textField: text('text_field').notNull().default('prompt+response'),
    /** Set once the space's partial HNSW index exists. */
    indexedAt: timestamp('indexed_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('embedding_spaces_key_idx').on(t.key),
    check('embedding_spaces_dims_range', sql`${t.dims} between 1 and 16000`),
  ],
);
export type EmbeddingSpaceRow = typeof embeddingSpaces.$inferSelect;

export const sampleEmbeddings = pgTable(
  'sample_embeddings',
  {
    spaceId: integer('space_id')
      .notNull()
      .references(() => embeddingSpaces.id, { onDelete: 'cascade' }),
    sampleId: bigint('sample_id', { mode: 'number' })
      .notNull()
      .references(() => samples.id, { onDelete: 'cascade' }),
    /** The sample's version, kept beside the vector so scoped searches filter without a join. */
    versionId: bigint('version_id', { mode: 'number' })
      .notNull()
      .references(() => datasetVersions.id, { onDelete: 'cascade' }),
    embedding: anyVector('embedding').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.spaceId, t.sampleId] }),
    index('sample_embeddings_space_version_idx').on(t.spaceId, t.versionId),
    index('sample_embeddings_sample_idx').on(t.sampleId),
  ],
);

/** A dataset's name + description embedded for `searchDatasets`; refreshed when the text changes. */
export const datasetEmbeddings = pgTable(
  'dataset_embeddings',
  {
    spaceId: integer('space_id')
      .notNull()
      .references(() => embeddingSpaces.id, { onDelete: 'cascade' }),
    datasetId: bigint('dataset_id', { mode: 'number' })
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    /** sha256 of the embedded text: a changed description is embedded again. */
    textHash: text('text_hash').notNull(),
    embedding: anyVector('embedding').notNull(),
  },
  (t) => [primaryKey({ columns: [t.spaceId, t.datasetId] })],
);

export const overlapKind = pgEnum('overlap_kind', ['EXACT', 'NEAR']);

/** One `findOverlap` run: a version checked against another (or itself) in one space at one threshold. */
export const overlapRuns = pgTable(
  'overlap_runs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    versionId: bigint('version_id', { mode: 'number' })
      .notNull()
      .references(() => datasetVersions.id, { onDelete: 'cascade' }),
    againstVersionId: bigint('against_version_id', { mode: 'number' })
      .notNull()
      .references(() => datasetVersions.id, { onDelete: 'cascade' }),
    spaceId: integer('space_id')
      .notNull()
      .references(() => embeddingSpaces.id, { onDelete: 'cascade' }),
    /** Cosine similarity at or above which two samples count as a near match. */
    threshold: doublePrecision('threshold').notNull(),
    /** Nearest neighbours looked at per sample. */
    neighbours: integer('neighbours').notNull(),
    status: metricStatus('status').notNull(),
    statusReason: text('status_reason'),
    estimator: estimatorKind('estimator'),
    /** Samples of `version` with at least one match in `against`. */
    matchedSamples: integer('matched_samples'),
    sampleCount: integer('sample_count'),
    exactPairs: integer('exact_pairs'),
    nearPairs: integer('near_pairs'),
    jobId: bigint('job_id', { mode: 'number' }).references(() => jobs.id, { onDelete: 'set null' }),
    computedAt: timestamp('computed_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    index('overlap_runs_version_idx').on(t.versionId, t.againstVersionId, t.createdAt),
    uniqueIndex('overlap_runs_job_idx').on(t.jobId),
    check('overlap_runs_threshold_range', sql`${t.threshold} > 0 and ${t.threshold} <= 1`),
  ],
);
export type OverlapRunRow = typeof overlapRuns.$inferSelect;

/** A matching pair: `sampleId` (of the run's version) matches `matchedSampleId` (of `against`). */
export const sampleOverlaps = pgTable(
  'sample_overlaps',
  {
    runId: bigint('run_id', { mode: 'number' })
      .notNull()
      .references(() => overlapRuns.id, { onDelete: 'cascade' }),
    sampleId: bigint('sample_id', { mode: 'number' })
      .notNull()
      .references(() => samples.id, { onDelete: 'cascade' }),
    matchedSampleId: bigint('matched_sample_id', { mode: 'number' })
      .notNull()
      .references(() => samples.id, { onDelete: 'cascade' }),
    kind: overlapKind('kind').notNull(),
    similarity: doublePrecision('similarity').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.sampleId, t.matchedSampleId] }),
    index('sample_overlaps_matched_idx').on(t.matchedSampleId),
  ],
);

// ---------------------------------------------------------------------------------------------
// LLM judges and reward models (src/judges): versioned prompt templates, stored API keys and the
// response cache that makes a re-run or a resumed job repeat no call.

export const judgeTemplateKind = pgEnum('judge_template_kind', ['SCORE', 'PAIRWISE']);

/**
 * A judge prompt template; every change is a new row with the next version of its name, so a
 * result naming `name@version` always points at the exact text it was computed with.
 */
export const judgeTemplates = pgTable(
  'judge_templates',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    version: integer('version').notNull(),
    kind: judgeTemplateKind('kind').notNull(),
    description: text('description').notNull().default(''),
    citation: text('citation').notNull().default(''),
    /** System message ('' = none). */
    system: text('system').notNull().default(''),
    /** User message with {prompt}, {response} and (pairwise) {base_response} placeholders. */
    user: text('user').notNull(),
    /** Where the score stands in the answer: a text with exactly one {score}. */
    scoreFormat: text('score_format').notNull(),
    /** Label -> value (pairwise verdicts such as A, B, C); null: {score} is a number. */
    labels: jsonb('labels').$type<Record<string, number>>(),
    minScore: doublePrecision('min_score').notNull(),
    maxScore: doublePrecision('max_score').notNull(),
    /** sha256 of the canonical template content (kind, messages, format, labels, range). */
    hash: text('hash').notNull(),
    builtIn: boolean('built_in').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('judge_templates_name_version_idx').on(t.name, t.version)],
);
export type JudgeTemplateRow = typeof judgeTemplates.$inferSelect;

/** API keys for judge endpoints, by name; the value is read only by the connector, never returned. */
export const judgeSecrets = pgTable('judge_secrets', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/**
 * One answer of a judge or reward endpoint, keyed by sha256 of (endpoint, model, template hash or
 * reward route, sample content hash, generation parameters).
 */
export const judgeResponses = pgTable(
  'judge_responses',
  {
    key: text('key').primaryKey(),
    endpoint: text('endpoint').notNull(),
    model: text('model').notNull(),
    /** The template's hash (chat) or `reward:<route>`. */
    templateHash: text('template_hash').notNull(),
    contentHash: text('content_hash').notNull(),
    /** The answer's text (chat) or null (reward). */
    text: text('text'),
    /** The scalar a reward endpoint answered (null for chat). */
    reward: doublePrecision('reward'),
    finishReason: text('finish_reason'),
    promptTokens: integer('prompt_tokens').notNull().default(0),
    completionTokens: integer('completion_tokens').notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [index('judge_responses_model_idx').on(t.model, t.templateHash)],
);
export type JudgeResponseRow = typeof judgeResponses.$inferSelect;

// ---------------------------------------------------------------------------------------------
// Embedding maps: 2-D projections (PCA, UMAP) of a version's vectors in one space, with the
// provenance of each (method, parameters, seed, library version) and the coordinates in chunks.

export const projectionMethod = pgEnum('projection_method', ['PCA', 'UMAP']);

/** Raw bytes (little-endian typed arrays): Float32 coordinate pairs, Uint32 ordinals. */
const bytes = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
});

export const projections = pgTable(
  'projections',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    versionId: bigint('version_id', { mode: 'number' })
      .notNull()
      .references(() => datasetVersions.id, { onDelete: 'cascade' }),
    spaceId: integer('space_id')
      .notNull()
      .references(() => embeddingSpaces.id, { onDelete: 'cascade' }),
    method: projectionMethod('method').notNull(),
    /** Resolved parameters, defaults filled in (neighbours, min distance, epochs, fit size...). */
    params: jsonb('params').$type<Record<string, unknown>>().notNull(),
    seed: integer('seed'),
    /** The code that computed the coordinates, e.g. `umap-js@1.4.0`. */
    library: text('library').notNull(),
    status: metricStatus('status').notNull(),
    statusReason: text('status_reason'),
    /** Points projected (the version's samples with a vector in the space). */
    n: integer('n'),
    /** Coordinate bounds, explained variance (PCA), fit subsample size (UMAP), timings. */
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    jobId: bigint('job_id', { mode: 'number' }).references(() => jobs.id, { onDelete: 'set null' }),
    computedAt: timestamp('computed_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    index('projections_version_idx').on(t.versionId, t.spaceId, t.createdAt),
    /** A job re-run after a lost lease reuses its row. */
    uniqueIndex('projections_job_idx').on(t.jobId),
  ],
);
export type ProjectionRow = typeof projections.$inferSelect;

/** A run of consecutive points of a projection (in ordinal order), as packed little-endian arrays. */
export const projectionChunks = pgTable(
  'projection_chunks',
  {
    projectionId: bigint('projection_id', { mode: 'number' })
      .notNull()
      .references(() => projections.id, { onDelete: 'cascade' }),
    chunk: integer('chunk').notNull(),
    /** Points in the chunk. */
    count: integer('count').notNull(),
    /** Uint32 sample ordinals, ascending. */
    ordinals: bytes('ordinals').notNull(),
    /** Float32 (x, y) pairs, one per ordinal. */
    xy: bytes('xy').notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectionId, t.chunk] })],
);
