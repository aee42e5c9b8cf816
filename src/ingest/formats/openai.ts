import { messagesKey, type FormatSpec } from './fieldSource.js';
import { PROMPT_RESPONSE } from './promptResponse.js';

/**
 * openai: chat fine-tuning records. `messages` (required) is an array of {role, content} with a
 * string content; other keys on a message (name, tool_calls, ...) are kept as they are. Optional
 * `prompt`, `response`, `reference`, `metadata` exactly as in prompt_response. prompt/response are
 * not derived here: canonicalizeSample derives them from the messages when absent.
 */
export const OPENAI: FormatSpec = { ...PROMPT_RESPONSE, messages: messagesKey(true) };
