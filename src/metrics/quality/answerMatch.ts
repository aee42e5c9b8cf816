/**
 * quality.answer_match: does the response's final answer equal the reference's final answer?
 *
 * Final-answer extraction (the same rules for the response and the reference; the first that
 * yields a non-empty answer wins):
 *   1. 'gsm8k'       — the text after the LAST "####", trimmed, up to the end of its line.
 *   2. 'answer_line' / 'answer_is' — the later (by position) of: the last line starting with
 *      "A:", "Answer:" or "Final answer:", and the last occurrence of "answer is" (e.g. "The
 *      answer is 42."), case-insensitive; the answer is the rest of that line, cut at the first
 *      sentence end (., ! or ? followed by whitespace), without leading quotes, '*' and '`' or
 *      trailing quotes, '*', '`' and . , ; : ! ? (so "**42**." -> "42").
 *   3. 'whole_number' — the whole trimmed text when it parses as a number (see parseAnswerNumber).
 *   4. 'last_number' — the last number in the text (optional sign, digits with optional
 *      ','-grouped thousands, optional decimals).
 *   5. 'whole_text'  — the whole trimmed text.
 *   'none' — empty text.
 *
 * Comparison: numeric when both answers parse as numbers (exact equality of the parsed doubles,
 * so 72 == 72.0 == "72.00" == "$72" and 3/4 == 0.75); otherwise the normalised strings (trimmed,
 * lowercased, whitespace collapsed, trailing . , ; : ! ? stripped) must be equal.
 *
 * Only samples with a non-empty reference are scored; the value is the match rate over them.
 * Input from the question_answer format (GSM8K) already has reference = the text after "####".
 */
import { trimTrailing } from '../trailingRun.js';
import type { Accumulator, MetricDefinition, MetricOutcome } from '../types.js';

export type AnswerMatchParams = Record<string, never>;

export type ExtractionMethod =
  'gsm8k' | 'answer_line' | 'answer_is' | 'whole_number' | 'last_number' | 'whole_text' | 'none';

export interface ExtractedAnswer {
  answer: string | null;
  method: ExtractionMethod;
}

const ANSWER_LINE = /^[ \t]*(?:final[ \t]+answer|answer|a)[ \t]*:(.*)$/gim;
const ANSWER_IS = /answer[ \t]+is(?![\w'\u2019])[ \t]*:?(.*)$/gim;
/** Numbers as they appear in text; the sign is only taken when not preceded by a word character. */
const NUMBER_IN_TEXT = /(?:(?<![\w.])-)?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?/g;
const PLAIN_NUMBER = /^-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^-?\.\d+$/;
const FRACTION = /^(-?\d+)\s*\/\s*(\d+)$/;

const LEADING_DECORATION = /^[\s"'*`\u201c\u2018]+/;
/** Decorations and punctuation trimmed from the end of a captured answer (one character). */
const TRAILING_DECORATION = /[\s"'*`\u201d\u2019.,;:!?]/;
const TRAILING_PUNCTUATION = /[.,;:!?]/;

/** Cuts an answer captured after "A:" / "answer is" at its first sentence end and trims decorations. */
function cleanCandidate(raw: string): string {
  const end = raw.search(/[.!?](?=\s)/);
  const cut = end < 0 ? raw : raw.slice(0, end + 1);
  return trimTrailing(cut.replace(LEADING_DECORATION, ''), TRAILING_DECORATION);
}

function lastMatch(pattern: RegExp, text: string): RegExpExecArray | null {
  let last: RegExpExecArray | null = null;
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    last = match;
    if (match[0] === '') pattern.lastIndex++;
  }
  return last;
}

/** The final answer of a response or reference, and which rule found it. */
export function extractFinalAnswer(text: string): ExtractedAnswer {
  const mark = text.lastIndexOf('####');
  if (mark >= 0) {
    const answer = (
      text
        .slice(mark + 4)
        .trimStart()
        .split(/\r?\n/, 1)[0] ?? ''
    ).trim();
    if (answer !== '') return { answer, method: 'gsm8k' };
  }

  const line = lastMatch(ANSWER_LINE, text);
  const is = lastMatch(ANSWER_IS, text);
  const candidates: [RegExpExecArray, ExtractionMethod][] = [];
  if (line) candidates.push([line, 'answer_line']);
  if (is) candidates.push([is, 'answer_is']);
  candidates.sort((a, b) => b[0].index - a[0].index);
  for (const [match, method] of candidates) {
    const answer = cleanCandidate(match[1] ?? '');
    if (answer !== '') return { answer, method };
  }

  const trimmed = text.trim();
  if (trimmed === '') return { answer: null, method: 'none' };
  if (parseAnswerNumber(trimmed) !== null) return { answer: trimmed, method: 'whole_number' };
  const number = lastMatch(NUMBER_IN_TEXT, text);
  if (number) return { answer: number[0], method: 'last_number' };
  return { answer: trimmed, method: 'whole_text' };
}

/**
 * The number an answer stands for, or null: trims, strips trailing periods, a leading '$' (after
 * an optional sign), a trailing '%', thousands separators ("1,200"), then accepts integers,
 * decimals and fractions a/b (b > 0).
 */
export function parseAnswerNumber(answer: string): number | null {
  let s = trimTrailing(answer.trim(), /\./).trim();
  s = s.replace(/%$/, '').trim();
  s = s.replace(/^(-?)\s*\$\s*/, '$1');
  const fraction = FRACTION.exec(s);
  if (fraction) {
    const denominator = Number(fraction[2]);
    return denominator === 0 ? null : Number(fraction[1]) / denominator;
  }
  if (!PLAIN_NUMBER.test(s)) return null;
  const value = Number(s.replace(/,/g, ''));
  return Number.isFinite(value) ? value + 0 : null;
}

/** Trimmed, lowercased, whitespace collapsed, trailing punctuation stripped. */
export function normalizeAnswer(answer: string): string {
  return trimTrailing(answer.trim().toLowerCase().replace(/\s+/g, ' '), TRAILING_PUNCTUATION).trim();
}

export interface AnswerComparison {
  match: boolean;
  comparison: 'numeric' | 'string';
}

export function compareAnswers(extracted: string | null, expected: string): AnswerComparison {
  if (extracted === null) return { match: false, comparison: 'string' };
  const a = parseAnswerNumber(extracted);
  const b = parseAnswerNumber(expected);
  if (a !== null && b !== null) return { match: a === b, comparison: 'numeric' };
  return { match: normalizeAnswer(extracted) === normalizeAnswer(expected), comparison: 'string' };
}

interface AnswerMatchState {
  samples: number;
  applicable: number;
  matched: number;
}

function createAccumulator(): Accumulator<AnswerMatchState> {
  return {
    init: () => ({ samples: 0, applicable: 0, matched: 0 }),
    update(state, batch, emit) {
      for (const sample of batch) {
        state.samples++;
        if (sample.reference === null || sample.reference.trim() === '') continue;
        state.applicable++;
        const expected = extractFinalAnswer(sample.reference).answer!; // non-empty reference -> an answer
        const extracted = extractFinalAnswer(sample.response);
        const { match, comparison } = compareAnswers(extracted.answer, expected);
        if (match) state.matched++;
        emit({
          ordinal: sample.ordinal,
          value: match ? 1 : 0,
          details: { extracted: extracted.answer, expected, method: extracted.method, comparison },
        });
      }
    },
    merge(left, right) {
      left.samples += right.samples;
      left.applicable += right.applicable;
      left.matched += right.matched;
      return left;
    },
    finalize(state): MetricOutcome {
      const details = {
        matched: state.matched,
        applicable: state.applicable,
        skippedNoReference: state.samples - state.applicable,
        coverage: state.samples === 0 ? null : state.applicable / state.samples,
      };
      if (state.applicable === 0) {
        return { value: null, reason: 'no sample has a reference', n: 0, estimator: 'EXACT', details };
      }
      return { value: state.matched / state.applicable, n: state.applicable, estimator: 'EXACT', details };
    },
  };
}

export const answerMatch: MetricDefinition<AnswerMatchParams> = {
  key: 'quality.answer_match',
  axis: 'QUALITY',
  version: 1,
  direction: 'HIGHER_IS_BETTER',
  description:
    "Final-answer accuracy against the sample's reference. The final answer of the response and of the reference is the first of: " +
    'the text after the last "####" (GSM8K), the later of a last "A:"/"Answer:"/"Final answer:" line and a last "answer is ..." ' +
    '(case-insensitive), the whole text if it is a number, the last number in the text, the whole text. Answers compare ' +
    'numerically when both parse as numbers ($, %, thousands commas and a trailing period stripped; fractions a/b), else as ' +
    'normalised strings (trimmed, lowercased, whitespace collapsed, trailing punctuation stripped). Only samples with a non-empty ' +
    'reference are scored. Value: match rate; n = scored samples; details: matched, applicable, skippedNoReference, coverage.',
  citation:
    'GSM8K final-answer format: Cobbe et al. 2021, "Training Verifiers to Solve Math Word Problems", arXiv 2110.14168.',
  params: {},
  sampleValue:
    '1 when the extracted final answer matches the reference, else 0 (details: extracted, expected, method, comparison).',
  exactMerge: true,
  create: () => createAccumulator(),
};
