import { metadataKey, optionalText, requiredText, textKey, type FormatSpec } from './fieldSource.js';

/**
 * alpaca: `instruction` (required string), `input` (optional string), `output` (optional string).
 * prompt = instruction when input is absent, null or blank (whitespace only), else
 * `${instruction}\n\n${input}`; response = output. Optional `metadata`.
 */
export const ALPACA: FormatSpec = {
  prompt: {
    keys: ['instruction', 'input'],
    read: (r) => {
      const instruction = requiredText(r.instruction, 'instruction');
      const input = optionalText(r.input, 'input');
      return input == null || input.trim() === '' ? instruction : `${instruction}\n\n${input}`;
    },
  },
  response: textKey('output'),
  metadata: metadataKey,
};
