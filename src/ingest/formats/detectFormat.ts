import { MAPPING_FIELDS, type FormatName } from './types.js';

/** Keys of a record exported by the catalog. */
const CATALOG_KEYS: ReadonlySet<string> = new Set(MAPPING_FIELDS);

/**
 * Picks the format from one record's keys; null when nothing fits (the caller reports it).
 * "Present" means the key exists with any value, null included. First rule that matches wins:
 *  1. every key is one of prompt/response/reference/messages/metadata and prompt or messages is
 *     present (the catalog's own shape, e.g. an exported record):
 *     'openai' when messages is an array and prompt is absent/null, else 'prompt_response';
 *  2. `conversations` is an array -> 'sharegpt';
 *  3. `instruction` and `output` present -> 'alpaca';
 *  4. `question` and `answer` present -> 'question_answer';
 *  5. `prompt` and `completion` present -> 'prompt_completion';
 *  6. `messages` is an array and prompt is absent/null -> 'openai' (extra keys such as `tools`
 *     land in metadata);
 *  7. `prompt` present (with other extra keys) -> 'prompt_response';
 *  8. otherwise null.
 */
export function detectFormat(record: Record<string, unknown>): FormatName | null {
  const prompt = record.prompt;
  const messagesIsArray = Array.isArray(record.messages);
  let catalogShape = true;
  for (const key of Object.keys(record)) {
    if (!CATALOG_KEYS.has(key)) {
      catalogShape = false;
      break;
    }
  }
  if (catalogShape && (prompt !== undefined || record.messages !== undefined)) {
    return messagesIsArray && prompt == null ? 'openai' : 'prompt_response';
  }
  if (Array.isArray(record.conversations)) return 'sharegpt';
  if (record.instruction !== undefined && record.output !== undefined) return 'alpaca';
  if (record.question !== undefined && record.answer !== undefined) return 'question_answer';
  if (prompt !== undefined && record.completion !== undefined) return 'prompt_completion';
  if (messagesIsArray && prompt == null) return 'openai';
  if (prompt !== undefined) return 'prompt_response';
  return null;
}
