/**
 * diversity.self_repetition (Salkar et al. 2022; Shaib et al. 2024), n = 4 fixed: for each sample,
 * s = sum over its UNIQUE 4-grams of the number of OTHER samples containing that 4-gram; the
 * score is the mean over samples of ln(1 + s). Samples with fewer than 4 tokens have no 4-grams:
 * they score ln(1 + 0) = 0 and count in the mean.
 *
 * A prepass builds the document frequency of every 4-gram (each sample counts a 4-gram once;
 * shard tables merge by adding). The main pass then computes s = sum of (df - 1) over the
 * sample's unique 4-grams, emits ln(1 + s) per sample and accumulates the mean. The sum is kept
 * as an exact floating-point expansion (Shewchuk, as Python's math.fsum), so the result is the
 * correctly rounded sum whatever the sharding: merged shards give bit-identical values.
 */
import { ExactSum } from '../exactSum.js';
import { FingerprintSet, NgramTable, PairBuffer, TokenHashBuffer, appendNgrams } from '../ngramTable.js';
import {
  FIELD_PARAM,
  sampleText,
  whitespaceTokens,
  type MetricDefinition,
  type MetricOutcome,
  type MetricSample,
  type SampleValueSink,
  type TextField,
} from '../types.js';

export type SelfRepetitionParams = { field: TextField };

const N = 4;

/**
 * Appends the sample's unique 4-grams to `out` (none when it has fewer than 4 tokens); returns
 * how many. `tokenHashes`, `ngrams` and `seen` are scratch.
 */
function appendUniqueFourGrams(
  sample: MetricSample,
  field: TextField,
  scratch: { tokenHashes: TokenHashBuffer; ngrams: PairBuffer; seen: FingerprintSet },
  out: PairBuffer,
): number {
  const tokens = whitespaceTokens(sampleText(sample, field));
  if (tokens.length < N) return 0;
  const { tokenHashes, ngrams, seen } = scratch;
  tokenHashes.reset();
  tokenHashes.pushTokens(tokens);
  ngrams.reset();
  appendNgrams(tokenHashes, N, ngrams);
  seen.clear();
  const before = out.length;
  for (let i = 0; i < ngrams.length; i++) {
    const hi = ngrams.hi[i]!;
    const lo = ngrams.lo[i]!;
    if (seen.add(hi, lo)) out.push(hi, lo);
  }
  return out.length - before;
}

function newScratch() {
  return { tokenHashes: new TokenHashBuffer(), ngrams: new PairBuffer(), seen: new FingerprintSet() };
}

/** Fingerprints buffered before a bulk insert or lookup (bounds the scratch memory of huge batches). */
const FLUSH_AT = 1 << 16;

interface DocumentFrequencyState {
  df: NgramTable;
}

interface SelfRepetitionState {
  sum: ExactSum;
  samples: number;
  /** Samples with at least one 4-gram. */
  withNgrams: number;
}

export const selfRepetition: MetricDefinition<SelfRepetitionParams, SelfRepetitionState, NgramTable> = {
  key: 'diversity.self_repetition',
  axis: 'DIVERSITY',
  version: 1,
  direction: 'LOWER_IS_BETTER',
  description:
    'Self-repetition with n = 4 (fixed): for each sample, s = sum over its unique 4-grams (whitespace tokens) of ' +
    'the number of other samples containing that 4-gram; the value is the mean over all samples of ln(1 + s). ' +
    'Samples with fewer than 4 tokens score 0 and count in the mean. Higher = more repetitive.',
  citation:
    'Salkar et al. 2022, On the Role of Self-Repetition in Abstractive Neural Summarizers; ' +
    'Shaib et al. 2024, Standardizing the Measurement of Text Diversity (arXiv 2403.00553)',
  params: { field: FIELD_PARAM },
  sampleValue:
    "ln(1 + s), where s = sum over the sample's unique 4-grams of the number of other samples containing that " +
    '4-gram (0 when the sample shares no 4-gram or has fewer than 4 tokens).',
  exactMerge: true,
  prepass(params) {
    const field = params.field;
    const scratch = newScratch();
    const unique = new PairBuffer(4096);
    return {
      init: (): DocumentFrequencyState => ({ df: new NgramTable() }),
      update(state: DocumentFrequencyState, batch: readonly MetricSample[]) {
        for (const sample of batch) {
          appendUniqueFourGrams(sample, field, scratch, unique);
          if (unique.length >= FLUSH_AT) {
            state.df.addAll(unique);
            unique.reset();
          }
        }
        state.df.addAll(unique);
        unique.reset();
      },
      merge(left: DocumentFrequencyState, right: DocumentFrequencyState): DocumentFrequencyState {
        return left.df.size >= right.df.size
          ? { df: left.df.mergeFrom(right.df) }
          : { df: right.df.mergeFrom(left.df) };
      },
      result: (state: DocumentFrequencyState) => state.df,
    };
  },
  create(params, prepared) {
    if (!prepared)
      throw new Error('diversity.self_repetition needs its prepass (4-gram document frequencies)');
    const df = prepared;
    const field = params.field;
    const scratch = newScratch();
    const unique = new PairBuffer(4096);
    let frequencies = new Float64Array(4096);
    /** Samples whose unique 4-grams are in `unique`, and where each one's run ends. */
    const pending: MetricSample[] = [];
    const ends: number[] = [];
    const flush = (state: SelfRepetitionState, emit: SampleValueSink) => {
      if (frequencies.length < unique.length) frequencies = new Float64Array(unique.length * 2);
      df.getAll(unique, frequencies);
      let start = 0;
      pending.forEach((sample, index) => {
        const end = ends[index]!;
        // df counts this sample too (and is >= 1 for every 4-gram of the prepassed samples).
        let s = 0;
        for (let i = start; i < end; i++) s += frequencies[i]! - 1;
        if (end > start) state.withNgrams++;
        start = end;
        const value = Math.log1p(s);
        state.sum.add(value);
        state.samples++;
        emit({ ordinal: sample.ordinal, value });
      });
      unique.reset();
      pending.length = 0;
      ends.length = 0;
    };
    return {
      init: () => ({ sum: new ExactSum(), samples: 0, withNgrams: 0 }),
      update(state, batch, emit) {
        for (const sample of batch) {
          appendUniqueFourGrams(sample, field, scratch, unique);
          pending.push(sample);
          ends.push(unique.length);
          if (unique.length >= FLUSH_AT) flush(state, emit);
        }
        flush(state, emit);
      },
      merge(left, right) {
        left.sum.addAll(right.sum);
        left.samples += right.samples;
        left.withNgrams += right.withNgrams;
        return left;
      },
      finalize(state): MetricOutcome {
        if (state.samples === 0) {
          return {
            value: null,
            reason: 'no samples',
            n: 0,
            estimator: 'EXACT',
            details: { ngramOrder: N, samplesWithNgrams: 0 },
          };
        }
        return {
          value: state.sum.value / state.samples,
          n: state.samples,
          estimator: 'EXACT',
          details: { ngramOrder: N, samplesWithNgrams: state.withNgrams },
        };
      },
    };
  },
};
