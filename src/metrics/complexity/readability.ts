/**
 * complexity.readability: Flesch–Kincaid grade level (Kincaid, Fishburne, Rogers & Chissom 1975)
 * with a documented, dependency-free counting heuristic:
 *
 *   grade = 0.39 * (words / sentences) + 11.8 * (syllables / words) - 15.59
 *
 * - words: whitespace tokens (design section 4) that contain at least one letter (\p{L});
 *   tokens such as "42", "=", "..." are not words.
 * - sentences: tokens that end a sentence, i.e. whose end is a run of [.!?]+ optionally followed
 *   by closing quotes or brackets (" ' ” ’ ) ]); the last token of the text is a token like any
 *   other. At least 1 when the text has a word. Abbreviations ("e.g.") count as sentence ends.
 * - syllables of a word: lowercase, keep the letters a-z (so surrounding punctuation drops out);
 *   count maximal runs of the vowels [aeiouy]; subtract 1 for a silent final 'e' (the word ends
 *   in 'e' but not in 'le', and the count is above 1); at least 1 per word.
 *
 * Samples without a word get no grade: they are skipped (details.skipped) and n counts the
 * graded samples. Value: mean grade over graded samples.
 */
import { trailingRunStart } from '../trailingRun.js';
import { FloatDistribution, summaryDetails } from '../distribution.js';
import {
  FIELD_PARAM,
  sampleText,
  whitespaceTokens,
  type Accumulator,
  type MetricDefinition,
  type MetricOutcome,
  type TextField,
} from '../types.js';

export type ReadabilityParams = { field: TextField };

export interface ReadabilityCounts {
  words: number;
  sentences: number;
  syllables: number;
}

const HAS_LETTER = /\p{L}/u;
/** Closing quotes and brackets that may follow a sentence's final punctuation. */
const CLOSER = /["'\u201d\u2019)\]]/;
const SENTENCE_PUNCTUATION = /[.!?]/;
const VOWEL_RUNS = /[aeiouy]+/g;

/**
 * True when the token ends with . ! or ? and then any closing quotes or brackets: what
 * /[.!?]+["'\u201d\u2019)\]]*$/ tests, in linear time (see trailingRun.ts). The two sets are
 * disjoint, so the closers are exactly the trailing run of them.
 */
function endsSentence(token: string): boolean {
  const beforeClosers = trailingRunStart(token, CLOSER);
  return beforeClosers > 0 && SENTENCE_PUNCTUATION.test(token[beforeClosers - 1]!);
}

/** Syllables of one word by the vowel-group heuristic above (at least 1). */
export function countSyllables(word: string): number {
  const letters = word.toLowerCase().replace(/[^a-z]/g, '');
  let count = letters.match(VOWEL_RUNS)?.length ?? 0;
  if (count > 1 && letters.endsWith('e') && !letters.endsWith('le')) count--;
  return Math.max(1, count);
}

/** Words, sentences and syllables of a text as counted for the grade. */
export function readabilityCounts(text: string): ReadabilityCounts {
  let words = 0;
  let sentences = 0;
  let syllables = 0;
  for (const token of whitespaceTokens(text)) {
    if (endsSentence(token)) sentences++;
    if (HAS_LETTER.test(token)) {
      words++;
      syllables += countSyllables(token);
    }
  }
  return { words, sentences: words > 0 ? Math.max(1, sentences) : sentences, syllables };
}

/** Flesch–Kincaid grade level of the counts; null when there is no word. */
export function fleschKincaidGrade(counts: ReadabilityCounts): number | null {
  if (counts.words === 0) return null;
  return 0.39 * (counts.words / counts.sentences) + 11.8 * (counts.syllables / counts.words) - 15.59;
}

interface ReadabilityState {
  grades: FloatDistribution;
  skipped: number;
}

function createAccumulator(params: ReadabilityParams): Accumulator<ReadabilityState> {
  return {
    init: () => ({ grades: new FloatDistribution(), skipped: 0 }),
    update(state, batch, emit) {
      for (const sample of batch) {
        const counts = readabilityCounts(sampleText(sample, params.field));
        const grade = fleschKincaidGrade(counts);
        if (grade === null) {
          state.skipped++;
          continue;
        }
        state.grades.add(grade);
        emit({ ordinal: sample.ordinal, value: grade, details: { ...counts } });
      }
    },
    merge(left, right) {
      left.grades.merge(right.grades);
      left.skipped += right.skipped;
      return left;
    },
    finalize(state): MetricOutcome {
      const summary = state.grades.summary();
      if (summary.count === 0) {
        return {
          value: null,
          reason: state.skipped === 0 ? 'no samples' : 'no sample has a word',
          n: 0,
          estimator: 'EXACT',
          details: { skipped: state.skipped },
        };
      }
      return {
        value: summary.mean,
        n: summary.count,
        estimator: 'EXACT',
        details: {
          ...summaryDetails(summary),
          skipped: state.skipped,
          quantileResolution: FloatDistribution.RESOLUTION,
        },
      };
    },
  };
}

export const readability: MetricDefinition<ReadabilityParams> = {
  key: 'complexity.readability',
  axis: 'COMPLEXITY',
  version: 1,
  direction: 'NEUTRAL',
  description:
    'Flesch-Kincaid grade level per sample, 0.39 * words/sentences + 11.8 * syllables/words - 15.59, with a heuristic count: ' +
    'words = whitespace tokens containing a letter; sentences = tokens ending in a run of [.!?] (optionally followed by closing ' +
    'quotes/brackets), at least 1; syllables = runs of vowels [aeiouy] in the lowercased a-z letters of a word, minus 1 for a ' +
    "final silent 'e' (not 'le', when above 1), at least 1. Samples without a word are skipped (details.skipped). " +
    'Value: mean grade over graded samples (exact). Median and p90 are type-7 quantiles of grades rounded to 0.001 ' +
    '(details.quantileResolution), so within 0.0005 of the exact quantiles.',
  citation:
    'Kincaid, Fishburne, Rogers & Chissom 1975, "Derivation of New Readability Formulas for Navy Enlisted Personnel", ' +
    "Research Branch Report 8-75; syllable and sentence counts are this project's heuristic.",
  params: { field: FIELD_PARAM },
  sampleValue: 'Flesch-Kincaid grade of the sample text (samples without a word have none).',
  exactMerge: true,
  create: (params) => createAccumulator(params),
};
