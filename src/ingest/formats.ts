/**
 * Input formats of the bulk ingest: maps one parsed JSON record of a user's file to the catalog's
 * `SampleInput`, which `canonicalizeSample` then validates and hashes. Pure (no database), and lean
 * per record: everything that depends only on the format and the field mapping (consumed keys,
 * split paths) is worked out once and cached, a record is read in place, and only the metadata
 * object is copied, and only when extra keys have to be merged into it.
 *
 * Rules shared by every format:
 * - Top-level keys the format does not consume go into `metadata`. When the format consumes a
 *   `metadata` key (it must then be a JSON object, or null/absent), the extra keys are merged into
 *   a copy of it; a key present both at top level and inside it is a RecordError. No extra keys and
 *   no metadata key leave `metadata` undefined (the sample's metadata stays null).
 * - Text fields must be strings (or null/absent where optional). A field that is absent from the
 *   record stays absent (undefined) in the result and a null stays null; canonicalizeSample treats
 *   both as null.
 * - An optional FieldMapping overrides or extends the format's own field sources: a mapped field is
 *   read from its path (absent path -> null), and the format's own source keys for that field are
 *   then no longer consumed (they land in metadata unless another field reads them).
 *
 * Layout: each format's field sources are in formats/<format>.ts (listed in formats/registry.ts),
 * the shared field readers in formats/fieldSource.ts, detection in formats/detectFormat.ts and the
 * per-(format, mapping) plans with mapRecord in formats/mapRecord.ts. This module parses the CLI/HTTP
 * options, holds the examples and re-exports the rest.
 */
import { BadInputError } from '../errors.js';
import {
  FORMAT_SET,
  isMappingField,
  VALID_FIELDS,
  VALID_FORMATS,
  type FieldMapping,
  type FormatName,
} from './formats/types.js';

export { FORMATS, MAPPING_FIELDS } from './formats/types.js';
export type { FieldMapping, FormatName, MappingField } from './formats/types.js';
export { RecordError } from './formats/recordError.js';
export { detectFormat } from './formats/detectFormat.js';
export { mapRecord } from './formats/mapRecord.js';

/**
 * Parses a CLI/HTTP mapping spec "prompt=instruction,response=output.text". Entries are
 * separated by ',', whitespace around field names and paths is ignored. Throws BadInputError
 * naming the bad entry: missing '=', missing or unknown target field (listing the valid ones),
 * empty path or path segment, duplicate target.
 */
export function parseFieldMapping(spec: string): FieldMapping {
  if (spec.trim() === '') {
    throw new BadInputError(
      'field mapping is empty (expected e.g. "prompt=instruction,response=output.text")',
      {
        field: 'mapping',
      },
    );
  }
  const mapping: FieldMapping = {};
  for (const raw of spec.split(',')) {
    const entry = raw.trim();
    const bad = (reason: string): BadInputError =>
      new BadInputError(`field mapping entry "${entry}": ${reason}`, { field: 'mapping', entry });
    if (entry === '') {
      throw new BadInputError(`field mapping "${spec}" has an empty entry (stray ',')`, {
        field: 'mapping',
        entry,
      });
    }
    const eq = entry.indexOf('=');
    if (eq < 0) throw bad("missing '=' (expected field=path)");
    const target = entry.slice(0, eq).trim();
    const path = entry.slice(eq + 1).trim();
    if (target === '') throw bad(`missing the field name before '=' (valid: ${VALID_FIELDS})`);
    if (!isMappingField(target)) throw bad(`unknown field "${target}" (valid: ${VALID_FIELDS})`);
    if (path === '') throw bad('empty path');
    if (path.split('.').includes('')) throw bad(`empty segment in path "${path}"`);
    if (mapping[target] !== undefined) throw bad(`duplicate field "${target}"`);
    mapping[target] = path;
  }
  return mapping;
}

/**
 * Parses a format name. Case and surrounding whitespace are ignored and '-' may stand for '_'
 * ("Prompt-Response" -> 'prompt_response'). Throws BadInputError listing the valid names.
 */
export function parseFormat(name: string): FormatName {
  const normalized = name.trim().toLowerCase().replaceAll('-', '_');
  if (FORMAT_SET.has(normalized)) return normalized as FormatName;
  throw new BadInputError(`unknown format "${name}" (valid: ${VALID_FORMATS})`, { field: 'format' });
}

/** One example line per format, for --help and the README. Each is one JSON record. */
export const FORMAT_EXAMPLES: Record<FormatName, string> = {
  prompt_response:
    '{"prompt":"What is 2+2?","response":"4","reference":"4","messages":null,"metadata":{"source":"arith"}}',
  prompt_completion: '{"prompt":"Translate to French: cheese","completion":"fromage","id":17}',
  alpaca:
    '{"instruction":"Summarize the text.","input":"The quick brown fox jumps over the lazy dog.","output":"A fox jumps over a dog."}',
  question_answer:
    '{"question":"Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?","answer":"Natalia sold 48/2 = 24 clips in May.\\nNatalia sold 48+24 = 72 clips altogether in April and May.\\n#### 72"}',
  openai:
    '{"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Capital of France?"},{"role":"assistant","content":"Paris."}]}',
  sharegpt:
    '{"system":"You are terse.","conversations":[{"from":"human","value":"Capital of France?"},{"from":"gpt","value":"Paris."}]}',
  mapping:
    '{"id":"q-17","turns":[{"content":"Capital of France?"},{"content":"Paris."}],"gold":{"text":"Paris"}}',
};

/** The field mapping that goes with FORMAT_EXAMPLES.mapping (e.g. `--mapping <this>`). */
export const FORMAT_EXAMPLE_MAPPING = 'prompt=turns.0.content,response=turns.1.content,reference=gold.text';
