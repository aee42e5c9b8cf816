/**
 * complexity.length: whitespace tokens per sample (design section 4), summarised as mean, median,
 * p90, min, max and total. Neither long nor short is better in itself, so the direction is NEUTRAL.
 */
import { intMeanAccumulator } from '../distribution.js';
import {
  FIELD_PARAM,
  sampleText,
  whitespaceTokens,
  type MetricDefinition,
  type TextField,
} from '../types.js';

export type LengthParams = { field: TextField };

export const textLength: MetricDefinition<LengthParams> = {
  key: 'complexity.length',
  axis: 'COMPLEXITY',
  version: 1,
  direction: 'NEUTRAL',
  description:
    'Length in whitespace tokens (text.trim().split(/\\s+/), empty text = 0) of the chosen field. ' +
    'Value: mean tokens per sample. Details: mean, median and p90 (type-7 linear interpolation, as numpy.quantile), ' +
    'min, max and totalTokens. n = samples.',
  citation: 'Descriptive statistic (whitespace tokens, design section 4).',
  params: { field: FIELD_PARAM },
  sampleValue: 'Whitespace tokens in the sample text.',
  exactMerge: true,
  create: (params) =>
    intMeanAccumulator((sample) => whitespaceTokens(sampleText(sample, params.field)).length, 'totalTokens'),
};
