/**
 * Pathological sample text in the metrics' text paths finishes, with the right answer (security
 * review F2: quadratic regexes froze the whole server on one crafted sample). Each call runs in a
 * child process with a time limit, so a regression fails instead of hanging the suite.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readabilityCounts } from '../src/metrics/complexity/readability.js';
import { gopherTokens } from '../src/metrics/quality/gopherTokens.js';
import { trailingRunStart } from '../src/metrics/trailingRun.js';
import { callIsolated } from './helpers/isolated.js';
import { prng } from './helpers/prng.js';

const RUN = 200_000;

describe('quality.answer_match on pathological text', () => {
  it('a long run of spaces inside an "A:" answer', () => {
    assert.deepEqual(
      callIsolated('metrics/quality/answerMatch.ts', 'extractFinalAnswer', [`A: 7${' '.repeat(RUN)}x`]),
      {
        answer: `7${' '.repeat(RUN)}x`,
        method: 'answer_line',
      },
    );
  });

  it('a long run of dots before the end, as a whole-text answer and normalized', () => {
    const dots = `${'.'.repeat(RUN)}x`;
    assert.equal(callIsolated('metrics/quality/answerMatch.ts', 'parseAnswerNumber', [dots]), null);
    assert.equal(callIsolated('metrics/quality/answerMatch.ts', 'normalizeAnswer', [`${dots} !`]), `${dots}`);
    assert.equal(
      callIsolated('metrics/quality/answerMatch.ts', 'parseAnswerNumber', [`12${'.'.repeat(RUN)}`]),
      12,
    );
  });

  it('comparing against a reference of punctuation runs', () => {
    const reference = `${'!'.repeat(RUN)} 5`;
    assert.deepEqual(callIsolated('metrics/quality/answerMatch.ts', 'compareAnswers', ['5', reference]), {
      match: false,
      comparison: 'string',
    });
  });
});

describe('heuristic_quality and readability tokens on pathological text', () => {
  it('a token of 200k symbols before a letter splits into its runs', () => {
    const token = `(${'!'.repeat(RUN)}x${'?'.repeat(RUN)}`;
    assert.deepEqual(callIsolated('metrics/quality/gopherTokens.ts', 'gopherTokens', [`a ${token} b`]), [
      'a',
      `(${'!'.repeat(RUN)}`,
      'x',
      '?'.repeat(RUN),
      'b',
    ]);
  });

  it('sentence ends and syllables of a token of 200k dots and closers before a letter', () => {
    const text = `Go. ${'.'.repeat(RUN)})x ${'!'.repeat(RUN)}"'`;
    assert.deepEqual(callIsolated('metrics/complexity/readability.ts', 'readabilityCounts', [text]), {
      words: 2,
      sentences: 2,
      syllables: 2,
    });
  });
});

describe('linear trailing runs equal the regexes they replace', () => {
  // The old regexes, fine on short tokens: the reference for the linear code on random ones.
  const OLD_TRAILING_SYMBOLS = /[\p{P}\p{S}]+$/u;
  const OLD_SENTENCE_END = /[.!?]+["'\u201d\u2019)\]]*$/;
  const ALPHABET = [
    'a',
    'b',
    '.',
    '!',
    '?',
    ')',
    ']',
    '"',
    "'",
    '\u201d',
    '(',
    '-',
    '1',
    '\u{1F600}',
    '\u00e9',
    ' ',
  ];
  const random = prng(2402);
  const token = () =>
    Array.from(
      { length: 1 + Math.floor(random() * 8) },
      () => ALPHABET[Math.floor(random() * ALPHABET.length)]!,
    )
      .join('')
      .replace(/\s/g, '');

  it('on 5000 random tokens', () => {
    for (let i = 0; i < 5000; i++) {
      const t = token();
      const trail = OLD_TRAILING_SYMBOLS.exec(t)?.[0] ?? '';
      assert.equal(t.slice(trailingRunStart(t, /^[\p{P}\p{S}]$/u)), trail, JSON.stringify(t));
      if (t !== '') {
        const sentences = readabilityCounts(`word ${t}`).sentences;
        const expected = Math.max(1, OLD_SENTENCE_END.test(t) ? 1 : 0);
        assert.equal(sentences, expected, JSON.stringify(t));
      }
      assert.deepEqual(gopherTokens(t), oldGopherTokens(t), JSON.stringify(t));
    }
  });

  function oldGopherTokens(text: string): string[] {
    const out: string[] = [];
    for (const t of text.trim() === '' ? [] : text.trim().split(/\s+/)) {
      const lead = /^[\p{P}\p{S}]+/u.exec(t)?.[0] ?? '';
      if (lead.length === t.length) {
        out.push(t);
        continue;
      }
      const trail = OLD_TRAILING_SYMBOLS.exec(t)?.[0] ?? '';
      if (lead !== '') out.push(lead);
      out.push(t.slice(lead.length, t.length - trail.length));
      if (trail !== '') out.push(trail);
    }
    return out;
  }
});
