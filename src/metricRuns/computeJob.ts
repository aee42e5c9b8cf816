/**
 * The `metrics.compute` job: streams a version's samples once (twice when a metric needs a
 * prepass) through every requested metric's accumulator, writes per-sample values as it goes and
 * the results at the end, each with its provenance. A stopped run records PARTIAL with the count
 * done; a run repeated after a lost lease reuses its result rows, so nothing is stored twice.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../db/connect.js';
import { metricResults, sampleScores } from '../db/schema.js';
import { names } from '../db/sqlHelpers.js';
import { BadInputError, NotFoundError } from '../errors.js';
import type { EmbedderRegistry } from '../embeddings/registry.js';
import { findSpacesByIds } from '../embeddings/spaces.js';
import { defineJobKind, payloadOf } from '../jobs/kinds.js';
import { enqueueJob, withLease } from '../jobs/queue.js';
import type { JobContext } from '../jobs/worker.js';
import { readsEmbeddings, requireMetric } from '../metrics/registry.js';
import { metricParamsHash, resolveParams } from '../metrics/params.js';
import type {
  Accumulator,
  MetricEnvironment,
  MetricOutcome,
  Prepass,
  SampleValue,
} from '../metrics/types.js';
import { JUDGE_BATCH_SIZE } from '../metrics/judge/judgeParams.js';
import { bindJudgeRuns } from '../judges/bindJudgeRuns.js';
import { openJudgeConnection } from '../judges/connection.js';
import { findVersionsByIds } from '../catalog/versions.js';
import { definitionRowFor } from './definitions.js';
import { bindEmbeddingRuns, embeddedInDefaultSpace, type VersionRefResolver } from './embeddingRuns.js';
import { bindLanguageModelRuns } from './languageModelRuns.js';
import { resolveMetricRuns, type ResolvedMetricRun } from './metricRequests.js';
import { databaseEnvironment } from './neighbourSearch.js';
import { streamVersionSamples, type StoredMetricSample } from '../catalog/sampleStream.js';
import {
  DEFAULT_METRIC_THREADS,
  MetricThreads,
  ThreadedRuns,
  type SampleReplay,
  type SkippedSample,
} from './metricThreads.js';
import { ThreadAbortedError } from '../threads/pool.js';

export const COMPUTE_METRICS_JOB = 'metrics.compute';
/** Samples per batch read from the database and fed to the accumulators. */
export const METRIC_BATCH_SIZE = 1000;

const id = z.number().int().positive();

export const COMPUTE_METRICS = defineJobKind(
  COMPUTE_METRICS_JOB,
  z.object({
    versionId: id,
    /** Each metric with its resolved parameters. */
    metrics: z.array(
      z.object({ key: z.string(), params: z.record(z.string(), z.union([z.number(), z.string()])) }),
    ),
    /** The embedding space the embedding metrics read (absent when none is requested). */
    spaceId: id.optional(),
  }),
);
type ComputePayload = z.infer<typeof COMPUTE_METRICS.payload>;

/** Numeric ids only; the GraphQL layer passes a resolver that also takes global ids. */
const numericVersionRef: VersionRefResolver = async (reference) => {
  const id =
    typeof reference === 'number'
      ? reference
      : /^[1-9][0-9]{0,15}$/.test(reference)
        ? Number(reference)
        : NaN;
  if (!Number.isSafeInteger(id))
    throw new BadInputError(`"${reference}" is not a version id`, { version: reference });
  return id;
};

export interface EnqueueComputeOptions {
  /** Names the default embedding space; without it, embedding metrics must name their space. */
  embedders?: EmbedderRegistry;
  /** Resolves `version` parameters (diversity_gain's base); default: numeric ids only. */
  resolveVersion?: VersionRefResolver;
}

/** Validates the request and queues the job; nothing is computed in the caller's process. */
export async function enqueueComputeMetrics(
  db: Executor,
  versionId: number,
  keys: readonly string[] | null | undefined,
  params: unknown,
  options: EnqueueComputeOptions = {},
) {
  const [version] = await findVersionsByIds(db, [versionId]);
  if (!version || version.status !== 'READY')
    throw new NotFoundError(`no version with id ${versionId}`, { id: versionId });
  const { embedders } = options;
  const requested = resolveMetricRuns(keys, params, {
    embeddingsAvailable:
      !(keys && keys.length > 0) &&
      embedders !== undefined &&
      (await embeddedInDefaultSpace(db, embedders, version)),
  });
  const { runs: embeddingBound, space } = await bindEmbeddingRuns(
    db,
    embedders,
    version,
    requested,
    options.resolveVersion ?? numericVersionRef,
  );
  const runs = await bindJudgeRuns(
    db,
    await bindLanguageModelRuns(embedders, embeddingBound),
    options.resolveVersion ?? numericVersionRef,
  );
  const passes = runs.some((run) => run.metric.prepass?.(run.params)) ? 2 : 1;
  const payload: ComputePayload = {
    versionId,
    metrics: runs.map((r) => ({ key: r.metric.key, params: r.params })),
    ...(space ? { spaceId: space.id } : {}),
  };
  return enqueueJob(db, {
    kind: COMPUTE_METRICS,
    payload,
    progressTotal: version.sampleCount * passes,
  });
}

interface ActiveRun extends ResolvedMetricRun {
  resultId: number;
  accumulator: Accumulator<unknown>;
  state: unknown;
  prepass?: Prepass<unknown, unknown>;
  prepassState?: unknown;
  /** Set when update/finalize threw: the run stops and is recorded FAILED with this reason. */
  failure?: string;
  /** Its index among the runs of the job's metric thread; undefined: it runs on the main thread. */
  threadIndex?: number;
}

/** Skipped samples listed in a result's details (the count is always there). */
const MAX_LISTED_SKIPS = 100;

let defaultThreads: MetricThreads | null = null;
/** The process's metric threads when the caller names none (tests, the CLI). */
function defaultMetricThreads(): MetricThreads {
  return (defaultThreads ??= new MetricThreads(DEFAULT_METRIC_THREADS));
}

/** The job's handler; `embedders` also holds the causal language models of perplexity and IFD. */
export function computeMetricsHandler(
  embedders?: EmbedderRegistry,
  threads?: MetricThreads,
): (context: JobContext) => Promise<Record<string, unknown>> {
  return (context) => runComputeMetricsJob(context, embedders, threads);
}

export async function runComputeMetricsJob(
  context: JobContext,
  embedders?: EmbedderRegistry,
  threads: MetricThreads = defaultMetricThreads(),
): Promise<Record<string, unknown>> {
  try {
    return await computeMetrics(context, embedders, threads);
  } catch (error) {
    // The attempt failed (it may be retried, which sets the rows RUNNING again): never leave a
    // result looking as if it were still being computed.
    await context.database.db
      .update(metricResults)
      .set({
        status: 'FAILED',
        statusReason: `the job's attempt ${context.job.attempts} failed: ${(error as Error).message}`,
        computedAt: sql`now()`,
      })
      .where(sql`${metricResults.jobId} = ${context.job.id} and ${metricResults.status} = 'RUNNING'`)
      .catch(() => undefined);
    throw error;
  }
}

async function computeMetrics(
  context: JobContext,
  embedders: EmbedderRegistry | undefined,
  threads: MetricThreads,
): Promise<Record<string, unknown>> {
  const { database, job, signal } = context;
  const payload = payloadOf(COMPUTE_METRICS, job);
  const db = database.db;
  const [version] = await findVersionsByIds(db, [payload.versionId]);
  if (!version) throw new NotFoundError(`version ${payload.versionId} no longer exists`);

  const spaceId = payload.spaceId ?? null;
  const [space] = spaceId === null ? [null] : await findSpacesByIds(db, [spaceId]);
  if (space === undefined) throw new NotFoundError(`embedding space ${spaceId} no longer exists`);
  const environment: MetricEnvironment = {
    ...databaseEnvironment(database, space, version.id, version.sampleCount),
    ...(embedders ? { languageModel: (name: string) => embedders.languageModel(name) } : {}),
    judge: (params) => openJudgeConnection(db, params, signal),
  };

  const runs: ActiveRun[] = [];
  for (const requested of payload.metrics) {
    const metric = requireMetric(requested.key);
    const params = resolveParams(metric, requested.params);
    const definition = await definitionRowFor(db, metric);
    const hash = metricParamsHash(metric, params);
    const resultId = await openResultRow(
      db,
      version.id,
      definition.id,
      job.id,
      params,
      hash,
      readsEmbeddings(metric) ? spaceId : null,
    );
    runs.push({
      metric,
      params,
      paramsHash: hash,
      resultId,
      accumulator: null!,
      state: null,
      prepass: metric.prepass?.(params),
    });
  }

  const passes = runs.some((run) => run.prepass) ? 2 : 1;
  // Judge runs wait on an endpoint per sample: smaller batches keep progress and cancel prompt.
  const batchSize = runs.some((run) => run.metric.input === 'judge') ? JUDGE_BATCH_SIZE : METRIC_BATCH_SIZE;

  // Text metrics run in a worker thread (./metricThreads.ts); the rest here.
  const threaded = runs.filter((run) => threads.runsInThread(run.metric));
  threaded.forEach((run, index) => (run.threadIndex = index));
  const replay: SampleReplay = async function* (beforeOrdinal) {
    for await (const batch of streamVersionSamples(db, version.id, batchSize)) {
      const kept = beforeOrdinal === null ? batch : batch.filter((sample) => sample.ordinal < beforeOrdinal);
      if (kept.length > 0) yield kept;
      if (kept.length < batch.length) return;
    }
  };
  const session =
    threaded.length > 0
      ? await ThreadedRuns.start(threads, threaded, version.sampleCount, replay, signal)
      : null;

  /** Runs a step of the thread; null when the job's signal terminated the thread during it. */
  async function inThread<T>(step: () => Promise<T>): Promise<{ value: T } | null> {
    try {
      return { value: await step() };
    } catch (error) {
      if (error instanceof ThreadAbortedError) return null;
      throw error;
    }
  }

  /** Copies the failures the thread reported to the runs. */
  function threadFailures(): void {
    if (!session) return;
    for (const run of threaded) run.failure ??= session.failures[run.threadIndex!];
  }

  const runPasses = async (): Promise<Record<string, unknown>> => {
    const total = version.sampleCount * passes;
    let done = 0;
    context.reportProgress(0, total);

    let stoppedInPrepass = false;
    if (passes === 2) {
      for (const run of runs)
        if (run.prepass && run.threadIndex === undefined) run.prepassState = run.prepass.init();
      const threadPrepass = threaded.some((run) => run.prepass);
      for await (const batch of streamVersionSamples(db, version.id, batchSize, spaceId)) {
        if (session && threadPrepass) {
          if (!(await inThread(() => session.prepass(batch)))) {
            stoppedInPrepass = true;
            break;
          }
          threadFailures();
        }
        for (const run of runs) {
          if (!run.prepass || run.failure || run.threadIndex !== undefined) continue;
          try {
            run.prepass.update(run.prepassState, batch);
          } catch (error) {
            run.failure = `prepass failed: ${(error as Error).message}`;
          }
        }
        done += batch.length;
        context.reportProgress(done, total);
        if (signal.aborted) {
          stoppedInPrepass = true;
          break;
        }
      }
    }

    if (session && !stoppedInPrepass) {
      if (!(await inThread(() => session.create()))) stoppedInPrepass = true;
      threadFailures();
    }
    for (const run of runs) {
      if (run.failure || stoppedInPrepass || run.threadIndex !== undefined) continue;
      try {
        run.accumulator = run.metric.create(
          run.params,
          run.prepass ? run.prepass.result(run.prepassState) : undefined,
          environment,
        );
        run.state = run.accumulator.init();
      } catch (error) {
        run.failure = `could not start: ${(error as Error).message}`;
      }
    }

    let processed = 0;
    let stoppedMidBatch = false;
    let leaseLost = false;
    if (!stoppedInPrepass) {
      for await (const batch of streamVersionSamples(db, version.id, batchSize, spaceId)) {
        const threadStep =
          session && threaded.some((run) => !run.failure)
            ? await inThread(() => session.update(batch))
            : { value: null };
        // The job was stopped mid-batch: the batch counts for no metric, as on a judge's stop.
        if (!threadStep) {
          stoppedMidBatch = true;
          break;
        }
        const threadReply = threadStep.value;
        threadFailures();
        for (const run of runs) {
          if (run.failure) continue;
          if (run.threadIndex !== undefined) {
            const values = threadReply?.values[run.threadIndex] ?? [];
            if (values.length === 0) continue;
            const written = await withLease(context.database, context.job.id, context.owner, (tx) =>
              writeSampleScores(tx, run.resultId, batch, values),
            );
            if (!written.held) {
              leaseLost = true;
              break;
            }
            continue;
          }
          const values: SampleValue[] = [];
          try {
            await run.accumulator.update(run.state, batch, (value) => values.push(value));
          } catch (error) {
            // A judge stops issuing requests when the job is stopped: that is a stop, not a failure.
            if (signal.aborted) {
              stoppedMidBatch = true;
              break;
            }
            run.failure = `failed on the batch starting at ordinal ${batch[0]!.ordinal}: ${(error as Error).message}`;
            continue;
          }
          if (values.length > 0) {
            // Fenced on the lease (review F18): a worker that lost the job to another writes nothing.
            const written = await withLease(context.database, context.job.id, context.owner, (tx) =>
              writeSampleScores(tx, run.resultId, batch, values),
            );
            if (!written.held) {
              leaseLost = true;
              break;
            }
          }
        }
        if (stoppedMidBatch || leaseLost) break;
        processed += batch.length;
        done += batch.length;
        context.reportProgress(done, total);
        if (signal.aborted) break;
      }
    }

    const stop = context.stopReason();
    if (leaseLost || stop === 'lease-lost') return { stopped: 'lease-lost' };
    const complete = !stop && processed === version.sampleCount;
    const threadOutcomes =
      session && !stoppedInPrepass && !session.stopped && threaded.some((run) => !run.failure)
        ? ((await inThread(() => session.finalize()))?.value ?? [])
        : [];
    threadFailures();
    // The signal terminated the thread (mid-sample, say): its runs' accumulators are gone.
    const threadLost = session?.stopped === true;
    const summary: Array<Record<string, unknown>> = [];
    for (const run of runs) {
      let outcome: MetricOutcome | null = null;
      const skipped: SkippedSample[] =
        run.threadIndex === undefined || !session ? [] : session.skipped[run.threadIndex]!;
      if (run.threadIndex !== undefined) {
        outcome = run.failure ? null : (threadOutcomes[run.threadIndex] ?? null);
        if (outcome && skipped.length > 0) outcome = withSkips(outcome, skipped);
      } else if (!run.failure && !stoppedInPrepass) {
        try {
          outcome = await run.accumulator.finalize(run.state);
        } catch (error) {
          run.failure = `finalize failed: ${(error as Error).message}`;
        }
      }
      // Its accumulator went with the thread: the samples done are stored, the value is not known.
      const lost =
        threadLost && !stoppedInPrepass && run.threadIndex !== undefined && !run.failure && outcome === null;
      const status = run.failure
        ? 'FAILED'
        : !complete || lost
          ? 'PARTIAL'
          : outcome!.value === null
            ? 'FAILED'
            : skipped.length > 0
              ? 'PARTIAL'
              : 'COMPLETE';
      const reason = run.failure
        ? run.failure
        : !complete || lost
          ? `${stop ?? context.stopReason() ?? 'stopped'} after ${processed} of ${version.sampleCount} samples${stoppedInPrepass ? ' (during the prepass)' : ''}${lost ? '; the metric thread was stopped mid-batch, so no value' : ''}${skipped.length > 0 ? `; ${skipNote(skipped)}` : ''}`
          : outcome!.value === null || skipped.length === 0
            ? (outcome!.reason ?? null)
            : skipNote(skipped);
      const scored = processed - new Set(skipped.map((s) => s.ordinal)).size;
      await closeResultRow(db, run.resultId, status, reason, scored, run.params, outcome);
      summary.push({
        key: run.metric.key,
        resultId: run.resultId,
        status,
        value: outcome?.value ?? null,
        reason,
      });
    }
    return { versionId: version.id, samples: version.sampleCount, processed, results: summary };
  };

  try {
    return await runPasses();
  } finally {
    await session?.close();
  }
}

/** "2 samples left out (ordinals 3, 9): exceeded the per-sample time budget of 10000 ms". */
function skipNote(skipped: readonly SkippedSample[]): string {
  const ordinals = [...new Set(skipped.map((s) => s.ordinal))].sort((a, b) => a - b);
  const listed = ordinals.slice(0, 10).join(', ') + (ordinals.length > 10 ? ', ...' : '');
  const reasons = [...new Set(skipped.map((s) => s.reason))].join('; ');
  return `${ordinals.length} sample${ordinals.length === 1 ? '' : 's'} left out (ordinal${ordinals.length === 1 ? '' : 's'} ${listed}): ${reasons}`;
}

/** The outcome with the samples it left out in its details. */
function withSkips(outcome: MetricOutcome, skipped: readonly SkippedSample[]): MetricOutcome {
  return {
    ...outcome,
    details: {
      ...outcome.details,
      skippedSampleCount: skipped.length,
      skippedSamples: skipped.slice(0, MAX_LISTED_SKIPS),
    },
  };
}

async function openResultRow(
  db: Executor,
  versionId: number,
  definitionId: number,
  jobId: number,
  params: Record<string, number | string>,
  hash: string,
  spaceId: number | null,
): Promise<number> {
  const [row] = await db
    .insert(metricResults)
    .values({
      versionId,
      definitionId,
      params,
      paramsHash: hash,
      status: 'RUNNING',
      jobId,
      spaceId,
      seed: typeof params.seed === 'number' ? params.seed : null,
    })
    .onConflictDoUpdate({
      target: [metricResults.jobId, metricResults.definitionId, metricResults.paramsHash],
      set: { status: 'RUNNING', statusReason: null, samplesDone: 0, value: null, computedAt: null },
    })
    .returning({ id: metricResults.id });
  return row!.id;
}

async function closeResultRow(
  db: Executor,
  resultId: number,
  status: 'COMPLETE' | 'PARTIAL' | 'FAILED',
  reason: string | null,
  processed: number,
  params: Record<string, number | string>,
  outcome: MetricOutcome | null,
): Promise<void> {
  await db
    .update(metricResults)
    .set({
      status,
      statusReason: reason,
      value: outcome?.value ?? null,
      n: outcome?.n ?? null,
      samplesDone: processed,
      estimator: outcome?.estimator ?? null,
      sampleSize: outcome?.sampleSize ?? null,
      seed: typeof params.seed === 'number' ? params.seed : null,
      details: outcome?.details ?? {},
      computedAt: sql`now()`,
    })
    .where(sql`${metricResults.id} = ${resultId}`);
}

/** Upserts, so a repeated batch (a retried job) overwrites instead of duplicating. */
async function writeSampleScores(
  db: Executor,
  resultId: number,
  batch: readonly StoredMetricSample[],
  values: readonly SampleValue[],
): Promise<void> {
  const idByOrdinal = new Map(batch.map((s) => [s.ordinal, s.id]));
  const rows = values.map((v) => {
    const sampleId = idByOrdinal.get(v.ordinal);
    if (sampleId === undefined)
      throw new Error(`metric emitted a value for ordinal ${v.ordinal}, which is not in the batch`);
    if (!Number.isFinite(v.value))
      throw new Error(`metric emitted a non-finite value for ordinal ${v.ordinal}`);
    return { s: sampleId, v: v.value, d: v.details ?? null };
  });
  await upsertScores(db, resultId, rows);
}

export async function upsertScores(
  db: Executor,
  resultId: number,
  rows: ReadonlyArray<{ s: number; v: number; d: Record<string, unknown> | null }>,
): Promise<void> {
  if (rows.length === 0) return;
  // One jsonb parameter for the whole batch (the builder's insert would bind 4 per row).
  const { resultId: result, sampleId, value, details } = sampleScores;
  await db.execute(sql`
    insert into ${sampleScores} (${names(result, sampleId, value, details)})
    select ${resultId}, t.s, t.v, t.d from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as t(s bigint, v float8, d jsonb)
    on conflict (${names(result, sampleId)}) do update
      set ${names(value)} = excluded.${names(value)}, ${names(details)} = excluded.${names(details)}`);
}
