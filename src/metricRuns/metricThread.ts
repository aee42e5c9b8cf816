/**
 * The inside of a metric thread (see ./metricThreads.ts): holds the accumulators of one job's text
 * metrics and feeds them the batches the main thread sends, one sample per `update` call so that
 * a sample that runs past the time budget is known by its position (`markItem`). Imports no
 * database code: it runs the pure metrics of src/metrics only.
 */
import { markIdle, markItem, serveThread, threadData } from '../threads/host.js';
import { requireMetric } from '../metrics/registry.js';
import type { Accumulator, MetricDefinition, Prepass, SampleValue } from '../metrics/types.js';
import {
  PHASE_FINALIZE,
  PHASE_PREPASS,
  PHASE_UPDATE,
  type FinalizeReply,
  type MetricThreadData,
  type MetricThreadRequest,
  type RunFailure,
  type UpdateReply,
} from './metricThreadProtocol.js';

interface ThreadRun {
  metric: MetricDefinition;
  params: Record<string, number | string>;
  failed: boolean;
  skipPrepass: Set<number>;
  skipUpdate: Set<number>;
  prepass?: Prepass<unknown, unknown>;
  prepassState?: unknown;
  accumulator?: Accumulator<unknown>;
  state?: unknown;
}

let runs: ThreadRun[] = [];
let sampleCount = 0;

async function handle(request: MetricThreadRequest): Promise<unknown> {
  switch (request.type) {
    case 'start': {
      sampleCount = request.sampleCount;
      runs = request.runs.map((spec) => {
        const metric = requireMetric(spec.key);
        const run: ThreadRun = {
          metric,
          params: spec.params,
          failed: spec.failed,
          skipPrepass: new Set(spec.skipPrepass),
          skipUpdate: new Set(spec.skipUpdate),
        };
        if (!run.failed) {
          run.prepass = metric.prepass?.(spec.params);
          run.prepassState = run.prepass?.init();
        }
        return run;
      });
      return null;
    }
    case 'prepass': {
      const failures: RunFailure[] = [];
      runs.forEach((run, r) => {
        if (run.failed || !run.prepass) return;
        try {
          request.batch.forEach((sample, i) => {
            if (run.skipPrepass.has(sample.ordinal)) return;
            markItem(PHASE_PREPASS, r, i);
            run.prepass!.update(run.prepassState, [sample]);
          });
        } catch (error) {
          run.failed = true;
          failures.push([r, `prepass failed: ${(error as Error).message}`]);
        }
      });
      markIdle();
      return failures;
    }
    case 'create': {
      const failures: RunFailure[] = [];
      runs.forEach((run, r) => {
        if (run.failed) return;
        try {
          run.accumulator = run.metric.create(
            run.params,
            run.prepass ? run.prepass.result(run.prepassState) : undefined,
            // Text metrics need nothing from the database; the rest stay on the main thread.
            { sampleCount },
          );
          run.state = run.accumulator.init();
        } catch (error) {
          run.failed = true;
          failures.push([r, `could not start: ${(error as Error).message}`]);
        }
      });
      return failures;
    }
    case 'update': {
      const reply: UpdateReply = { values: runs.map(() => []), failures: [] };
      for (let r = 0; r < runs.length; r++) {
        const run = runs[r]!;
        if (run.failed) continue;
        const values = reply.values[r]!;
        const emit = request.emit ? (value: SampleValue) => void values.push(value) : () => undefined;
        try {
          for (let i = 0; i < request.batch.length; i++) {
            const sample = request.batch[i]!;
            if (run.skipUpdate.has(sample.ordinal)) continue;
            markItem(PHASE_UPDATE, r, i);
            const pending = run.accumulator!.update(run.state, [sample], emit);
            if (pending) await pending;
          }
        } catch (error) {
          run.failed = true;
          reply.failures.push([r, (error as Error).message]);
        }
      }
      markIdle();
      return reply;
    }
    case 'finalize': {
      const run = runs[request.run];
      if (!run || run.failed) return { outcome: null } satisfies FinalizeReply;
      let reply: FinalizeReply;
      try {
        markItem(PHASE_FINALIZE, request.run, 0);
        reply = { outcome: await run.accumulator!.finalize(run.state) };
      } catch (error) {
        reply = { outcome: null, failure: `finalize failed: ${(error as Error).message}` };
      }
      markIdle();
      // Finalized: its state is not needed any more.
      run.failed = true;
      run.accumulator = undefined;
      run.state = undefined;
      run.prepassState = undefined;
      return reply;
    }
  }
}

for (const module of threadData<MetricThreadData>().modules) await import(module);
serveThread((message) => handle(message as MetricThreadRequest));
