/**
 * quality.heuristic_quality: the Gopher quality and repetition filters (Rae et al. 2021, "Scaling
 * Language Models: Methods, Analysis & Insights from Training Gopher", arXiv 2112.11446, appendix
 * A.1.1 and table A1), with the rules, measurements and defaults of datatrove's
 * GopherQualityFilter and GopherRepetitionFilter (huggingface/datatrove,
 * src/datatrove/pipeline/filters/gopher_{quality,repetition}_filter.py). A sample passes when it
 * fails no rule; every rule is evaluated so a sample reports all the rules it fails.
 *
 * Tokens. datatrove tokenises with NLTK's word_tokenize, which splits punctuation off words.
 * Without an NLP tokenizer we use: whitespace tokens (design section 4), each split into a
 * leading run of punctuation/symbol characters (Unicode \p{P} or \p{S}), the core, and a trailing
 * run — e.g. "(Hello," -> "(", "Hello", ","; "..." stays one token; "don't" and "3.5" stay whole.
 * "Words" are the tokens with a character outside \p{P}\p{S} (datatrove's non-symbol words).
 * Lengths are counted in code points, as Python's len. The tokenizer is gopherTokens.ts, the Python
 * str helpers pythonText.ts and the n-gram ids of the repetition rules ngramIds.ts.
 *
 * Quality rules (datatrove GopherQualityFilter):
 *   too_few_words / too_many_words     words < minWords (50) / words > maxWords (100000)
 *   short_ / long_mean_word_length      mean word length < 3 / > 10
 *   too_many_hashes / too_many_ellipses count('#') / tokens, (count('...') + count('…')) / tokens
 *                                       > maxSymbolWordRatio (0.1)
 *   too_many_bullet_lines               lines whose left-trimmed text starts with '•' or '-',
 *                                       / lines > 0.9 (lines as Python str.splitlines)
 *   too_many_ellipsis_lines             lines whose right-trimmed text ends with '...' or '…' > 0.3
 *   too_few_alpha_words                 tokens containing a letter (\p{L}) / tokens < 0.8
 *   too_few_stop_words                  tokens (case-sensitive, every occurrence) in {the, be,
 *                                       to, of, and, that, have, with} < 2
 * Repetition rules (datatrove GopherRepetitionFilter; "chars" are divided by the text's length):
 *   dup_paragraphs / dup_paragraph_chars  paragraphs = trimmed text split on \n{2,}; paragraphs
 *                                       equal to an earlier one / paragraphs > 0.3; their chars > 0.2
 *   dup_lines / dup_line_chars          lines = text split on \n+; same, > 0.3 and > 0.2
 *   top_{2,3,4}gram                     chars of the most frequent n-gram (tokens joined by one
 *                                       space; the first seen among ties) times its count
 *                                       > 0.20 / 0.18 / 0.16 (as datatrove, an n-gram seen once counts)
 *   dup_{5..10}gram                     scanning left to right, an n-gram seen before adds its
 *                                       tokens' chars (without separators) and the scan jumps n
 *                                       tokens, else it is recorded and the scan moves 1
 *                                       > 0.15 / 0.14 / 0.13 / 0.12 / 0.11 / 0.10
 * A rule whose denominator is zero (no tokens, no lines, empty text, no words for the mean
 * length) is not evaluated; an empty text still fails too_few_words and too_few_stop_words.
 * Thresholds are inclusive: a measurement equal to its threshold passes.
 * datatrove switches a rule off with a None/0 threshold; here a rule is switched off by setting its
 * threshold to the end of its range (a min of 0, a max of the parameter's maximum).
 */
import { FIELD_PARAM, sampleText } from '../types.js';
import type { Accumulator, MetricDefinition, MetricOutcome, ParamSchema, TextField } from '../types.js';
import { gopherTokens } from './gopherTokens.js';
import { NgramIds } from './ngramIds.js';
import { codePointLength, countOccurrences, splitLines } from './pythonText.js';

export type HeuristicQualityParams = {
  field: TextField;
  minWords: number;
  maxWords: number;
  minMeanWordLength: number;
  maxMeanWordLength: number;
  maxSymbolWordRatio: number;
  maxBulletLinesRatio: number;
  maxEllipsisLinesRatio: number;
  minAlphaWordsRatio: number;
  minStopWords: number;
  maxDupParagraphFraction: number;
  maxDupParagraphCharFraction: number;
  maxDupLineFraction: number;
  maxDupLineCharFraction: number;
  maxTop2gramCharFraction: number;
  maxTop3gramCharFraction: number;
  maxTop4gramCharFraction: number;
  maxDup5gramCharFraction: number;
  maxDup6gramCharFraction: number;
  maxDup7gramCharFraction: number;
  maxDup8gramCharFraction: number;
  maxDup9gramCharFraction: number;
  maxDup10gramCharFraction: number;
};

export const GOPHER_STOP_WORDS: ReadonlySet<string> = new Set([
  'the',
  'be',
  'to',
  'of',
  'and',
  'that',
  'have',
  'with',
]);
export const TOP_NGRAM_ORDERS = [2, 3, 4] as const;
export const DUP_NGRAM_ORDERS = [5, 6, 7, 8, 9, 10] as const;
/** N-gram ids are built order by order, from 2 up to this. */
const MAX_NGRAM_ORDER = Math.max(...TOP_NGRAM_ORDERS, ...DUP_NGRAM_ORDERS);

/** Rule names, in evaluation order. */
export const GOPHER_RULES = [
  'too_few_words',
  'too_many_words',
  'short_mean_word_length',
  'long_mean_word_length',
  'too_many_hashes',
  'too_many_ellipses',
  'too_many_bullet_lines',
  'too_many_ellipsis_lines',
  'too_few_alpha_words',
  'too_few_stop_words',
  'dup_paragraphs',
  'dup_paragraph_chars',
  'dup_lines',
  'dup_line_chars',
  ...TOP_NGRAM_ORDERS.map((n) => `top_${n}gram`),
  ...DUP_NGRAM_ORDERS.map((n) => `dup_${n}gram`),
] as const;

/** What the rules measure on one text; null where the denominator is zero. */
export interface GopherStats {
  tokens: number;
  words: number;
  meanWordLength: number | null;
  hashRatio: number | null;
  ellipsisRatio: number | null;
  bulletLinesRatio: number | null;
  ellipsisLinesRatio: number | null;
  alphaWordsRatio: number | null;
  stopWords: number;
  dupParagraphFraction: number;
  dupParagraphCharFraction: number | null;
  dupLineFraction: number;
  dupLineCharFraction: number | null;
  /** Keyed by n = 2, 3, 4; null when the text has fewer than n tokens or is empty. */
  topNgramCharFraction: Record<number, number | null>;
  /** Keyed by n = 5..10; null when the text is empty. */
  dupNgramCharFraction: Record<number, number | null>;
}

const ALL_SYMBOLS = /^[\p{P}\p{S}]+$/u;
const HAS_LETTER = /\p{L}/u;

/** Elements equal to an earlier element, and their total length (datatrove find_duplicates). */
function duplicates(elements: readonly string[]): { elements: number; chars: number } {
  const seen = new Set<string>();
  let count = 0;
  let chars = 0;
  for (const element of elements) {
    if (seen.has(element)) {
      count++;
      chars += codePointLength(element);
    } else {
      seen.add(element);
    }
  }
  return { elements: count, chars };
}

/**
 * Characters of the n tokens from `start` joined by single spaces, as codePointLength of the joined
 * string: `offsets` holds prefix sums of the tokens' code-point lengths, plus n - 1 spaces (a
 * surrogate pair cannot straddle a space, so the lengths add up).
 */
const joinedChars = (offsets: Float64Array, start: number, n: number): number =>
  offsets[start + n]! - offsets[start]! + n - 1;

/**
 * Characters of the most frequent n-gram (tokens joined by one space; the first seen among ties)
 * times its count; null with fewer than n tokens. An n-gram's first occurrence precedes its
 * others, so scanning positions and keeping the first strictly higher count visits the n-grams
 * in order of first occurrence, as iterating a Map of their counts would.
 */
function topNgramChars(ngrams: NgramIds, offsets: Float64Array): number | null {
  const { ids, positions, n } = ngrams;
  if (positions === 0) return null;
  const counts = ngrams.zeroedTally();
  for (let i = 0; i < positions; i++) counts[ids[i]!]!++;
  let bestStart = 0;
  let bestCount = 0;
  for (let i = 0; i < positions; i++) {
    if (counts[ids[i]!]! > bestCount) {
      bestStart = i;
      bestCount = counts[ids[i]!]!;
    }
  }
  return joinedChars(offsets, bestStart, n) * bestCount;
}

/** datatrove find_all_duplicate: characters (without separators) of repeated n-grams, skipping past each repeat. */
function duplicateNgramChars(ngrams: NgramIds, offsets: Float64Array): number {
  const { ids, positions, n } = ngrams;
  const seen = ngrams.zeroedTally();
  let chars = 0;
  let i = 0;
  while (i < positions) {
    if (seen[ids[i]!] === 1) {
      chars += offsets[i + n]! - offsets[i]!;
      i += n;
    } else {
      seen[ids[i]!] = 1;
      i++;
    }
  }
  return chars;
}

const ratio = (numerator: number, denominator: number): number | null =>
  denominator === 0 ? null : numerator / denominator;

export function gopherStats(text: string): GopherStats {
  const tokens = gopherTokens(text);
  const textLength = codePointLength(text);
  // Tokens are substrings of the text: without a surrogate pair in it, code points = UTF-16 units.
  const lengths = tokens.map(textLength === text.length ? (token) => token.length : codePointLength);

  let words = 0;
  let wordChars = 0;
  let alpha = 0;
  let stopWords = 0;
  tokens.forEach((token, i) => {
    if (!ALL_SYMBOLS.test(token)) {
      words++;
      wordChars += lengths[i]!;
    }
    if (HAS_LETTER.test(token)) alpha++;
    if (GOPHER_STOP_WORDS.has(token)) stopWords++;
  });

  const lines = splitLines(text);
  let bulletLines = 0;
  let ellipsisLines = 0;
  for (const line of lines) {
    const left = line.trimStart();
    if (left.startsWith('•') || left.startsWith('-')) bulletLines++;
    const right = line.trimEnd();
    if (right.endsWith('...') || right.endsWith('…')) ellipsisLines++;
  }

  const paragraphs = text.trim().split(/\n{2,}/);
  const dupParagraphs = duplicates(paragraphs);
  const repetitionLines = text.split(/\n+/);
  const dupLines = duplicates(repetitionLines);

  // offsets[i] = code points of tokens[0..i); n-grams of order 2, 3, ..., 10 as ids.
  const offsets = new Float64Array(tokens.length + 1);
  for (let i = 0; i < tokens.length; i++) offsets[i + 1] = offsets[i]! + lengths[i]!;
  const ngrams = new NgramIds(tokens);
  const topNgramCharFraction: Record<number, number | null> = {};
  const dupNgramCharFraction: Record<number, number | null> = {};
  while (ngrams.n < MAX_NGRAM_ORDER) {
    ngrams.extend();
    const n = ngrams.n;
    if ((TOP_NGRAM_ORDERS as readonly number[]).includes(n)) {
      const chars = topNgramChars(ngrams, offsets);
      topNgramCharFraction[n] = chars === null ? null : ratio(chars, textLength);
    }
    if ((DUP_NGRAM_ORDERS as readonly number[]).includes(n))
      dupNgramCharFraction[n] = ratio(duplicateNgramChars(ngrams, offsets), textLength);
  }

  return {
    tokens: tokens.length,
    words,
    meanWordLength: ratio(wordChars, words),
    hashRatio: ratio(countOccurrences(text, '#'), tokens.length),
    ellipsisRatio: ratio(countOccurrences(text, '...') + countOccurrences(text, '…'), tokens.length),
    bulletLinesRatio: ratio(bulletLines, lines.length),
    ellipsisLinesRatio: ratio(ellipsisLines, lines.length),
    alphaWordsRatio: ratio(alpha, tokens.length),
    stopWords,
    dupParagraphFraction: dupParagraphs.elements / paragraphs.length,
    dupParagraphCharFraction: ratio(dupParagraphs.chars, textLength),
    dupLineFraction: dupLines.elements / repetitionLines.length,
    dupLineCharFraction: ratio(dupLines.chars, textLength),
    topNgramCharFraction,
    dupNgramCharFraction,
  };
}

const above = (value: number | null, max: number): boolean => value !== null && value > max;
const below = (value: number | null, min: number): boolean => value !== null && value < min;

/** The rules (GOPHER_RULES names, in order) the measurements fail under the thresholds. */
export function gopherFailures(stats: GopherStats, p: HeuristicQualityParams): string[] {
  const topMax: Record<number, number> = {
    2: p.maxTop2gramCharFraction,
    3: p.maxTop3gramCharFraction,
    4: p.maxTop4gramCharFraction,
  };
  const dupMax: Record<number, number> = {
    5: p.maxDup5gramCharFraction,
    6: p.maxDup6gramCharFraction,
    7: p.maxDup7gramCharFraction,
    8: p.maxDup8gramCharFraction,
    9: p.maxDup9gramCharFraction,
    10: p.maxDup10gramCharFraction,
  };
  const checks: [string, boolean][] = [
    ['too_few_words', stats.words < p.minWords],
    ['too_many_words', stats.words > p.maxWords],
    ['short_mean_word_length', below(stats.meanWordLength, p.minMeanWordLength)],
    ['long_mean_word_length', above(stats.meanWordLength, p.maxMeanWordLength)],
    ['too_many_hashes', above(stats.hashRatio, p.maxSymbolWordRatio)],
    ['too_many_ellipses', above(stats.ellipsisRatio, p.maxSymbolWordRatio)],
    ['too_many_bullet_lines', above(stats.bulletLinesRatio, p.maxBulletLinesRatio)],
    ['too_many_ellipsis_lines', above(stats.ellipsisLinesRatio, p.maxEllipsisLinesRatio)],
    ['too_few_alpha_words', below(stats.alphaWordsRatio, p.minAlphaWordsRatio)],
    ['too_few_stop_words', stats.stopWords < p.minStopWords],
    ['dup_paragraphs', above(stats.dupParagraphFraction, p.maxDupParagraphFraction)],
    ['dup_paragraph_chars', above(stats.dupParagraphCharFraction, p.maxDupParagraphCharFraction)],
    ['dup_lines', above(stats.dupLineFraction, p.maxDupLineFraction)],
    ['dup_line_chars', above(stats.dupLineCharFraction, p.maxDupLineCharFraction)],
    ...TOP_NGRAM_ORDERS.map((n): [string, boolean] => [
      `top_${n}gram`,
      above(stats.topNgramCharFraction[n] ?? null, topMax[n]!),
    ]),
    ...DUP_NGRAM_ORDERS.map((n): [string, boolean] => [
      `dup_${n}gram`,
      above(stats.dupNgramCharFraction[n] ?? null, dupMax[n]!),
    ]),
  ];
  return checks.filter(([, failed]) => failed).map(([rule]) => rule);
}

const fraction = (defaultValue: number, description: string) =>
  ({ type: 'number', default: defaultValue, min: 0, max: 1, description }) as const;

/** Thresholds with the Gopher / datatrove defaults. */
export const HEURISTIC_QUALITY_PARAMS: ParamSchema = {
  field: FIELD_PARAM,
  minWords: {
    type: 'int',
    default: 50,
    min: 0,
    max: 1_000_000_000,
    description: 'Fail below this many words (non-symbol tokens).',
  },
  maxWords: {
    type: 'int',
    default: 100_000,
    min: 0,
    max: 1_000_000_000,
    description: 'Fail above this many words (non-symbol tokens).',
  },
  minMeanWordLength: {
    type: 'number',
    default: 3,
    min: 0,
    max: 1000,
    description: 'Fail when the mean word length (code points) is below this.',
  },
  maxMeanWordLength: {
    type: 'number',
    default: 10,
    min: 0,
    max: 1000,
    description: 'Fail when the mean word length (code points) is above this.',
  },
  maxSymbolWordRatio: {
    type: 'number',
    default: 0.1,
    min: 0,
    max: 1000,
    description: "Fail when '#' occurrences per token, or ellipses ('...' or '…') per token, exceed this.",
  },
  maxBulletLinesRatio: fraction(0.9, "Fail when more than this fraction of lines start with '•' or '-'."),
  maxEllipsisLinesRatio: fraction(0.3, "Fail when more than this fraction of lines end with '...' or '…'."),
  minAlphaWordsRatio: fraction(0.8, 'Fail when fewer than this fraction of tokens contain a letter.'),
  minStopWords: {
    type: 'int',
    default: 2,
    min: 0,
    max: 1_000_000_000,
    description:
      'Fail with fewer occurrences of the stop words the, be, to, of, and, that, have, with (case-sensitive).',
  },
  maxDupParagraphFraction: fraction(
    0.3,
    'Fail when more than this fraction of paragraphs repeat an earlier paragraph.',
  ),
  maxDupParagraphCharFraction: fraction(
    0.2,
    "Fail when repeated paragraphs' characters exceed this fraction of the text.",
  ),
  maxDupLineFraction: fraction(0.3, 'Fail when more than this fraction of lines repeat an earlier line.'),
  maxDupLineCharFraction: fraction(
    0.2,
    "Fail when repeated lines' characters exceed this fraction of the text.",
  ),
  ...Object.fromEntries(
    TOP_NGRAM_ORDERS.map((n, i) => [
      `maxTop${n}gramCharFraction`,
      {
        type: 'number',
        default: [0.2, 0.18, 0.16][i]!,
        min: 0,
        max: 1000,
        description: `Fail when the most frequent ${n}-gram's characters times its count exceed this fraction of the text (can exceed 1).`,
      },
    ]),
  ),
  ...Object.fromEntries(
    DUP_NGRAM_ORDERS.map((n, i) => [
      `maxDup${n}gramCharFraction`,
      fraction(
        [0.15, 0.14, 0.13, 0.12, 0.11, 0.1][i]!,
        `Fail when the characters of repeated ${n}-grams exceed this fraction of the text.`,
      ),
    ]),
  ),
};

interface HeuristicQualityState {
  samples: number;
  passed: number;
  failedByRule: Record<string, number>;
}

function emptyFailures(): Record<string, number> {
  return Object.fromEntries(GOPHER_RULES.map((rule) => [rule, 0]));
}

function createAccumulator(params: HeuristicQualityParams): Accumulator<HeuristicQualityState> {
  return {
    init: () => ({ samples: 0, passed: 0, failedByRule: emptyFailures() }),
    update(state, batch, emit) {
      for (const sample of batch) {
        const failed = gopherFailures(gopherStats(sampleText(sample, params.field)), params);
        state.samples++;
        if (failed.length === 0) state.passed++;
        for (const rule of failed) state.failedByRule[rule]!++;
        emit({ ordinal: sample.ordinal, value: failed.length === 0 ? 1 : 0, details: { failed } });
      }
    },
    merge(left, right) {
      left.samples += right.samples;
      left.passed += right.passed;
      for (const rule of GOPHER_RULES) left.failedByRule[rule]! += right.failedByRule[rule]!;
      return left;
    },
    finalize(state): MetricOutcome {
      const details = { passed: state.passed, failedByRule: { ...state.failedByRule } };
      if (state.samples === 0)
        return { value: null, reason: 'no samples', n: 0, estimator: 'EXACT', details };
      return { value: state.passed / state.samples, n: state.samples, estimator: 'EXACT', details };
    },
  };
}

export const heuristicQuality: MetricDefinition<HeuristicQualityParams> = {
  key: 'quality.heuristic_quality',
  axis: 'QUALITY',
  version: 1,
  direction: 'HIGHER_IS_BETTER',
  description:
    'Pass rate of the Gopher quality and repetition rules, as implemented by datatrove (GopherQualityFilter, GopherRepetitionFilter): ' +
    'word count 50..100000, mean word length 3..10, # and ellipsis per token <= 0.1, bullet lines <= 0.9, ellipsis-ending lines <= 0.3, ' +
    'tokens with a letter >= 0.8, >= 2 stop words; duplicate paragraph/line fraction <= 0.3 and their character fraction <= 0.2, ' +
    'top 2/3/4-gram character fraction <= 0.20/0.18/0.16, duplicate 5..10-gram character fraction <= 0.15..0.10 (all thresholds are ' +
    'parameters). Tokens: whitespace tokens with leading/trailing punctuation split off (in place of NLTK word_tokenize); words: ' +
    'tokens with a non-punctuation character. Per sample 1 = passes every rule (details.failed lists the rules failed). ' +
    'Details: passed, failedByRule.',
  citation:
    'Rae et al. 2021, "Scaling Language Models: Methods, Analysis & Insights from Training Gopher", arXiv 2112.11446, appendix A ' +
    '(table A1); rules as in huggingface/datatrove GopherQualityFilter and GopherRepetitionFilter.',
  params: HEURISTIC_QUALITY_PARAMS,
  sampleValue: '1 when the sample text passes every rule, else 0 (details.failed: the rules it failed).',
  exactMerge: true,
  create: (params) => createAccumulator(params),
};
