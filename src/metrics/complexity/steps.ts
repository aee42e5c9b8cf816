/**
 * complexity.steps: reasoning steps per sample, counted as the non-empty lines of the text
 * (lines split on \r?\n, each trimmed; blank lines are not steps). Value: mean steps per sample.
 * For TInt traces this is the trace length plus the answer line; quality.tint_trace_validity
 * reports the trace-specific counts (valid, wrong and missing lines).
 */
import { intMeanAccumulator } from '../distribution.js';
import { FIELD_PARAM, sampleText, type MetricDefinition, type TextField } from '../types.js';

export type StepsParams = { field: TextField };

/** Non-empty lines after trimming each line; lines are split on \r?\n. */
export function countSteps(text: string): number {
  let steps = 0;
  for (const line of text.split(/\r?\n/)) if (line.trim() !== '') steps++;
  return steps;
}

export const reasoningSteps: MetricDefinition<StepsParams> = {
  key: 'complexity.steps',
  axis: 'COMPLEXITY',
  version: 1,
  direction: 'NEUTRAL',
  description:
    'Reasoning steps = non-empty lines of the chosen field (split on \\r?\\n, each line trimmed, blank lines skipped). ' +
    'Value: mean steps per sample. Details: mean, median and p90 (type-7 linear interpolation, as numpy.quantile), ' +
    'min, max and totalSteps. n = samples.',
  citation: 'Line-per-step reasoning traces as in GSM8K solutions (Cobbe et al. 2021, arXiv 2110.14168).',
  params: { field: FIELD_PARAM },
  sampleValue: 'Non-empty lines (reasoning steps) in the sample text.',
  exactMerge: true,
  create: (params) =>
    intMeanAccumulator((sample) => countSteps(sampleText(sample, params.field)), 'totalSteps'),
};
