import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  answerMatch,
  compareAnswers,
  extractFinalAnswer,
  normalizeAnswer,
  parseAnswerNumber,
} from '../src/metrics/quality/answerMatch.js';
import {
  GOPHER_RULES,
  gopherFailures,
  gopherStats,
  heuristicQuality,
  type GopherStats,
  type HeuristicQualityParams,
} from '../src/metrics/quality/heuristicQuality.js';
import { gopherTokens } from '../src/metrics/quality/gopherTokens.js';
import { codePointLength } from '../src/metrics/quality/pythonText.js';
import { resolveParams } from '../src/metrics/params.js';
import { runInMemory } from '../src/metrics/runInMemory.js';
import type { MetricDefinition, MetricSample, ResolvedParams, TextField } from '../src/metrics/types.js';
import { prng } from './helpers/prng.js';

function sample(
  ordinal: number,
  response: string,
  reference: string | null = null,
  prompt = '',
): MetricSample {
  return { ordinal, contentHash: `hash-${ordinal}`, prompt, response, reference };
}

const pick = <T>(next: () => number, items: readonly T[]): T => items[Math.floor(next() * items.length)]!;

const DEFAULTS = resolveParams(heuristicQuality, {}) as HeuristicQualityParams;

const GSM8K_ANSWER =
  'Natalia sold 48/2 = 24 clips in May.\nNatalia sold 48+24 = 72 clips altogether in April and May.\n#### 72';

describe('answer extraction and comparison', () => {
  it('extracts final answers by rule', () => {
    assert.deepEqual(extractFinalAnswer(GSM8K_ANSWER), { answer: '72', method: 'gsm8k' });
    // The LAST #### wins, only its first line.
    assert.deepEqual(extractFinalAnswer('#### 1\nretry\n####  1,200 \nexplanation'), {
      answer: '1,200',
      method: 'gsm8k',
    });
    assert.deepEqual(extractFinalAnswer('So the answer is 42.'), { answer: '42', method: 'answer_is' });
    assert.deepEqual(extractFinalAnswer('The Answer Is: **Paris**. It is in France.'), {
      answer: 'Paris',
      method: 'answer_is',
    });
    assert.deepEqual(extractFinalAnswer('Step 1: 600 * 2\nA: $1,200'), {
      answer: '$1,200',
      method: 'answer_line',
    });
    assert.deepEqual(extractFinalAnswer('Answer: 5\nCheck: so the answer is 6'), {
      answer: '6',
      method: 'answer_is',
    });
    assert.deepEqual(extractFinalAnswer('the answer is 6\nFinal answer: 7'), {
      answer: '7',
      method: 'answer_line',
    });
    assert.deepEqual(extractFinalAnswer('3/4'), { answer: '3/4', method: 'whole_number' });
    assert.deepEqual(extractFinalAnswer('She has 5 apples, buys 3, so 8 in total.'), {
      answer: '8',
      method: 'last_number',
    });
    // '-' is a sign only when not preceded by a word character; ',' groups exactly 3 digits.
    assert.deepEqual(extractFinalAnswer('from 3-5 we get -2'), { answer: '-2', method: 'last_number' });
    assert.deepEqual(extractFinalAnswer('pay 1,234.50 now'), { answer: '1,234.50', method: 'last_number' });
    assert.deepEqual(extractFinalAnswer('items 1,2,3'), { answer: '3', method: 'last_number' });
    assert.deepEqual(extractFinalAnswer('  Paris  '), { answer: 'Paris', method: 'whole_text' });
    assert.deepEqual(extractFinalAnswer(' \n '), { answer: null, method: 'none' });
    // "answer isn't" is not "answer is".
    assert.deepEqual(extractFinalAnswer("The answer isn't clear"), {
      answer: "The answer isn't clear",
      method: 'whole_text',
    });
  });

  it('parses numbers and normalises strings', () => {
    assert.equal(parseAnswerNumber('72'), 72);
    assert.equal(parseAnswerNumber('72.00'), 72);
    assert.equal(parseAnswerNumber('$1,200.'), 1200);
    assert.equal(parseAnswerNumber('-$5'), -5);
    assert.equal(parseAnswerNumber('50 %'), 50);
    assert.equal(parseAnswerNumber('3/4'), 0.75);
    assert.equal(parseAnswerNumber('.5'), 0.5);
    assert.equal(parseAnswerNumber('1/0'), null);
    assert.equal(parseAnswerNumber('1,2'), null);
    assert.equal(parseAnswerNumber('42 apples'), null);
    assert.equal(normalizeAnswer('  New   York City!! '), 'new york city');
    assert.deepEqual(compareAnswers('72.0', '72.00'), { match: true, comparison: 'numeric' });
    assert.deepEqual(compareAnswers('3/4', '0.75'), { match: true, comparison: 'numeric' });
    assert.deepEqual(compareAnswers('0.3333', '1/3'), { match: false, comparison: 'numeric' });
    assert.deepEqual(compareAnswers('Paris.', ' paris'), { match: true, comparison: 'string' });
    assert.deepEqual(compareAnswers(null, '5'), { match: false, comparison: 'string' });
  });
});

describe('quality.answer_match', () => {
  it('scores samples with a reference, worked by hand', async () => {
    const samples = [
      sample(0, GSM8K_ANSWER, '72'), // gsm8k 72 == 72 -> 1
      sample(1, 'The answer is 42.', '42'), // answer_is "42" (trailing '.' dropped) -> 42 == 42 -> 1
      sample(2, 'Each costs $600, two cost\nA: $1,200', '1200'), // answer_line $1,200 -> 1200 -> 1
      sample(3, 'The answer is New   York City.', 'new york city'), // string -> 1
      sample(4, 'She computed 70 + 1.\n#### 71', '72'), // 71 != 72 -> 0
      sample(5, 'Some text without a reference', null), // skipped
      sample(6, '#### 5', '   '), // blank reference: skipped
      sample(7, 'The answer is 72.', GSM8K_ANSWER), // reference given as a full GSM8K solution -> 72 -> 1
      sample(8, '', '3'), // no answer -> 0
    ];
    const { outcome, sampleValues } = await runInMemory(answerMatch, {}, samples);
    assert.deepEqual(
      sampleValues.map((s) => [s.ordinal, s.value]),
      [
        [0, 1],
        [1, 1],
        [2, 1],
        [3, 1],
        [4, 0],
        [7, 1],
        [8, 0],
      ],
    );
    assert.deepEqual(sampleValues[0]!.details, {
      extracted: '72',
      expected: '72',
      method: 'gsm8k',
      comparison: 'numeric',
    });
    assert.deepEqual(sampleValues[2]!.details, {
      extracted: '$1,200',
      expected: '1200',
      method: 'answer_line',
      comparison: 'numeric',
    });
    assert.deepEqual(sampleValues[3]!.details, {
      extracted: 'New   York City',
      expected: 'new york city',
      method: 'answer_is',
      comparison: 'string',
    });
    assert.deepEqual(sampleValues[4]!.details, {
      extracted: '71',
      expected: '72',
      method: 'gsm8k',
      comparison: 'numeric',
    });
    assert.deepEqual(sampleValues[6]!.details, {
      extracted: null,
      expected: '3',
      method: 'none',
      comparison: 'string',
    });
    // 5 matched of 7 applicable; 2 skipped; coverage 7 / 9.
    assert.equal(outcome.value, 5 / 7);
    assert.equal(outcome.n, 7);
    assert.equal(outcome.estimator, 'EXACT');
    assert.deepEqual(outcome.details, { matched: 5, applicable: 7, skippedNoReference: 2, coverage: 7 / 9 });
  });

  it('null with a reason when no sample has a reference', async () => {
    const none = await runInMemory(answerMatch, {}, [sample(0, '#### 1'), sample(1, '2', '')]);
    assert.equal(none.outcome.value, null);
    assert.equal(none.outcome.reason, 'no sample has a reference');
    assert.deepEqual(none.outcome.details, { matched: 0, applicable: 0, skippedNoReference: 2, coverage: 0 });
    assert.deepEqual(none.sampleValues, []);
    const empty = await runInMemory(answerMatch, {}, []);
    assert.equal(empty.outcome.value, null);
    assert.equal(empty.outcome.reason, 'no sample has a reference');
    assert.equal(empty.outcome.details.coverage, null);
  });

  it('takes no parameters and ignores the prompt', async () => {
    assert.deepEqual(answerMatch.params, {});
    const { outcome } = await runInMemory(answerMatch, {}, [sample(0, '#### 4', '4', '#### 5')]);
    assert.equal(outcome.value, 1);
  });

  it('aggregates like a naive count on seeded random samples', async () => {
    const next = prng(21);
    const answers = ['72', '72.0', '$72', '1,200', '1200', 'Paris', 'paris.', '3/4', '0.75', '-5', '5'];
    const samples = Array.from({ length: 120 }, (_, i) => {
      const shape = pick(next, ['#### ', 'The answer is ', 'A: ', 'We get ', '']);
      const reference = next() < 0.25 ? pick(next, [null, '', ' ']) : pick(next, answers);
      return sample(i, `Some steps.\n${shape}${pick(next, answers)}`, reference);
    });
    const { outcome, sampleValues } = await runInMemory(answerMatch, {}, samples);
    const applicable = samples.filter((s) => s.reference !== null && s.reference.trim() !== '');
    const matched = sampleValues.filter((s) => s.value === 1).length;
    assert.equal(sampleValues.length, applicable.length);
    assert.ok(matched > 0 && matched < applicable.length);
    assert.equal(outcome.value, matched / applicable.length);
    assert.deepEqual(outcome.details, {
      matched,
      applicable: applicable.length,
      skippedNoReference: samples.length - applicable.length,
      coverage: applicable.length / samples.length,
    });
  });
});

// A text that passes every Gopher rule: 8 lines, 90 words, 100 tokens (10 periods/commas), 14 stop words.
const LINES = [
  'Rivers carve deep valleys through the mountains over thousands of years.',
  'Farmers settle along their banks because the soil is rich and water is close.',
  'Cities grow where trade routes cross, and bridges connect distant markets.',
  'Engineers build dams to control floods and to generate electricity.',
  'Fish migrate upstream each spring, returning to their birthplace to spawn.',
  'Pollution from factories threatens many species that depend on clean water.',
  'Scientists measure flow rates with sensors placed near the river mouth.',
  'Communities now plan carefully so that future generations inherit healthy rivers.',
];
const PASSING = LINES.join('\n');

/** Distinct 6-letter pseudo-words: three of 15 consonant-vowel syllables (3375 in all). */
function filler(count: number, offset: number): string[] {
  const syllables = [
    'ba',
    'ce',
    'di',
    'fo',
    'gu',
    'ha',
    'je',
    'ki',
    'lo',
    'mu',
    'na',
    'pe',
    'ri',
    'so',
    'tu',
  ];
  return Array.from({ length: count }, (_, i) => {
    const k = i + offset;
    return syllables[k % 15]! + syllables[Math.floor(k / 15) % 15]! + syllables[Math.floor(k / 225) % 15]!;
  });
}

describe('Gopher statistics, worked by hand', () => {
  it('tokens split punctuation runs off words', () => {
    assert.deepEqual(gopherTokens('(Hello, world)... don\'t 3.5% #tag "quoted." ...'), [
      '(',
      'Hello',
      ',',
      'world',
      ')...',
      "don't",
      '3.5',
      '%',
      '#',
      'tag',
      '"',
      'quoted',
      '."',
      '...',
    ]);
    assert.equal(codePointLength('a😀b'), 3);
  });

  it('n-gram repetition figures of "a b c d e" x 3', () => {
    // 15 one-letter tokens, text length 29.
    // top 2-gram: "a b", "b c", "c d", "d e" occur 3 times, "e a" twice; first seen is "a b": 3 chars * 3 = 9 -> 9/29.
    // top 3-gram "a b c": 5 * 3 = 15/29; top 4-gram "a b c d": 7 * 3 = 21/29.
    // dup 5-grams: i = 0..4 new, i = 5 "abcde" seen -> +5, jump to 10: seen -> +5, jump to 15: stop -> 10/29.
    // dup 6..10-grams: i = 0..4 new, i = 5 seen -> +n, then the jump ends the scan -> n/29.
    const s = gopherStats('a b c d e a b c d e a b c d e');
    assert.deepEqual(s.topNgramCharFraction, { 2: 9 / 29, 3: 15 / 29, 4: 21 / 29 });
    assert.deepEqual(s.dupNgramCharFraction, {
      5: 10 / 29,
      6: 6 / 29,
      7: 7 / 29,
      8: 8 / 29,
      9: 9 / 29,
      10: 10 / 29,
    });
    assert.equal(s.words, 15);
    assert.equal(s.meanWordLength, 1);
    assert.equal(s.stopWords, 0);
    assert.deepEqual(gopherFailures(s, DEFAULTS), [
      'too_few_words',
      'short_mean_word_length',
      'too_few_stop_words',
      'top_2gram',
      'top_3gram',
      'top_4gram',
      'dup_5gram',
      'dup_6gram',
      'dup_7gram',
      'dup_8gram',
      'dup_9gram',
      'dup_10gram',
    ]);
  });

  it('line, paragraph, bullet, ellipsis and symbol figures', () => {
    // text length 12 (6 letters, 6 newlines). paragraphs: ["x\ny\nx", "x\ny\nx"] -> 1 duplicate of 2 = 0.5, its 5 chars / 12.
    // lines (split on \n+): x y x x y x -> 4 duplicates of 6, 4 chars / 12.
    const rep = gopherStats('x\ny\nx\n\nx\ny\nx');
    assert.equal(rep.dupParagraphFraction, 0.5);
    assert.equal(rep.dupParagraphCharFraction, 5 / 12);
    assert.equal(rep.dupLineFraction, 4 / 6);
    assert.equal(rep.dupLineCharFraction, 4 / 12);

    // lines (splitlines): "• a #", "- b...", "c…", "d" -> bullets 2/4, ellipsis-ending 2/4.
    // tokens: •, a, #, -, b, ..., c, …, d = 9; '#': 1/9; ellipses: "..." + "…" = 2/9; with a letter: a, b, c, d = 4/9.
    const sym = gopherStats('• a #\n- b...\nc…\nd');
    assert.equal(sym.tokens, 9);
    assert.equal(sym.words, 4);
    assert.equal(sym.bulletLinesRatio, 0.5);
    assert.equal(sym.ellipsisLinesRatio, 0.5);
    assert.equal(sym.hashRatio, 1 / 9);
    assert.equal(sym.ellipsisRatio, 2 / 9);
    assert.equal(sym.alphaWordsRatio, 4 / 9);

    // Empty text: only the rules that need no denominator fail.
    const empty = gopherStats('');
    assert.equal(empty.meanWordLength, null);
    assert.equal(empty.hashRatio, null);
    assert.deepEqual(gopherFailures(empty, DEFAULTS), ['too_few_words', 'too_few_stop_words']);
  });
});

describe('quality.heuristic_quality: one rule at a time', () => {
  const cases: [string, string, string][] = [
    ['passes every rule', PASSING, ''],
    // 4 lines: 46 words < 50.
    ['too_few_words', LINES.slice(0, 4).join('\n'), 'too_few_words'],
    // Upper-cased stop words do not count (datatrove compares case-sensitively): 0 < 2.
    [
      'too_few_stop_words',
      PASSING.replace(/\b(the|be|to|of|and|that|have|with)\b/g, (w) => w.toUpperCase()),
      'too_few_stop_words',
    ],
    // Every line starts with '•': 8/8 > 0.9 (tokens 108, with a letter 90/108 = 0.83 >= 0.8).
    ['too_many_bullet_lines', LINES.map((line) => `• ${line}`).join('\n'), 'too_many_bullet_lines'],
    // Every line ends with '...': 8/8 > 0.3, while '...' per token = 8/100 = 0.08 <= 0.1.
    [
      'too_many_ellipsis_lines',
      LINES.map((line) => line.replace(/\.$/, '...')).join('\n'),
      'too_many_ellipsis_lines',
    ],
    // 14 hashtags: tokens 100 + 28 = 128, '#' 14/128 = 0.109 > 0.1; with a letter (90 + 14)/128 = 0.8125.
    [
      'too_many_hashes',
      `${PASSING} ${filler(14, 900)
        .map((w) => `#${w}`)
        .join(' ')}`,
      'too_many_hashes',
    ],
    // "Indeed." 5 times among the 8 lines: 4 duplicates / 13 lines = 0.308 > 0.3; their chars 4 * 7 = 28 / 638 = 0.044.
    [
      'dup_lines',
      [
        LINES[0],
        'Indeed.',
        LINES[1],
        'Indeed.',
        LINES[2],
        'Indeed.',
        LINES[3],
        'Indeed.',
        LINES[4],
        'Indeed.',
        ...LINES.slice(5),
      ].join('\n'),
      'dup_lines',
    ],
    // "the and" + 20 x "big dog <distinct word>": length 8 + 20 * 15 - 1 = 307;
    // "big dog" 7 chars x 20 = 140/307 = 0.456 > 0.20; every 3- and 4-gram is distinct (first: 11/307, 15/307).
    ['top_2gram', ['the', 'and', ...filler(20, 0).flatMap((w) => ['big', 'dog', w])].join(' '), 'top_2gram'],
    // "the and" + 10 x (31 distinct 6-letter words + the same five 10-letter words): length 8 + 10 * (31 * 7 + 55) - 1 = 2727.
    // dup 5-gram: occurrences 2..10 add 5 * 10 = 50 chars each: 450/2727 = 0.165 > 0.15; no 6-gram repeats.
    // top 4-gram "everything strawberry playground friendship" 43 chars x 10 = 430/2727 = 0.158 <= 0.16;
    // top 3-gram 32 x 10 = 320/2727 = 0.117 <= 0.18; top 2-gram 21 x 10 = 210/2727 = 0.077 <= 0.20.
    [
      'dup_5gram',
      [
        'the',
        'and',
        ...Array.from({ length: 10 }, (_, i) => [
          ...filler(31, 500 + 31 * i),
          'everything',
          'strawberry',
          'playground',
          'friendship',
          'chocolates',
        ]).flat(),
      ].join(' '),
      'dup_5gram',
    ],
  ];

  for (const [name, text, rule] of cases) {
    it(name, () => {
      assert.deepEqual(gopherFailures(gopherStats(text), DEFAULTS), rule === '' ? [] : [rule]);
    });
  }

  it('the dup_5gram text has the figures worked out above', () => {
    const s = gopherStats(cases.at(-1)![1]);
    assert.equal(s.dupNgramCharFraction[5], 450 / 2727);
    assert.equal(s.dupNgramCharFraction[6], 0);
    assert.deepEqual(s.topNgramCharFraction, { 2: 210 / 2727, 3: 320 / 2727, 4: 430 / 2727 });
  });

  it('metric: pass rate, per-sample failures, failedByRule', async () => {
    const { outcome, sampleValues } = await runInMemory(
      heuristicQuality,
      DEFAULTS,
      cases.map(([, text], i) => sample(i, text)),
    );
    assert.deepEqual(
      sampleValues.map((s) => s.value),
      cases.map(([, , rule]) => (rule === '' ? 1 : 0)),
    );
    assert.deepEqual(
      sampleValues.map((s) => s.details),
      cases.map(([, , rule]) => ({ failed: rule === '' ? [] : [rule] })),
    );
    assert.equal(outcome.value, 1 / cases.length);
    assert.equal(outcome.n, cases.length);
    const expected: Record<string, number> = Object.fromEntries(GOPHER_RULES.map((rule) => [rule, 0]));
    for (const [, , rule] of cases) if (rule !== '') expected[rule]!++;
    assert.deepEqual(outcome.details, { passed: 1, failedByRule: expected });
  });

  it('thresholds are parameters with the Gopher defaults', async () => {
    assert.deepEqual(DEFAULTS, {
      field: 'response',
      minWords: 50,
      maxWords: 100000,
      minMeanWordLength: 3,
      maxMeanWordLength: 10,
      maxSymbolWordRatio: 0.1,
      maxBulletLinesRatio: 0.9,
      maxEllipsisLinesRatio: 0.3,
      minAlphaWordsRatio: 0.8,
      minStopWords: 2,
      maxDupParagraphFraction: 0.3,
      maxDupParagraphCharFraction: 0.2,
      maxDupLineFraction: 0.3,
      maxDupLineCharFraction: 0.2,
      maxTop2gramCharFraction: 0.2,
      maxTop3gramCharFraction: 0.18,
      maxTop4gramCharFraction: 0.16,
      maxDup5gramCharFraction: 0.15,
      maxDup6gramCharFraction: 0.14,
      maxDup7gramCharFraction: 0.13,
      maxDup8gramCharFraction: 0.12,
      maxDup9gramCharFraction: 0.11,
      maxDup10gramCharFraction: 0.1,
    });
    // Lowering minWords lets the 46-word text pass; a threshold equal to the measurement passes.
    const short = LINES.slice(0, 4).join('\n');
    const relaxed = resolveParams(heuristicQuality, { minWords: 46 }) as HeuristicQualityParams;
    assert.deepEqual(gopherFailures(gopherStats(short), relaxed), []);
    const strict = resolveParams(heuristicQuality, { minWords: 47 }) as HeuristicQualityParams;
    assert.deepEqual(gopherFailures(gopherStats(short), strict), ['too_few_words']);
    const { outcome } = await runInMemory(heuristicQuality, relaxed, [sample(0, short)]);
    assert.equal(outcome.value, 1);
  });

  it('field param and empty input', async () => {
    const samples = [sample(0, 'too short', null, PASSING)];
    assert.equal((await runInMemory(heuristicQuality, DEFAULTS, samples)).outcome.value, 0);
    assert.equal(
      (await runInMemory(heuristicQuality, { ...DEFAULTS, field: 'prompt' }, samples)).outcome.value,
      1,
    );
    const empty = await runInMemory(heuristicQuality, DEFAULTS, []);
    assert.equal(empty.outcome.value, null);
    assert.equal(empty.outcome.reason, 'no samples');
    assert.equal(empty.outcome.n, 0);
  });
});

/**
 * Naive Gopher rules: a transcription of datatrove's Python (lists, linear searches, code-point
 * arrays) over the same tokenisation, written without the helpers under test.
 */
function naiveGopher(text: string, p: HeuristicQualityParams): { stats: GopherStats; failed: string[] } {
  const chars = (s: string) => Array.from(s).length;
  const isSymbol = (c: string) => /[\p{P}\p{S}]/u.test(c);
  const words: string[] = [];
  for (const raw of text.split(/\s+/)) {
    if (raw === '') continue;
    const cs = Array.from(raw);
    let a = 0;
    while (a < cs.length && isSymbol(cs[a]!)) a++;
    if (a === cs.length) {
      words.push(raw);
      continue;
    }
    let b = cs.length;
    while (b > a && isSymbol(cs[b - 1]!)) b--;
    if (a > 0) words.push(cs.slice(0, a).join(''));
    words.push(cs.slice(a, b).join(''));
    if (b < cs.length) words.push(cs.slice(b).join(''));
  }
  const nWords = words.length;
  const nonSymbol = words.filter((w) => Array.from(w).some((c) => !isSymbol(c)));
  const lines: string[] = [];
  let current = '';
  let i = 0;
  const cs = Array.from(text);
  while (i < cs.length) {
    const c = cs[i]!;
    if (c === '\r' && cs[i + 1] === '\n') {
      lines.push(current);
      current = '';
      i += 2;
      continue;
    }
    if ('\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029'.includes(c)) {
      lines.push(current);
      current = '';
    } else current += c;
    i++;
  }
  if (current !== '') lines.push(current);
  const count = (needle: string) => text.split(needle).length - 1;
  const findDuplicates = (xs: string[]) => {
    const unique: string[] = [];
    let dupChars = 0;
    let dupElements = 0;
    for (const x of xs) {
      if (unique.includes(x)) {
        dupChars += chars(x);
        dupElements++;
      } else unique.push(x);
    }
    return [dupElements, dupChars] as const;
  };
  const getNgrams = (n: number) => {
    const out: string[] = [];
    for (let k = 0; k < words.length - n + 1; k++) out.push(words.slice(k, k + n).join(' '));
    return out;
  };
  const len = chars(text);
  const paragraphs = text.trim().split(/\n{2,}/);
  const [paraDup, paraChars] = findDuplicates(paragraphs);
  const repLines = text.split(/\n+/);
  const [lineDup, lineChars] = findDuplicates(repLines);
  const top: Record<number, number | null> = {};
  for (const n of [2, 3, 4]) {
    const grams = getNgrams(n);
    if (grams.length === 0 || len === 0) {
      top[n] = null;
      continue;
    }
    let best = grams[0]!;
    let bestCount = 0;
    for (const g of grams) {
      const c = grams.filter((x) => x === g).length;
      if (c > bestCount) {
        best = g;
        bestCount = c;
      }
    }
    top[n] = (chars(best) * bestCount) / len;
  }
  const dup: Record<number, number | null> = {};
  for (const n of [5, 6, 7, 8, 9, 10]) {
    const unique: string[] = [];
    let repeated = 0;
    let idx = 0;
    while (idx < words.length - n + 1) {
      const gram = words.slice(idx, idx + n);
      const key = gram.join(' ');
      if (unique.includes(key)) {
        repeated += chars(gram.join(''));
        idx += n;
      } else {
        unique.push(key);
        idx += 1;
      }
    }
    dup[n] = len === 0 ? null : repeated / len;
  }
  const stats: GopherStats = {
    tokens: nWords,
    words: nonSymbol.length,
    meanWordLength:
      nonSymbol.length === 0 ? null : nonSymbol.reduce((a, w) => a + chars(w), 0) / nonSymbol.length,
    hashRatio: nWords === 0 ? null : count('#') / nWords,
    ellipsisRatio: nWords === 0 ? null : (count('...') + count('…')) / nWords,
    bulletLinesRatio:
      lines.length === 0
        ? null
        : lines.filter((l) => l.trimStart().startsWith('•') || l.trimStart().startsWith('-')).length /
          lines.length,
    ellipsisLinesRatio:
      lines.length === 0
        ? null
        : lines.filter((l) => l.trimEnd().endsWith('...') || l.trimEnd().endsWith('…')).length / lines.length,
    alphaWordsRatio: nWords === 0 ? null : words.filter((w) => /\p{L}/u.test(w)).length / nWords,
    stopWords: words.filter((w) => ['the', 'be', 'to', 'of', 'and', 'that', 'have', 'with'].includes(w))
      .length,
    dupParagraphFraction: paraDup / paragraphs.length,
    dupParagraphCharFraction: len === 0 ? null : paraChars / len,
    dupLineFraction: lineDup / repLines.length,
    dupLineCharFraction: len === 0 ? null : lineChars / len,
    topNgramCharFraction: top,
    dupNgramCharFraction: dup,
  };
  const failed: string[] = [];
  const gt = (v: number | null, max: number) => v !== null && v > max;
  const lt = (v: number | null, min: number) => v !== null && v < min;
  if (stats.words < p.minWords) failed.push('too_few_words');
  if (stats.words > p.maxWords) failed.push('too_many_words');
  if (lt(stats.meanWordLength, p.minMeanWordLength)) failed.push('short_mean_word_length');
  if (gt(stats.meanWordLength, p.maxMeanWordLength)) failed.push('long_mean_word_length');
  if (gt(stats.hashRatio, p.maxSymbolWordRatio)) failed.push('too_many_hashes');
  if (gt(stats.ellipsisRatio, p.maxSymbolWordRatio)) failed.push('too_many_ellipses');
  if (gt(stats.bulletLinesRatio, p.maxBulletLinesRatio)) failed.push('too_many_bullet_lines');
  if (gt(stats.ellipsisLinesRatio, p.maxEllipsisLinesRatio)) failed.push('too_many_ellipsis_lines');
  if (lt(stats.alphaWordsRatio, p.minAlphaWordsRatio)) failed.push('too_few_alpha_words');
  if (stats.stopWords < p.minStopWords) failed.push('too_few_stop_words');
  if (gt(stats.dupParagraphFraction, p.maxDupParagraphFraction)) failed.push('dup_paragraphs');
  if (gt(stats.dupParagraphCharFraction, p.maxDupParagraphCharFraction)) failed.push('dup_paragraph_chars');
  if (gt(stats.dupLineFraction, p.maxDupLineFraction)) failed.push('dup_lines');
  if (gt(stats.dupLineCharFraction, p.maxDupLineCharFraction)) failed.push('dup_line_chars');
  const topMax = [p.maxTop2gramCharFraction, p.maxTop3gramCharFraction, p.maxTop4gramCharFraction];
  [2, 3, 4].forEach((n, k) => gt(top[n]!, topMax[k]!) && failed.push(`top_${n}gram`));
  const dupMax = [
    p.maxDup5gramCharFraction,
    p.maxDup6gramCharFraction,
    p.maxDup7gramCharFraction,
    p.maxDup8gramCharFraction,
    p.maxDup9gramCharFraction,
    p.maxDup10gramCharFraction,
  ];
  [5, 6, 7, 8, 9, 10].forEach((n, k) => gt(dup[n]!, dupMax[k]!) && failed.push(`dup_${n}gram`));
  return { stats, failed };
}

const VOCAB = [
  'the',
  'The',
  'and',
  'of',
  'river',
  'a',
  'flows',
  'quickly',
  'extraordinarily',
  'x',
  '42',
  '#',
  '#tag',
  '...',
  'wait…',
  '(see',
  'it)',
  'done.',
  'yes,',
  '😀',
  'naïve',
  '--',
  'is',
];
const SEPARATORS = [' ', ' ', ' ', ' ', ' ', '\n', '\n\n', '\r\n', '\n- ', '\n• ', '  '];

function randomGopherText(next: () => number): string {
  const lineBank = Array.from({ length: 3 }, () =>
    Array.from({ length: 1 + Math.floor(next() * 8) }, () => pick(next, VOCAB)).join(' '),
  );
  let text = next() < 0.2 ? '\n' : '';
  const parts = Math.floor(next() * 120);
  for (let i = 0; i < parts; i++) {
    text += next() < 0.1 ? `\n${pick(next, lineBank)}\n` : pick(next, VOCAB) + pick(next, SEPARATORS);
  }
  return text;
}

/**
 * 200..1100 tokens drawn mostly from a few random phrases of 2..12 tokens: long runs of repeated
 * 5..10-grams, which overlap in many ways, with the separators of randomGopherText in between.
 */
function repetitivePhraseText(next: () => number): string {
  const phrases = Array.from({ length: 1 + Math.floor(next() * 6) }, () =>
    Array.from({ length: 2 + Math.floor(next() * 11) }, () => pick(next, VOCAB)).join(' '),
  );
  const target = 200 + Math.floor(next() * 900);
  let text = '';
  let tokens = 0;
  while (tokens < target) {
    const part = next() < 0.7 ? pick(next, phrases) : pick(next, VOCAB);
    text += part + pick(next, SEPARATORS);
    tokens += part.split(' ').length;
  }
  return text;
}

describe('heuristic_quality matches a naive implementation on seeded random texts', () => {
  it('statistics and failures, default and random thresholds', () => {
    const next = prng(1234);
    const failures = new Set<string>();
    let passes = 0;
    for (let round = 0; round < 300; round++) {
      const text = randomGopherText(next);
      const p: HeuristicQualityParams =
        round % 2 === 0
          ? DEFAULTS
          : {
              ...DEFAULTS,
              minWords: Math.floor(next() * 30),
              minMeanWordLength: next() * 3,
              maxSymbolWordRatio: next() * 0.5,
              minAlphaWordsRatio: next() * 0.9,
              minStopWords: Math.floor(next() * 3),
              maxBulletLinesRatio: next(),
              maxDupLineFraction: next(),
              maxDupParagraphFraction: next(),
              maxTop2gramCharFraction: next(),
              maxDup5gramCharFraction: next() * 0.5,
              maxDup10gramCharFraction: next() * 0.5,
            };
      const expected = naiveGopher(text, p);
      const stats = gopherStats(text);
      assert.deepEqual(stats, expected.stats, JSON.stringify(text));
      const failed = gopherFailures(stats, p);
      assert.deepEqual(failed, expected.failed, JSON.stringify(text));
      for (const rule of failed) failures.add(rule);
      if (failed.length === 0) passes++;
    }
    // The random texts exercise most rules, and some pass.
    assert.ok(failures.size >= 12, [...failures].join(', '));
    assert.ok(passes > 0);
  });

  it('long texts of repeated random phrases (many repeated 5..10-grams, ties among top n-grams)', () => {
    const next = prng(98765);
    const failedCounts = new Map<string, number>();
    const rounds = 40;
    for (let round = 0; round < rounds; round++) {
      const text = repetitivePhraseText(next);
      const p: HeuristicQualityParams =
        round % 2 === 0
          ? DEFAULTS
          : {
              ...DEFAULTS,
              maxTop2gramCharFraction: next() * 0.3,
              maxTop3gramCharFraction: next() * 0.3,
              maxTop4gramCharFraction: next() * 0.3,
              maxDup5gramCharFraction: next() * 0.8,
              maxDup6gramCharFraction: next() * 0.8,
              maxDup7gramCharFraction: next() * 0.8,
              maxDup8gramCharFraction: next() * 0.8,
              maxDup9gramCharFraction: next() * 0.8,
              maxDup10gramCharFraction: next() * 0.8,
            };
      const expected = naiveGopher(text, p);
      const stats = gopherStats(text);
      assert.deepEqual(stats, expected.stats, JSON.stringify(text));
      const failed = gopherFailures(stats, p);
      assert.deepEqual(failed, expected.failed, JSON.stringify(text));
      for (const rule of failed) failedCounts.set(rule, (failedCounts.get(rule) ?? 0) + 1);
    }
    // Every n-gram rule both fails and passes on some of these texts.
    for (const rule of GOPHER_RULES.filter((r) => /^(top|dup)_\d+gram$/.test(r))) {
      const count = failedCounts.get(rule) ?? 0;
      assert.ok(count > 0 && count < rounds, `${rule} failed ${count} of ${rounds}`);
    }
  });
});

describe('shard merge: 4 shards of batches of 3 equal one shard', () => {
  function randomSamples(seed: number, count: number): MetricSample[] {
    const next = prng(seed);
    const answers = ['72', '72.00', '$1,200', 'Paris', 'the answer is 5.', '3/4'];
    return Array.from({ length: count }, (_, i) =>
      sample(
        i,
        next() < 0.3
          ? PASSING
          : `${randomGopherText(next)}\n${pick(next, ['#### ', 'A: ', ''])}${pick(next, answers)}`,
        next() < 0.3 ? null : pick(next, answers),
        next() < 0.5 ? PASSING : randomGopherText(next),
      ),
    );
  }

  for (const field of ['response', 'prompt', 'prompt+response']) {
    it(`quality.heuristic_quality (${field})`, async () => {
      const samples = randomSamples(field.length, 45);
      const p: HeuristicQualityParams = { ...DEFAULTS, field: field as TextField, minWords: 10 };
      const whole = await runInMemory(heuristicQuality, p, samples);
      const sharded = await runInMemory(heuristicQuality, p, samples, { shards: 4, batchSize: 3 });
      assert.deepEqual(sharded.outcome, whole.outcome);
      assert.deepEqual(sharded.sampleValues, whole.sampleValues);
      assert.ok(whole.outcome.value! > 0 && whole.outcome.value! < 1);
    });
  }

  it('quality.answer_match', async () => {
    const samples = randomSamples(77, 45);
    const whole = await runInMemory(answerMatch, {}, samples);
    const sharded = await runInMemory(answerMatch, {}, samples, { shards: 4, batchSize: 3 });
    assert.deepEqual(sharded.outcome, whole.outcome);
    assert.deepEqual(sharded.sampleValues, whole.sampleValues);
    assert.ok(whole.outcome.value! > 0 && whole.outcome.value! < 1);
  });

  it('more shards than samples', async () => {
    const samples = randomSamples(5, 2);
    const runs: [MetricDefinition, ResolvedParams][] = [
      [heuristicQuality, DEFAULTS],
      [answerMatch, {}],
    ];
    for (const [metric, p] of runs) {
      const whole = await runInMemory(metric, p, samples);
      const sharded = await runInMemory(metric, p, samples, { shards: 5, batchSize: 1 });
      assert.deepEqual(sharded.outcome, whole.outcome);
    }
  });
});
