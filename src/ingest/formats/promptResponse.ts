import { messagesKey, metadataKey, textKey, type FormatSpec } from './fieldSource.js';

/**
 * prompt_response: the catalog's own shape, also what export writes. Reads `prompt`, `response`,
 * `reference` (strings or null), `messages` (array of {role, content} or null) and `metadata`
 * (object or null), all optional here (canonicalizeSample requires a prompt or messages). An
 * exported record (exactly these five keys, any of them null) maps back to the same sample: nulls
 * stay nulls and nothing lands in metadata.
 */
export const PROMPT_RESPONSE: FormatSpec = {
  prompt: textKey('prompt'),
  response: textKey('response'),
  reference: textKey('reference'),
  messages: messagesKey(false),
  metadata: metadataKey,
};
