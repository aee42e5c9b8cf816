import { metadataKey, optionalText, requiredText, textKey, type FormatSpec } from './fieldSource.js';

/**
 * question_answer (GSM8K style): `question` (required string) -> prompt, `answer` (optional
 * string) -> response, and reference = the text after the LAST '####' in answer, trimmed (the
 * whole answer trimmed when it has no '####'). Optional `metadata`.
 */
export const QUESTION_ANSWER: FormatSpec = {
  prompt: { keys: ['question'], read: (r) => requiredText(r.question, 'question') },
  response: textKey('answer'),
  reference: {
    keys: ['answer'],
    read: (r) => {
      const answer = optionalText(r.answer, 'answer');
      if (answer == null) return answer;
      const mark = answer.lastIndexOf('####');
      return (mark < 0 ? answer : answer.slice(mark + 4)).trim();
    },
  },
  metadata: metadataKey,
};
