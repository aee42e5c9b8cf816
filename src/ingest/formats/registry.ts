/** Every input format's spec, by name. */
import { ALPACA } from './alpaca.js';
import type { FormatSpec } from './fieldSource.js';
import { MAPPING } from './mapping.js';
import { OPENAI } from './openai.js';
import { PROMPT_COMPLETION } from './promptCompletion.js';
import { PROMPT_RESPONSE } from './promptResponse.js';
import { QUESTION_ANSWER } from './questionAnswer.js';
import { SHAREGPT } from './sharegpt.js';
import type { FormatName } from './types.js';

export const FORMAT_SPECS: Readonly<Record<FormatName, FormatSpec>> = {
  prompt_response: PROMPT_RESPONSE,
  prompt_completion: PROMPT_COMPLETION,
  alpaca: ALPACA,
  question_answer: QUESTION_ANSWER,
  openai: OPENAI,
  sharegpt: SHAREGPT,
  mapping: MAPPING,
};
