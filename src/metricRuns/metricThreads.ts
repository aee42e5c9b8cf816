/**
 * Text metrics of a `metrics.compute` job run in a worker thread, not on the main thread: a slow
 * sample then never stalls the API, which shares the main thread's event loop. The main thread
 * keeps the database work (streaming the samples, writing values and results); the thread holds
 * the accumulators (./metricThread.ts).
 *
 * Each sample has a time budget in each pass. When one runs past it, the thread is terminated
 * (its accumulators with it), the sample is left out of that run from then on, and a fresh thread
 * is rebuilt by replaying the samples before the current batch (read again from the database,
 * without writing their values a second time); then the batch is done again. The run ends
 * PARTIAL and names the samples it left out, and the job succeeds instead of failing on every
 * attempt (a poison job).
 *
 * Each run's `finalize` has a budget too (self-BLEU's and ROUGE-L's pairwise passes are
 * quadratic in their subset): past it the thread is terminated, that run is recorded FAILED, and
 * a fresh thread is rebuilt by replaying every sample for the runs not yet finalized.
 *
 * The job's AbortSignal (cancel, shutdown, a lost lease) terminates the thread at once, even in
 * the middle of a sample; the runs' accumulators are then gone (`stopped`), and the job records
 * the samples of the batches done before it.
 *
 * Metrics that read embeddings, a causal language model or a judge stay on the main thread: they
 * need the database (neighbour search), native model sessions or HTTP connections.
 */
import type { Config } from '../config.js';
import type { MetricDefinition, MetricOutcome, MetricSample } from '../metrics/types.js';
import { BudgetExceededError, ThreadAbortedError, ThreadPool, type PooledThread } from '../threads/pool.js';
import {
  PHASE_FINALIZE,
  PHASE_PREPASS,
  type FinalizeReply,
  type MetricThreadData,
  type MetricThreadRequest,
  type RunFailure,
  type ThreadRunSpec,
  type UpdateReply,
} from './metricThreadProtocol.js';

export interface MetricThreadOptions {
  /** false: every metric runs on the main thread, as before threads (benchmarks compare the two). */
  enabled: boolean;
  /** Longest time one sample may take in one run's pass before it is left out (ms). */
  sampleBudgetMs: number;
  /** Longest time one run's finalize may take before that run is recorded FAILED (ms; default 5 min). */
  finalizeBudgetMs?: number;
  /** Module URLs each thread imports first, to register metrics of its own (tests). */
  modules?: string[];
}

export const DEFAULT_SAMPLE_BUDGET_MS = 10_000;
export const DEFAULT_FINALIZE_BUDGET_MS = 300_000;

export const DEFAULT_METRIC_THREADS: MetricThreadOptions = {
  enabled: true,
  sampleBudgetMs: DEFAULT_SAMPLE_BUDGET_MS,
  finalizeBudgetMs: DEFAULT_FINALIZE_BUDGET_MS,
};

/**
 * The metric threads the configuration asks for (QDC_METRIC_THREADS, QDC_JOB_SAMPLE_BUDGET_MS,
 * QDC_JOB_FINALIZE_BUDGET_MS).
 */
export function metricThreadsOf(
  config: Pick<Config, 'metricThreads' | 'jobSampleBudgetMs' | 'jobFinalizeBudgetMs'>,
): MetricThreads {
  return new MetricThreads({
    enabled: config.metricThreads,
    sampleBudgetMs: config.jobSampleBudgetMs,
    finalizeBudgetMs: config.jobFinalizeBudgetMs,
  });
}

/** The threads of one set of job handlers, kept between jobs; created on first use. */
export class MetricThreads {
  private pool: ThreadPool | null = null;

  constructor(readonly options: MetricThreadOptions) {}

  /** Whether this metric runs in a thread: text metrics do, when threads are on. */
  runsInThread(metric: MetricDefinition): boolean {
    return this.options.enabled && (metric.input ?? 'text') === 'text';
  }

  acquire(): PooledThread {
    this.pool ??= new ThreadPool({
      module: new URL('./metricThread.ts', import.meta.url),
      data: { modules: this.options.modules ?? [] } satisfies MetricThreadData,
    });
    return this.pool.acquire();
  }

  release(thread: PooledThread): void {
    if (this.pool) this.pool.release(thread);
    else void thread.terminate();
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }
}

/** A sample left out of a run: where and why. */
export interface SkippedSample {
  ordinal: number;
  pass: 'prepass' | 'main';
  reason: string;
}

/** Reads the version's samples again, in batches, stopping before `beforeOrdinal` (null: all). */
export type SampleReplay = (beforeOrdinal: number | null) => AsyncIterable<readonly MetricSample[]>;

type Stage = 'started' | 'prepass' | 'main';

/** What a text metric reads of each sample (vectors and row ids stay behind). */
function textOnly(batch: readonly MetricSample[]): MetricSample[] {
  return batch.map(({ ordinal, contentHash, prompt, response, reference }) => ({
    ordinal,
    contentHash,
    prompt,
    response,
    reference,
  }));
}

/** One job's threaded runs: the same steps as the main thread's loop, each a request to the thread. */
export class ThreadedRuns {
  /** Per run: why it failed (it is then left alone), or undefined. */
  readonly failures: Array<string | undefined>;
  /** Per run: the samples it left out. */
  readonly skipped: SkippedSample[][];
  /** Per run: finalized already (a rebuilt thread leaves it alone). */
  private readonly finalized: boolean[];
  private thread: PooledThread;
  private stage: Stage = 'started';
  private readonly hasPrepass: boolean;
  private stoppedBySignal = false;

  private constructor(
    private readonly threads: MetricThreads,
    private readonly runs: ReadonlyArray<{ key: string; params: Record<string, number | string> }>,
    private readonly sampleCount: number,
    private readonly replay: SampleReplay,
    hasPrepass: boolean,
    /** Terminates the thread when aborted (undefined once a stopped job finalizes what it has). */
    private signal: AbortSignal | undefined,
  ) {
    this.finalized = runs.map(() => false);
    this.failures = runs.map(() => undefined);
    this.skipped = runs.map(() => []);
    this.hasPrepass = hasPrepass;
    this.thread = threads.acquire();
  }

  static async start(
    threads: MetricThreads,
    runs: ReadonlyArray<{ metric: MetricDefinition; params: Record<string, number | string> }>,
    sampleCount: number,
    replay: SampleReplay,
    signal?: AbortSignal,
  ): Promise<ThreadedRuns> {
    const session = new ThreadedRuns(
      threads,
      runs.map((run) => ({ key: run.metric.key, params: run.params })),
      sampleCount,
      replay,
      runs.some((run) => run.metric.prepass?.(run.params) !== undefined),
      signal,
    );
    try {
      await session.send({ type: 'start', runs: session.specs(), sampleCount });
    } catch (error) {
      await session.close();
      throw error;
    }
    return session;
  }

  get budgetMs(): number {
    return this.threads.options.sampleBudgetMs;
  }

  /** The signal terminated the thread: the runs' accumulators are gone. */
  get stopped(): boolean {
    return this.stoppedBySignal;
  }

  private specs(): ThreadRunSpec[] {
    return this.runs.map((run, r) => ({
      key: run.key,
      params: run.params,
      failed: this.failures[r] !== undefined || this.finalized[r]!,
      skipPrepass: this.skipped[r]!.filter((s) => s.pass === 'prepass').map((s) => s.ordinal),
      skipUpdate: this.skipped[r]!.map((s) => s.ordinal),
    }));
  }

  private async send<T>(request: MetricThreadRequest, budgetMs?: number): Promise<T> {
    try {
      return await this.thread.request<T>(request, budgetMs, this.signal);
    } catch (error) {
      if (error instanceof ThreadAbortedError) this.stoppedBySignal = true;
      throw error;
    }
  }

  private recordFailures(failures: readonly RunFailure[]): void {
    for (const [r, message] of failures) this.failures[r] ??= message;
  }

  async prepass(batch: readonly MetricSample[]): Promise<void> {
    this.stage = 'prepass';
    const failures = await this.budgeted<RunFailure[]>({ type: 'prepass', batch: textOnly(batch) }, batch);
    this.recordFailures(failures);
  }

  /** Creates the accumulators (after the prepass, when there is one). */
  async create(): Promise<void> {
    this.stage = 'main';
    this.recordFailures(await this.send<RunFailure[]>({ type: 'create' }));
  }

  /** Feeds one batch to every run; answers each run's per-sample values and the runs that threw. */
  async update(batch: readonly MetricSample[]): Promise<UpdateReply> {
    const reply = await this.budgeted<UpdateReply>(
      { type: 'update', batch: textOnly(batch), emit: true },
      batch,
    );
    this.recordUpdateFailures(reply, batch);
    return reply;
  }

  /**
   * Finalizes each run that has not failed, one request each under the finalize budget. A run past
   * it is recorded failed, and the thread is rebuilt (every sample replayed) for the runs after it.
   * After the signal stopped the job between batches, finalizing what was done still runs (as on
   * the main thread); only a signal that arrives during it stops it.
   */
  async finalize(): Promise<Array<MetricOutcome | null>> {
    if (this.signal?.aborted) this.signal = undefined;
    const outcomes: Array<MetricOutcome | null> = this.runs.map(() => null);
    const budgetMs = this.threads.options.finalizeBudgetMs ?? DEFAULT_FINALIZE_BUDGET_MS;
    for (let r = 0; r < this.runs.length; r++) {
      if (this.failures[r] !== undefined) continue;
      try {
        const reply = await this.send<FinalizeReply>({ type: 'finalize', run: r }, budgetMs);
        outcomes[r] = reply.outcome;
        if (reply.failure !== undefined) this.failures[r] ??= reply.failure;
        this.finalized[r] = true;
      } catch (error) {
        if (!(error instanceof BudgetExceededError) || error.fields[0] !== PHASE_FINALIZE) throw error;
        this.failures[r] ??=
          `finalize exceeded the time budget of ${budgetMs} ms (QDC_JOB_FINALIZE_BUDGET_MS)`;
        if (this.runs.some((_, later) => later > r && this.failures[later] === undefined))
          await this.rebuild(null);
      }
    }
    return outcomes;
  }

  /** Hands the thread back (for the next job) once the runs are finalized. */
  async close(): Promise<void> {
    if (this.thread.alive) this.threads.release(this.thread);
  }

  /** Terminates the thread (a stopped job's accumulators are not needed any more). */
  async abandon(): Promise<void> {
    await this.thread.terminate();
  }

  /**
   * Sends a request whose samples are budgeted. When one sample runs past the budget, it is left
   * out of its run, the thread is rebuilt up to this batch, and the request is sent again.
   */
  private async budgeted<T>(request: MetricThreadRequest, batch: readonly MetricSample[]): Promise<T> {
    for (;;) {
      try {
        return await this.send<T>(request, this.budgetMs);
      } catch (error) {
        if (!(error instanceof BudgetExceededError)) throw error;
        this.skip(error, batch);
        await this.rebuild(batch[0]!.ordinal);
      }
    }
  }

  private skip(error: BudgetExceededError, batch: readonly MetricSample[]): void {
    const [phase, r, i] = error.fields as [number, number, number];
    const sample = batch[i];
    if (sample === undefined || this.runs[r] === undefined)
      throw new Error(`a metric thread exceeded its budget on an unknown sample (${error.fields.join(',')})`);
    this.skipped[r]!.push({
      ordinal: sample.ordinal,
      pass: phase === PHASE_PREPASS ? 'prepass' : 'main',
      reason: `exceeded the per-sample time budget of ${error.budgetMs} ms`,
    });
  }

  /**
   * A fresh thread in the state the terminated one had before the batch starting at
   * `beforeOrdinal`: the prepass replayed (all of it when the main pass had begun), then the
   * main pass's earlier batches (all of them for `null`: a finalize ran past its budget), without
   * emitting values. A sample that runs past the budget
   * during the replay is left out too, and the replay starts over.
   */
  private async rebuild(beforeOrdinal: number | null): Promise<void> {
    for (;;) {
      await this.thread.terminate();
      this.thread = this.threads.acquire();
      let current: readonly MetricSample[] = [];
      try {
        await this.send({ type: 'start', runs: this.specs(), sampleCount: this.sampleCount });
        if (this.hasPrepass) {
          const bound = this.stage === 'prepass' ? beforeOrdinal : null;
          for await (const batch of this.replay(bound)) {
            current = batch;
            this.recordFailures(
              await this.send<RunFailure[]>({ type: 'prepass', batch: textOnly(batch) }, this.budgetMs),
            );
          }
        }
        if (this.stage === 'main') {
          this.recordFailures(await this.send<RunFailure[]>({ type: 'create' }));
          for await (const batch of this.replay(beforeOrdinal)) {
            current = batch;
            const reply = await this.send<UpdateReply>(
              { type: 'update', batch: textOnly(batch), emit: false },
              this.budgetMs,
            );
            this.recordUpdateFailures(reply, batch);
          }
        }
        return;
      } catch (error) {
        if (!(error instanceof BudgetExceededError)) throw error;
        this.skip(error, current);
      }
    }
  }

  private recordUpdateFailures(reply: UpdateReply, batch: readonly MetricSample[]): void {
    this.recordFailures(
      reply.failures.map(([r, message]): RunFailure => [
        r,
        `failed on the batch starting at ordinal ${batch[0]!.ordinal}: ${message}`,
      ]),
    );
  }
}
