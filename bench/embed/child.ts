/**
 * One configuration of bench/embed in its own process (a fresh onnxruntime, a fresh V8 heap, and on
 * PGlite a fresh in-memory database). Prints one JSON line {mode, n, ms, samplesPerSec, cpuMs,
 * maxRssMB, vectors, ...}; progress and errors to stderr.
 *
 *   child.ts ort <model-root> <model-id> <threads> <batch> <n>
 *       THE baseline: a bare onnxruntime-node InferenceSession on <model-root>/<model-id>/
 *       onnx/model_quantized.onnx (executionProviders cpu, intraOpNumThreads = threads,
 *       interOpNumThreads = 1, as the project's embedder sets them), the model's tokenizer
 *       (transformers.js AutoTokenizer, padding + truncation), mask-weighted mean pooling and L2
 *       normalisation in plain JS, over the same texts in the job's batches (workload.ts). The
 *       vectors are kept in memory (one Float32Array per text), nothing else.
 *   child.ts pipeline <model-root> <model-id> <threads> <batch> <n>
 *       The project's embedder (EmbedderRegistry -> transformers.js feature-extraction pipeline)
 *       called through `embedInLengthBuckets` chunk by chunk, as the job calls it: the job minus
 *       the database.
 *   child.ts job <model-root> <model-id> <threads> <batch> <n> <memory:// | database-url>
 *       The real path: openCatalog, the n samples stored as one version with writeVersion (not
 *       timed), then `enqueueEmbedVersion` + the real worker (concurrency 1, onlyJobId, poll 20 ms),
 *       timed from enqueue until the job is seen SUCCEEDED. On PostgreSQL the bench database is
 *       shared by the runs, so before timing the child empties sample_embeddings and drops the HNSW
 *       indexes (every run embeds into a fresh, unindexed space, as on PGlite).
 *
 * Every mode loads the model first and embeds the first batch once before the clock starts (the
 * job's enqueue loads the model too; its load is not part of the job's rate).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import * as ort from 'onnxruntime-node';
import { AutoTokenizer, env, type PreTrainedTokenizer, type Tensor } from '@huggingface/transformers';
import { createJobHandlers, openCatalog } from '../../src/app.js';
import { findDatasetBySlug, registerDataset } from '../../src/catalog/datasets.js';
import { writeVersion } from '../../src/catalog/versionWriter.js';
import type { EmbeddingConfig } from '../../src/config.js';
import type { Database } from '../../src/db/connect.js';
import { enqueueEmbedVersion } from '../../src/embeddings/embedJob.js';
import { embedInLengthBuckets } from '../../src/embeddings/embedSamples.js';
import { meanPoolNormalized } from '../../src/embeddings/pooling.js';
import { EmbedderRegistry } from '../../src/embeddings/registry.js';
import { parseVectorLiteral } from '../../src/db/vectorText.js';
import { FINISHED_STATUSES, getJob } from '../../src/jobs/queue.js';
import { startWorker } from '../../src/jobs/worker.js';
import { silentLogger } from '../../src/logger.js';
import { benchSamples, CHUNK_SIZE, checkOrdinals, DTYPE, jobBatches, ONNX_FILE } from './workload.js';

const [mode, modelRoot, modelId, threadsArg, batchArg, nArg, target] = process.argv.slice(2);
const threads = Number(threadsArg);
const batchSize = Number(batchArg);
const n = Number(nArg);
if (
  !mode ||
  !modelRoot ||
  !modelId ||
  !(threads >= 1) ||
  !(batchSize >= 1) ||
  !Number.isInteger(n) ||
  n < 1
) {
  throw new Error(
    'usage: child.ts ort|pipeline <model-root> <model-id> <threads> <batch> <n> | job ... <n> <memory:// | database-url>',
  );
}

const maxRssMB = () => process.resourceUsage().maxRSS / 1024;
const cpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
/** A cache directory of our own, so no stale cached copy of a model id can stand in for the files on disk. */
const cacheDir = mkdtempSync(join(tmpdir(), 'qdc-bench-embed-cache-'));
process.on('exit', () => rmSync(cacheDir, { recursive: true, force: true }));

const { samples, texts } = benchSamples(n);
const batches = jobBatches(texts, batchSize);
const checks = checkOrdinals(n);

interface Timed {
  ms: number;
  /** Start and end of the timed part on the monotonic clock in µs, the clock of `node --cpu-prof` profiles (to cut a profile to it). */
  monotonicUs?: [number, number];
  cpuMs: number;
  vectors: Record<number, number[]>;
  [extra: string]: unknown;
}

// ---------------------------------------------------------------------------------------------
// Baseline: bare onnxruntime session
// ---------------------------------------------------------------------------------------------

function int64(tensor: Tensor): ort.Tensor {
  return new ort.Tensor('int64', tensor.data as BigInt64Array, tensor.dims);
}

async function runOrt(): Promise<Timed> {
  env.allowLocalModels = true;
  env.localModelPath = modelRoot!.endsWith('/') ? modelRoot! : `${modelRoot}/`;
  env.allowRemoteModels = false;
  env.cacheDir = cacheDir;
  const tokenizer: PreTrainedTokenizer = await AutoTokenizer.from_pretrained(modelId!, {
    local_files_only: true,
  });
  const session = await ort.InferenceSession.create(join(modelRoot!, modelId!, ONNX_FILE), {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    logSeverityLevel: 2,
  });
  const outputName = session.outputNames.includes('last_hidden_state')
    ? 'last_hidden_state'
    : session.outputNames[0]!;
  let tokenizeMs = 0;
  let runMs = 0;
  let poolMs = 0;
  let tokens = 0;
  let paddedTokens = 0;

  const embedBatch = async (batchTexts: string[]): Promise<Float32Array[]> => {
    let t = performance.now();
    const encoded = tokenizer(batchTexts, { padding: true, truncation: true });
    const feeds: Record<string, ort.Tensor> = {};
    const [rows, sequence] = encoded.input_ids.dims as [number, number];
    for (const name of session.inputNames) {
      if (name === 'input_ids') feeds[name] = int64(encoded.input_ids);
      else if (name === 'attention_mask') feeds[name] = int64(encoded.attention_mask);
      else if (name === 'token_type_ids') {
        feeds[name] = encoded.token_type_ids
          ? int64(encoded.token_type_ids)
          : new ort.Tensor('int64', new BigInt64Array(rows * sequence), [rows, sequence]);
      } else throw new Error(`the model wants an input ${name} the baseline does not provide`);
    }
    const now = performance.now();
    tokenizeMs += now - t;
    t = now;
    const output = await session.run(feeds);
    const hidden = output[outputName]!;
    const now2 = performance.now();
    runMs += now2 - t;
    t = now2;
    const dims = hidden.dims[2]!;
    const values = hidden.data as Float32Array;
    const mask = encoded.attention_mask.data as BigInt64Array;
    const vectors = meanPoolNormalized(values, mask, rows, sequence, dims);
    for (const flag of mask) if (flag !== 0n) tokens += 1;
    paddedTokens += rows * sequence;
    poolMs += performance.now() - t;
    return vectors;
  };

  try {
    await embedBatch(batches[0]!.map((i) => texts[i]!)); // warm-up, untimed
    tokenizeMs = runMs = poolMs = tokens = paddedTokens = 0;
    const vectors: Float32Array[] = new Array(n);
    const cpuBefore = cpuMs();
    const started = performance.now();
    const t0 = monotonicUs();
    for (const batch of batches) {
      const out = await embedBatch(batch.map((i) => texts[i]!));
      batch.forEach((textIndex, j) => (vectors[textIndex] = out[j]!));
    }
    const ms = performance.now() - started;
    const window: [number, number] = [t0, monotonicUs()];
    return {
      ms,
      monotonicUs: window,
      cpuMs: cpuMs() - cpuBefore,
      vectors: Object.fromEntries(checks.map((o) => [o, Array.from(vectors[o]!)])),
      dims: vectors[0]!.length,
      tokenizeMs,
      runMs,
      poolMs,
      tokens,
      paddedTokens,
    };
  } finally {
    await session.release();
  }
}

// ---------------------------------------------------------------------------------------------
// The project's embedder without the database, and the job
// ---------------------------------------------------------------------------------------------

function embeddingConfig(): EmbeddingConfig {
  return {
    embedder: 'transformers',
    model: modelId!,
    revision: 'main',
    dtype: DTYPE,
    modelDir: modelRoot!,
    cacheDir,
    allowRemoteModels: false,
    threads,
    batchSize,
    languageModel: 'Xenova/gpt2',
  };
}

/** The registry with its default space loaded; fails (instead of the registry's lexical fallback) when the model does not load. */
async function loadRegistry(): Promise<EmbedderRegistry> {
  const registry = new EmbedderRegistry(embeddingConfig(), silentLogger);
  const space = await registry.defaultSpace();
  if (space.fallback) throw new Error(`the model did not load: ${space.fallback.reason}`);
  await space.embedder.embed(batches[0]!.map((i) => texts[i]!)); // warm-up, untimed
  return registry;
}

async function runPipeline(): Promise<Timed> {
  const registry = await loadRegistry();
  try {
    const embedder = (await registry.defaultSpace()).embedder;
    const vectors: Float32Array[] = [];
    const cpuBefore = cpuMs();
    const started = performance.now();
    const t0 = monotonicUs();
    for (let chunk = 0; chunk < n; chunk += CHUNK_SIZE) {
      vectors.push(
        ...(await embedInLengthBuckets(embedder, texts.slice(chunk, chunk + CHUNK_SIZE), batchSize)),
      );
    }
    const ms = performance.now() - started;
    const window: [number, number] = [t0, monotonicUs()];
    return {
      ms,
      monotonicUs: window,
      cpuMs: cpuMs() - cpuBefore,
      vectors: Object.fromEntries(checks.map((o) => [o, Array.from(vectors[o]!)])),
      dims: embedder.dims,
    };
  } finally {
    await registry.close();
  }
}

/** Stores the samples as one version of `embed-bench-<n>` (an identical version already there is reused). */
async function storeVersion(database: Database): Promise<number> {
  const slug = `embed-bench-${n}`;
  const dataset =
    (await findDatasetBySlug(database.db, slug)) ??
    (await registerDataset(database.db, { slug, name: `bench/embed, ${n} samples` }));
  const chunks: (typeof samples)[] = [];
  for (let start = 0; start < n; start += 1000) chunks.push(samples.slice(start, start + 1000));
  const written = await writeVersion(database, dataset.id, chunks);
  if (written.version.sampleCount !== n)
    throw new Error(`version has ${written.version.sampleCount} samples, expected ${n}`);
  return written.version.id;
}

/** No vectors and no HNSW index in any space (the bench database is ours alone). */
async function resetEmbeddings(database: Database): Promise<void> {
  await database.rawTransaction(async (tx) => {
    const indexes = await tx.query<{ relname: string }>(
      `select relname from pg_class where relkind = 'i' and relname like 'sample_embeddings_hnsw_space_%'`,
    );
    for (const { relname } of indexes) await tx.query(`drop index ${relname}`);
    await tx.query('truncate sample_embeddings');
    await tx.query('update embedding_spaces set indexed_at = null');
  });
}

async function runJob(): Promise<Timed> {
  if (!target) throw new Error('job mode needs memory:// or a database URL');
  const database = await openCatalog(
    target.startsWith('memory://') ? { dataDir: target } : { databaseUrl: target },
  );
  const registry = await loadRegistry();
  try {
    const storeStarted = performance.now();
    const versionId = await storeVersion(database);
    const storeMs = performance.now() - storeStarted;
    await resetEmbeddings(database);

    const cpuBefore = cpuMs();
    const started = performance.now();
    const t0 = monotonicUs();
    const job = await enqueueEmbedVersion(database.db, registry, versionId, null);
    // The last chunk's progress report marks the end of embedding (the HNSW index build follows).
    let embedPhase: { cpuMs: number } | null = null;
    const onProgress = (_jobId: number, done: number, total: number | null) => {
      if (!embedPhase && total !== null && done >= total) embedPhase = { cpuMs: cpuMs() - cpuBefore };
    };
    const worker = startWorker(database, {
      handlers: createJobHandlers({ embedders: registry }),
      concurrency: 1,
      logger: silentLogger,
      onlyJobId: job.id,
      pollMs: 20,
      onProgress,
    });
    let finished;
    try {
      for (;;) {
        const row = await getJob(database.db, job.id);
        if (!row) throw new Error(`job ${job.id} disappeared`);
        if (FINISHED_STATUSES.includes(row.status)) {
          finished = row;
          break;
        }
        await sleep(20);
      }
    } finally {
      await worker.stop();
    }
    const ms = performance.now() - started;
    const window: [number, number] = [t0, monotonicUs()];
    const cpu = cpuMs() - cpuBefore;
    if (finished.status !== 'SUCCEEDED')
      throw new Error(`job ${job.id} ended ${finished.status}: ${finished.error ?? ''}`);
    const result = finished.result as {
      embedded: number;
      samplesPerSecond: number | null;
      dims: number;
      index?: { built: boolean; vectors: number; ms: number };
    };
    if (result.embedded !== n) throw new Error(`the job embedded ${result.embedded} samples, expected ${n}`);
    const rows = await database.rawTransaction((tx) =>
      tx.query<{ ordinal: number; embedding: string }>(
        `select s.ordinal, e.embedding::text as embedding from sample_embeddings e join samples s on s.id = e.sample_id
          where e.version_id = $1 and s.ordinal = any($2::int[])`,
        [versionId, checks],
      ),
    );
    return {
      ms,
      monotonicUs: window,
      cpuMs: cpu,
      vectors: Object.fromEntries(
        rows.map((r) => [Number(r.ordinal), Array.from(parseVectorLiteral(r.embedding))]),
      ),
      dims: result.dims,
      backend: database.backend,
      storeMs,
      jobSamplesPerSecond: result.samplesPerSecond,
      embedPhase,
      jobMs:
        finished.finishedAt && finished.startedAt
          ? finished.finishedAt.getTime() - finished.startedAt.getTime()
          : null,
      indexBuilt: result.index?.built ?? false,
      indexMs: result.index?.ms ?? 0,
    };
  } finally {
    await registry.close();
    await database.close();
  }
}

const result =
  mode === 'ort'
    ? await runOrt()
    : mode === 'pipeline'
      ? await runPipeline()
      : mode === 'job'
        ? await runJob()
        : null;
if (!result) throw new Error(`unknown mode ${mode}`);
console.log(
  JSON.stringify({
    mode,
    model: modelId,
    threads,
    batchSize,
    n,
    samplesPerSec: (n * 1000) / result.ms,
    maxRssMB: maxRssMB(),
    ...result,
  }),
);
