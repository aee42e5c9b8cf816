/**
 * Pathological sample text in the metrics' text paths finishes, with the right answer (security
 * review F2: quadratic regexes froze the whole server on one crafted sample). Each call runs in a
 * child process with a time limit, so a regression fails instead of hanging the suite.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { callIsolated } from './helpers/isolated.js';

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
