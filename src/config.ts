/**
 * The one place that reads the environment. Every variable is documented here and in the README,
 * and validated at startup so a typo fails loudly instead of silently falling back.
 */
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';

export type AuthMode = 'required' | 'off';
export type GraphQLExecutorKind = 'jit' | 'graphql-js';

export interface Config {
  /** PostgreSQL connection string. Unset: the embedded PGlite database is used. */
  databaseUrl: string | undefined;
  /** PGlite data directory (ignored with DATABASE_URL). `memory://` keeps everything in memory. */
  dataDir: string;
  host: string;
  port: number;
  /** `undefined` = not set: the server derives it (see resolveAuthMode). */
  auth: AuthMode | undefined;
  /** Host header names (without port) the server answers; '*' = any (see allowedHostsFor). */
  allowedHosts: string[] | '*';
  /** How GraphQL operations are executed: compiled by graphql-jit, or interpreted by graphql-js. */
  graphqlExecutor: GraphQLExecutorKind;
  /** Largest accepted HTTP request body for /graphql, in bytes. */
  maxBodyBytes: number;
  /** Longest accepted record (JSONL line or JSON array element) in a bulk ingest, in bytes. */
  maxRecordBytes: number;
  /** Whether GraphQL introspection (`__schema`, `__type`) is answered. */
  introspection: boolean;
  /** What one GraphQL request may cost (see GraphQLLimits). */
  graphqlLimits: GraphQLLimits;
  /** Caps on gzip request bodies (QDC_MAX_GUNZIP_BYTES, QDC_MAX_GUNZIP_RATIO). */
  gunzip: { maxBytes: number; maxRatio: number };
  /** HTTP server timeouts (see HttpTimeouts). */
  http: HttpTimeouts;
  /** Per-API-key request rate and job limits (see RateLimits). */
  rateLimits: RateLimits;
  /** Per-connection timeouts on PostgreSQL (ignored on PGlite); 0 turns one off. */
  postgres: PostgresTimeouts;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** `undefined` = not set: pretty in a terminal when pino-pretty is installed, else json. */
  logFormat: 'json' | 'pretty' | undefined;
  /** Jobs `qdc serve` runs at once in-process (0: none; leave jobs to `qdc worker`). */
  workers: number;
  /** How long a claimed job stays claimed without a heartbeat. */
  jobLeaseMs: number;
  /** Pause between queue polls of an idle worker. */
  jobPollMs: number;
  /** Whether metric jobs run text metrics in worker threads (QDC_METRIC_THREADS). */
  metricThreads: boolean;
  /** Longest time one sample may take in one metric's pass before it is left out (ms). */
  jobSampleBudgetMs: number;
  jobFinalizeBudgetMs: number;
  /** Most samples (and test samples) one TInt generation may ask for. */
  tintMaxSamples: number;
  embedding: EmbeddingConfig;
}

/** Bounds on one GraphQL request, all checked before any resolver runs. */
export interface GraphQLLimits {
  /** Most lexical tokens in a query document, counted before it is parsed. */
  maxTokens: number;
  /** Most aliases in an operation (fragments expanded). */
  maxAliases: number;
  /** Most fields in an operation once its fragments are expanded. */
  maxFields: number;
  /** Highest cost: each field 1, times the page size (first, k) of every list around it. */
  maxCost: number;
  /** Most JSON values (objects, arrays, scalars) in a request's variables. */
  maxVariableValues: number;
  /** Deepest nesting of objects and arrays in a request's variables. */
  maxVariableDepth: number;
  /** Total size of the compiled operations graphql-jit keeps, in fields (a compiled operation's size follows its expanded field count). */
  jitCacheFields: number;
}

/** How long the HTTP server waits for a client; a client slower than this is cut off. */
export interface HttpTimeouts {
  /** Longest time to receive a request's headers (node's headersTimeout). */
  headersMs: number;
  /** Longest time to receive a whole /graphql request, body included (bulk routes: see bodyIdleMs). */
  requestMs: number;
  /** Longest wait for the next bytes of any request body, bulk uploads included. */
  bodyIdleMs: number;
}

/**
 * What one API key may ask of the server (only with auth required: without keys there is no one
 * to count). Over a limit: 429 RATE_LIMITED with a Retry-After header.
 */
export interface RateLimits {
  /** Requests per second a key may sustain (token bucket refill rate); 0 turns the limit off. */
  requestsPerSecond: number;
  /** Requests a key may send at once after being idle (the bucket's size). */
  burst: number;
  /** Jobs a key may have queued or running at once (metrics, embedding, overlap, TInt); 0: no limit. */
  maxConcurrentJobs: number;
}

/** PostgreSQL session settings every pooled connection starts with. */
export interface PostgresTimeouts {
  /** statement_timeout: longest single statement (COPY of an upload and index builds are exempt). */
  statementMs: number;
  /** idle_in_transaction_session_timeout: longest pause inside an open transaction. */
  idleInTransactionMs: number;
}

/** How samples and queries are embedded (see src/embeddings/). */
export interface EmbeddingConfig {
  /** The default embedder: a transformers.js model, or the built-in lexical hashing embedder. */
  embedder: 'transformers' | 'lexical';
  /** Hugging Face model id of the default transformers.js model. */
  model: string;
  revision: string;
  /** ONNX weight variant: fp32 loads onnx/model.onnx, q8 onnx/model_quantized.onnx, ... */
  dtype: string;
  /** A directory of local models laid out as <dir>/<model id>/{config.json, tokenizer.json, onnx/...}; searched first. */
  modelDir: string | undefined;
  /** Where downloaded models are cached. */
  cacheDir: string;
  /** Whether a model missing locally may be downloaded from the Hugging Face Hub. */
  allowRemoteModels: boolean;
  /** onnxruntime intra-op threads per model (capped so embedding never takes every core from the API). */
  threads: number;
  /** Texts per model call in embedding jobs (and most sequences per causal-LM call). */
  batchSize: number;
  /** Model id of the causal LM that complexity.perplexity and complexity.ifd use when a run names none. */
  languageModel: string;
}

export const EMBEDDING_DTYPES = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'] as const;

export class ConfigError extends Error {}

/** Documentation of every environment variable, printed by `qdc serve --help` and mirrored in the README. */
export const ENV_DOCS: ReadonlyArray<[name: string, meaning: string]> = [
  ['DATABASE_URL', 'postgres://user@host:5432/db: run on PostgreSQL + pgvector. Unset: embedded PGlite.'],
  ['QDC_DATA_DIR', 'PGlite data directory (default ./.qdc/pglite).'],
  ['QDC_HOST', 'Address to bind (default 127.0.0.1).'],
  ['QDC_PORT', 'Port to listen on (default 4000).'],
  [
    'QDC_ALLOWED_HOSTS',
    'Comma-separated Host header names the server answers (against DNS rebinding), or * for any. Default: localhost, 127.0.0.1, [::1] and QDC_HOST; any when QDC_HOST is 0.0.0.0 or ::.',
  ],
  ['QDC_AUTH', 'required | off. Default: required with DATABASE_URL or a non-loopback QDC_HOST, else off.'],
  [
    'QDC_GRAPHQL_EXECUTOR',
    'jit | graphql-js: compile each GraphQL operation with graphql-jit (default) or interpret it with graphql-js.',
  ],
  ['QDC_MAX_BODY_BYTES', 'Largest /graphql request body in bytes (default 16777216 = 16 MiB).'],
  [
    'QDC_MAX_RECORD_BYTES',
    'Longest JSONL line / JSON array element accepted by bulk ingest, in bytes (default 1048576 = 1 MiB).',
  ],
  [
    'QDC_HEADERS_TIMEOUT_MS',
    'Longest time to receive the headers of an HTTP request (default 20000); a slower client gets 408.',
  ],
  [
    'QDC_REQUEST_TIMEOUT_MS',
    'Longest time to receive a whole /graphql request, body included (default 60000); else 408 REQUEST_TIMEOUT.',
  ],
  [
    'QDC_BODY_IDLE_TIMEOUT_MS',
    'Longest wait for the next bytes of a request body, bulk uploads included (default 30000); a stalled upload is aborted (408) and rolled back.',
  ],
  [
    'QDC_PG_STATEMENT_TIMEOUT_MS',
    'PostgreSQL statement_timeout of every connection (default 300000; 0 = none). Upload COPYs and index builds are exempt.',
  ],
  [
    'QDC_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS',
    'PostgreSQL idle_in_transaction_session_timeout of every connection (default 60000; 0 = none).',
  ],
  [
    'QDC_GRAPHQL_INTROSPECTION',
    'true | false: answer introspection queries (default true; the SDL is public in schema/ anyway).',
  ],
  [
    'QDC_GRAPHQL_MAX_TOKENS',
    'Most lexical tokens in a GraphQL document, counted before parsing (default 20000); more: QUERY_TOO_COMPLEX.',
  ],
  [
    'QDC_RATE_LIMIT_RPS',
    'Requests per second one API key may sustain, with auth required (default 50; 0: no limit). Over it: 429 with Retry-After.',
  ],
  ['QDC_RATE_LIMIT_BURST', 'Requests one API key may send at once after being idle (default 100).'],
  [
    'QDC_MAX_JOBS_PER_KEY',
    'Jobs one API key may have queued or running at once (default 8; 0: no limit). Over it: 429 with Retry-After.',
  ],
  ['QDC_GRAPHQL_MAX_ALIASES', 'Most aliases in one operation, fragments expanded (default 200).'],
  ['QDC_GRAPHQL_MAX_FIELDS', 'Most fields in one operation once fragments are expanded (default 2000).'],
  [
    'QDC_GRAPHQL_MAX_COST',
    'Highest operation cost: each field 1, times the page size (first, k; 10 for a list without one) of every list around it (default 200000).',
  ],
  ['QDC_GRAPHQL_MAX_VARIABLE_VALUES', 'Most JSON values in the variables of one request (default 200000).'],
  ['QDC_GRAPHQL_MAX_VARIABLE_DEPTH', 'Deepest object/array nesting in the variables (default 64).'],
  [
    'QDC_GRAPHQL_JIT_CACHE_FIELDS',
    'Size of the graphql-jit compile cache, as the total expanded field count of the operations it keeps (default 100000).',
  ],
  [
    'QDC_MAX_GUNZIP_BYTES',
    'Most bytes a gzip request body (bulk ingest, score files) may decompress to (default 34359738368 = 32 GiB); more: 413.',
  ],
  [
    'QDC_MAX_GUNZIP_RATIO',
    'Most decompressed bytes per compressed byte of a gzip request body, judged past the first 16 MiB (default 200); more: 413.',
  ],
  ['QDC_LOG_LEVEL', 'debug | info | warn | error (default info).'],
  [
    'QDC_LOG_FORMAT',
    'json | pretty: log lines on stderr as JSON, or formatted for people by pino-pretty (a dev dependency). Default: pretty when stderr is a terminal and pino-pretty is installed, else json.',
  ],
  [
    'QDC_WORKERS',
    'Jobs "qdc serve" runs at once in its own process (default 1; 0 = none, leave them to "qdc worker").',
  ],
  [
    'QDC_JOB_LEASE_MS',
    "How long a claimed job stays claimed without a heartbeat; a dead worker's job is retried after it (default 30000).",
  ],
  ['QDC_JOB_POLL_MS', 'Pause between queue polls of an idle worker (default 1000).'],
  [
    'QDC_METRIC_THREADS',
    'true | false: metric jobs run text metrics in worker threads, off the event loop that serves the API (default true).',
  ],
  [
    'QDC_JOB_SAMPLE_BUDGET_MS',
    'Longest time one sample may take in one text metric of a metric job (default 10000); past it the thread is ended and the sample left out of that metric, which ends PARTIAL.',
  ],
  [
    'QDC_JOB_FINALIZE_BUDGET_MS',
    "Longest time one text metric's finalize (e.g. self-BLEU's pairwise pass) may take in a metric job (default 300000); past it the thread is ended and that metric recorded FAILED, the job's other metrics keep their results.",
  ],
  [
    'QDC_TINT_MAX_SAMPLES',
    'Most samples (and test samples) one TInt generation may ask for (default 10000000).',
  ],
  [
    'QDC_EMBEDDER',
    'transformers | lexical: the default embedder (default transformers; falls back to lexical, loudly, when the model cannot be loaded).',
  ],
  [
    'QDC_EMBED_MODEL',
    'transformers.js model id of the default embedding space (default Xenova/all-MiniLM-L6-v2).',
  ],
  ['QDC_EMBED_REVISION', 'Model revision (default main).'],
  ['QDC_EMBED_DTYPE', `ONNX weights: ${EMBEDDING_DTYPES.join(' | ')} (default q8).`],
  [
    'QDC_MODEL_DIR',
    'Offline model directory, laid out <dir>/<model id>/{config.json, tokenizer.json, onnx/model_quantized.onnx}; searched before any download.',
  ],
  ['QDC_MODEL_CACHE_DIR', 'Where downloaded models are cached (default ./.qdc/models).'],
  [
    'QDC_ALLOW_REMOTE_MODELS',
    'true | false: may models be downloaded from the Hugging Face Hub (default true).',
  ],
  ['QDC_EMBED_THREADS', 'onnxruntime threads per model (default: half the cores, at least 1).'],
  ['QDC_EMBED_BATCH', 'Texts per model call in embedding jobs (default 32).'],
  [
    'QDC_LM_MODEL',
    'Causal LM of complexity.perplexity and complexity.ifd when a run names none (default Xenova/gpt2; fp32 unless the name says model@revision:dtype).',
  ],
];

/** The defaults of loadConfig's GraphQL limits, for servers started without a Config (tests). */
export const DEFAULT_GRAPHQL_LIMITS: GraphQLLimits = {
  maxTokens: 20_000,
  maxAliases: 200,
  maxFields: 2000,
  maxCost: 200_000,
  maxVariableValues: 200_000,
  maxVariableDepth: 64,
  jitCacheFields: 100_000,
};

/** The defaults of loadConfig's rate limits, for servers started without a Config (tests). */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  requestsPerSecond: 50,
  burst: 100,
  maxConcurrentJobs: 8,
};

/** The defaults of loadConfig's gzip caps. */
export const DEFAULT_GUNZIP_CAPS = { maxBytes: 32 * 2 ** 30, maxRatio: 200 };

/** The defaults of loadConfig's HTTP timeouts, for servers started without a Config (tests). */
export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  headersMs: 20_000,
  requestMs: 60_000,
  bodyIdleMs: 30_000,
};

/** The process environment with some variables replaced (command-line flags that override them). */
export function environmentWith(overrides: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...overrides };
}

/** NODE_OPTIONS, the flags node takes from the environment besides its command line. */
export function nodeOptions(env: NodeJS.ProcessEnv = process.env): string {
  return env.NODE_OPTIONS ?? '';
}

/** What the `qdc` client commands read from the environment (beside the server's Config). */
export interface ClientConfig {
  /** API key for --server when --api-key is not given (QDC_API_KEY). */
  apiKey: string | undefined;
  /** Milliseconds between progress redraws (QDC_PROGRESS_INTERVAL_MS); undefined = Progress's default. */
  progressIntervalMs: number | undefined;
}

export function loadClientConfig(env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const rawInterval = nonEmpty(env.QDC_PROGRESS_INTERVAL_MS);
  let progressIntervalMs: number | undefined;
  if (rawInterval !== undefined) {
    progressIntervalMs = Number(rawInterval);
    if (!Number.isInteger(progressIntervalMs) || progressIntervalMs < 0) {
      throw new ConfigError(`QDC_PROGRESS_INTERVAL_MS must be a non-negative integer (got "${rawInterval}")`);
    }
  }
  return { apiKey: nonEmpty(env.QDC_API_KEY), progressIntervalMs };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = nonEmpty(env.DATABASE_URL);
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with postgres:// or postgresql://');
  }
  const auth = nonEmpty(env.QDC_AUTH);
  if (auth !== undefined && auth !== 'required' && auth !== 'off') {
    throw new ConfigError(`QDC_AUTH must be "required" or "off" (got "${auth}")`);
  }
  const graphqlExecutor = nonEmpty(env.QDC_GRAPHQL_EXECUTOR) ?? 'jit';
  if (graphqlExecutor !== 'jit' && graphqlExecutor !== 'graphql-js') {
    throw new ConfigError(`QDC_GRAPHQL_EXECUTOR must be "jit" or "graphql-js" (got "${graphqlExecutor}")`);
  }
  const logLevel = nonEmpty(env.QDC_LOG_LEVEL) ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new ConfigError(`QDC_LOG_LEVEL must be debug, info, warn or error (got "${logLevel}")`);
  }
  const logFormat = nonEmpty(env.QDC_LOG_FORMAT);
  if (logFormat !== undefined && logFormat !== 'json' && logFormat !== 'pretty') {
    throw new ConfigError(`QDC_LOG_FORMAT must be "json" or "pretty" (got "${logFormat}")`);
  }
  const host = nonEmpty(env.QDC_HOST) ?? '127.0.0.1';
  const introspection = nonEmpty(env.QDC_GRAPHQL_INTROSPECTION) ?? 'true';
  if (introspection !== 'true' && introspection !== 'false') {
    throw new ConfigError(`QDC_GRAPHQL_INTROSPECTION must be "true" or "false" (got "${introspection}")`);
  }
  return {
    databaseUrl,
    dataDir: nonEmpty(env.QDC_DATA_DIR) ?? './.qdc/pglite',
    host,
    allowedHosts: allowedHostsFor(host, nonEmpty(env.QDC_ALLOWED_HOSTS)),
    port: parseIntVar('QDC_PORT', env.QDC_PORT, 4000, 0, 65535),
    auth,
    graphqlExecutor,
    maxBodyBytes: parseIntVar('QDC_MAX_BODY_BYTES', env.QDC_MAX_BODY_BYTES, 16 * 1024 * 1024, 1024, 2 ** 31),
    maxRecordBytes: parseIntVar('QDC_MAX_RECORD_BYTES', env.QDC_MAX_RECORD_BYTES, 1024 * 1024, 64, 2 ** 30),
    introspection: introspection === 'true',
    graphqlLimits: {
      maxTokens: parseIntVar(
        'QDC_GRAPHQL_MAX_TOKENS',
        env.QDC_GRAPHQL_MAX_TOKENS,
        DEFAULT_GRAPHQL_LIMITS.maxTokens,
        100,
        10_000_000,
      ),
      maxAliases: parseIntVar(
        'QDC_GRAPHQL_MAX_ALIASES',
        env.QDC_GRAPHQL_MAX_ALIASES,
        DEFAULT_GRAPHQL_LIMITS.maxAliases,
        0,
        1_000_000,
      ),
      maxFields: parseIntVar(
        'QDC_GRAPHQL_MAX_FIELDS',
        env.QDC_GRAPHQL_MAX_FIELDS,
        DEFAULT_GRAPHQL_LIMITS.maxFields,
        10,
        10_000_000,
      ),
      maxCost: parseIntVar(
        'QDC_GRAPHQL_MAX_COST',
        env.QDC_GRAPHQL_MAX_COST,
        DEFAULT_GRAPHQL_LIMITS.maxCost,
        10,
        2 ** 40,
      ),
      maxVariableValues: parseIntVar(
        'QDC_GRAPHQL_MAX_VARIABLE_VALUES',
        env.QDC_GRAPHQL_MAX_VARIABLE_VALUES,
        DEFAULT_GRAPHQL_LIMITS.maxVariableValues,
        10,
        100_000_000,
      ),
      maxVariableDepth: parseIntVar(
        'QDC_GRAPHQL_MAX_VARIABLE_DEPTH',
        env.QDC_GRAPHQL_MAX_VARIABLE_DEPTH,
        DEFAULT_GRAPHQL_LIMITS.maxVariableDepth,
        2,
        10_000,
      ),
      jitCacheFields: parseIntVar(
        'QDC_GRAPHQL_JIT_CACHE_FIELDS',
        env.QDC_GRAPHQL_JIT_CACHE_FIELDS,
        DEFAULT_GRAPHQL_LIMITS.jitCacheFields,
        0,
        100_000_000,
      ),
    },
    rateLimits: {
      requestsPerSecond: parseIntVar(
        'QDC_RATE_LIMIT_RPS',
        env.QDC_RATE_LIMIT_RPS,
        DEFAULT_RATE_LIMITS.requestsPerSecond,
        0,
        1_000_000,
      ),
      burst: parseIntVar(
        'QDC_RATE_LIMIT_BURST',
        env.QDC_RATE_LIMIT_BURST,
        DEFAULT_RATE_LIMITS.burst,
        1,
        1_000_000,
      ),
      maxConcurrentJobs: parseIntVar(
        'QDC_MAX_JOBS_PER_KEY',
        env.QDC_MAX_JOBS_PER_KEY,
        DEFAULT_RATE_LIMITS.maxConcurrentJobs,
        0,
        1_000_000,
      ),
    },
    gunzip: {
      maxBytes: parseIntVar(
        'QDC_MAX_GUNZIP_BYTES',
        env.QDC_MAX_GUNZIP_BYTES,
        DEFAULT_GUNZIP_CAPS.maxBytes,
        1024,
        2 ** 50,
      ),
      maxRatio: parseIntVar(
        'QDC_MAX_GUNZIP_RATIO',
        env.QDC_MAX_GUNZIP_RATIO,
        DEFAULT_GUNZIP_CAPS.maxRatio,
        2,
        1_000_000,
      ),
    },
    http: {
      headersMs: parseIntVar(
        'QDC_HEADERS_TIMEOUT_MS',
        env.QDC_HEADERS_TIMEOUT_MS,
        DEFAULT_HTTP_TIMEOUTS.headersMs,
        100,
        3_600_000,
      ),
      requestMs: parseIntVar(
        'QDC_REQUEST_TIMEOUT_MS',
        env.QDC_REQUEST_TIMEOUT_MS,
        DEFAULT_HTTP_TIMEOUTS.requestMs,
        100,
        86_400_000,
      ),
      bodyIdleMs: parseIntVar(
        'QDC_BODY_IDLE_TIMEOUT_MS',
        env.QDC_BODY_IDLE_TIMEOUT_MS,
        DEFAULT_HTTP_TIMEOUTS.bodyIdleMs,
        100,
        3_600_000,
      ),
    },
    postgres: {
      statementMs: parseIntVar(
        'QDC_PG_STATEMENT_TIMEOUT_MS',
        env.QDC_PG_STATEMENT_TIMEOUT_MS,
        300_000,
        0,
        2 ** 31 - 1,
      ),
      idleInTransactionMs: parseIntVar(
        'QDC_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS',
        env.QDC_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS,
        60_000,
        0,
        2 ** 31 - 1,
      ),
    },
    logLevel: logLevel as Config['logLevel'],
    logFormat,
    workers: parseIntVar('QDC_WORKERS', env.QDC_WORKERS, 1, 0, 64),
    jobLeaseMs: parseIntVar('QDC_JOB_LEASE_MS', env.QDC_JOB_LEASE_MS, 30_000, 300, 3_600_000),
    jobPollMs: parseIntVar('QDC_JOB_POLL_MS', env.QDC_JOB_POLL_MS, 1000, 20, 60_000),
    metricThreads: parseBooleanVar('QDC_METRIC_THREADS', env.QDC_METRIC_THREADS, true),
    jobSampleBudgetMs: parseIntVar(
      'QDC_JOB_SAMPLE_BUDGET_MS',
      env.QDC_JOB_SAMPLE_BUDGET_MS,
      10_000,
      10,
      2 ** 31 - 1,
    ),
    jobFinalizeBudgetMs: parseIntVar(
      'QDC_JOB_FINALIZE_BUDGET_MS',
      env.QDC_JOB_FINALIZE_BUDGET_MS,
      300_000,
      10,
      2 ** 31 - 1,
    ),
    tintMaxSamples: parseIntVar('QDC_TINT_MAX_SAMPLES', env.QDC_TINT_MAX_SAMPLES, 10_000_000, 1, 2 ** 31),
    embedding: loadEmbeddingConfig(env),
  };
}

function loadEmbeddingConfig(env: NodeJS.ProcessEnv): EmbeddingConfig {
  const embedder = nonEmpty(env.QDC_EMBEDDER) ?? 'transformers';
  if (embedder !== 'transformers' && embedder !== 'lexical') {
    throw new ConfigError(`QDC_EMBEDDER must be "transformers" or "lexical" (got "${embedder}")`);
  }
  const dtype = nonEmpty(env.QDC_EMBED_DTYPE) ?? 'q8';
  if (!(EMBEDDING_DTYPES as readonly string[]).includes(dtype)) {
    throw new ConfigError(`QDC_EMBED_DTYPE must be one of ${EMBEDDING_DTYPES.join(', ')} (got "${dtype}")`);
  }
  const remote = nonEmpty(env.QDC_ALLOW_REMOTE_MODELS) ?? 'true';
  if (remote !== 'true' && remote !== 'false') {
    throw new ConfigError(`QDC_ALLOW_REMOTE_MODELS must be "true" or "false" (got "${remote}")`);
  }
  return {
    embedder,
    model: nonEmpty(env.QDC_EMBED_MODEL) ?? 'Xenova/all-MiniLM-L6-v2',
    revision: nonEmpty(env.QDC_EMBED_REVISION) ?? 'main',
    dtype,
    modelDir: nonEmpty(env.QDC_MODEL_DIR),
    cacheDir: nonEmpty(env.QDC_MODEL_CACHE_DIR) ?? './.qdc/models',
    allowRemoteModels: remote === 'true',
    threads: parseIntVar(
      'QDC_EMBED_THREADS',
      env.QDC_EMBED_THREADS,
      Math.max(1, Math.floor(availableParallelism() / 2)),
      1,
      256,
    ),
    batchSize: parseIntVar('QDC_EMBED_BATCH', env.QDC_EMBED_BATCH, 32, 1, 4096),
    languageModel: nonEmpty(env.QDC_LM_MODEL) ?? 'Xenova/gpt2',
  };
}

/** Auth is required unless explicitly off, except in the embedded, localhost-only setup. */
export function resolveAuthMode(config: Pick<Config, 'auth' | 'databaseUrl' | 'host'>): {
  mode: AuthMode;
  reason: string;
} {
  if (config.auth) return { mode: config.auth, reason: 'set by QDC_AUTH or --auth' };
  if (config.databaseUrl) return { mode: 'required', reason: 'DATABASE_URL is set' };
  if (!isLoopback(config.host))
    return { mode: 'required', reason: `binding non-loopback address ${config.host}` };
  return { mode: 'off', reason: 'embedded database on a loopback address' };
}

/**
 * The Host names a server bound to `host` answers: the loopback names and `host` itself, or the
 * explicit comma-separated list (`*`: any). A server bound to every interface cannot know the
 * names it is reached by, so it answers any (auth is required there by default).
 */
export function allowedHostsFor(host: string, explicit?: string): string[] | '*' {
  if (explicit !== undefined) {
    const names = explicit
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean);
    return names.includes('*') ? '*' : names;
  }
  if (host === '0.0.0.0' || host === '::') return '*';
  const bound = isIP(host) === 6 ? `[${host}]` : host.toLowerCase();
  return [...new Set(['localhost', '127.0.0.1', '[::1]', bound])];
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function parseBooleanVar(name: string, raw: string | undefined, fallback: boolean): boolean {
  const value = nonEmpty(raw);
  if (value === undefined) return fallback;
  if (value !== 'true' && value !== 'false')
    throw new ConfigError(`${name} must be "true" or "false" (got "${value}")`);
  return value === 'true';
}

function parseIntVar(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = nonEmpty(raw);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got "${value}")`);
  }
  return n;
}

/**
 * The value of an environment variable a judge run names for its API key (`apiKeyEnv`), or
 * undefined when it is unset or empty. Judges read keys only through here, so the value never
 * passes through a payload, a result or a log line.
 */
export function namedSecret(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}
