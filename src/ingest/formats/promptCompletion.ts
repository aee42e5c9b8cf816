import { metadataKey, requiredText, textKey, type FormatSpec } from './fieldSource.js';

/**
 * prompt_completion: `prompt` (required string) -> prompt, `completion` (string, optional) ->
 * response; optional `reference` and `metadata`.
 */
export const PROMPT_COMPLETION: FormatSpec = {
  prompt: { keys: ['prompt'], read: (r) => requiredText(r.prompt, 'prompt') },
  response: textKey('completion'),
  reference: textKey('reference'),
  metadata: metadataKey,
};
