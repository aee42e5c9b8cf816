/** The messages between a metric job and its thread (./metricThreads.ts, ./metricThread.ts). */
import type { MetricOutcome, MetricSample, SampleValue } from '../metrics/types.js';

/** Which pass a marked sample belongs to (the first field of `markItem`). */
export const PHASE_PREPASS = 1;
export const PHASE_UPDATE = 2;
export const PHASE_FINALIZE = 3;

export interface ThreadRunSpec {
  key: string;
  params: Record<string, number | string>;
  /** Failed before: the thread leaves it alone. */
  failed: boolean;
  /** Ordinals left out of the prepass and of the main pass (they exceeded the budget there). */
  skipPrepass: number[];
  skipUpdate: number[];
}

export type MetricThreadRequest =
  | { type: 'start'; runs: ThreadRunSpec[]; sampleCount: number }
  | { type: 'prepass'; batch: MetricSample[] }
  | { type: 'create' }
  | { type: 'update'; batch: MetricSample[]; emit: boolean }
  /** Finalizes one run (each has its own finalize budget) and drops its state. */
  | { type: 'finalize'; run: number };

/** A run that threw: its index and the message. */
export type RunFailure = [run: number, message: string];

export interface UpdateReply {
  values: SampleValue[][];
  failures: RunFailure[];
}

export interface FinalizeReply {
  outcome: MetricOutcome | null;
  /** Why its finalize threw. */
  failure?: string;
}

export interface MetricThreadData {
  /** Modules to import before the first request (they register extra metrics, e.g. in tests). */
  modules: string[];
}
