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
 */
import type { SampleInput } from '../catalog/canonicalSample.js';
import { BadInputError } from '../errors.js';

export const FORMATS = [
  'prompt_response',
  'prompt_completion',
  'alpaca',
  'question_answer',
  'openai',
  'sharegpt',
  'mapping',
] as const;
export type FormatName = (typeof FORMATS)[number];

/** The canonical fields a FieldMapping can target. */
export const MAPPING_FIELDS = ['prompt', 'response', 'reference', 'messages', 'metadata'] as const;
export type MappingField = (typeof MAPPING_FIELDS)[number];

/** Canonical field -> source path (dot-separated keys, numeric segments index arrays, e.g. "output.text", "turns.0.content"). */
export type FieldMapping = Partial<Record<MappingField, string>>;

/** Thrown by mapRecord for a record that does not fit; message is the reason without position (the caller prefixes "line N: "). */
export class RecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordError';
  }
}

type Rec = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Parsing of CLI/HTTP options
// ---------------------------------------------------------------------------------------------

const MAPPING_FIELD_SET: ReadonlySet<string> = new Set(MAPPING_FIELDS);
const FORMAT_SET: ReadonlySet<string> = new Set(FORMATS);
const VALID_FIELDS = MAPPING_FIELDS.join(', ');
const VALID_FORMATS = FORMATS.join(', ');

function isMappingField(name: string): name is MappingField {
  return MAPPING_FIELD_SET.has(name);
}

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

// ---------------------------------------------------------------------------------------------
// Detection
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Field readers (validation; values are returned as they are, never copied)
// ---------------------------------------------------------------------------------------------

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function isObject(value: unknown): value is Rec {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function mustBeString(label: string, value: unknown): RecordError {
  return new RecordError(`"${label}" must be a string (got ${kindOf(value)})`);
}

/** string, null, or undefined (absent). */
function optionalText(value: unknown, label: string): string | null | undefined {
  if (value === undefined || value === null || typeof value === 'string') return value;
  throw mustBeString(label, value);
}

function requiredText(value: unknown, label: string): string {
  if (typeof value === 'string') return value;
  if (value === undefined) throw new RecordError(`"${label}" is missing`);
  throw mustBeString(label, value);
}

/** A JSON object, null, or undefined (absent). */
function optionalObject(value: unknown, label: string): Rec | null | undefined {
  if (value === undefined || value === null || isObject(value)) return value;
  throw new RecordError(`"${label}" must be a JSON object (got ${kindOf(value)})`);
}

type Messages = NonNullable<SampleInput['messages']>;

/**
 * Checks an array of {role, content} chat messages (role and content strings; other keys are
 * kept as they are) and returns it as is. null/undefined pass unless `required`.
 */
function checkMessages(value: unknown, label: string, required: boolean): Messages | null | undefined {
  if (value === undefined || value === null) {
    if (!required) return value;
    if (value === undefined) throw new RecordError(`"${label}" is missing`);
  }
  if (!Array.isArray(value)) throw new RecordError(`"${label}" must be an array (got ${kindOf(value)})`);
  for (let i = 0; i < value.length; i += 1) {
    const m: unknown = value[i];
    if (!isObject(m)) throw new RecordError(`"${label}[${i}]" must be a JSON object (got ${kindOf(m)})`);
    if (typeof m.role !== 'string') throw mustBeString(`${label}[${i}].role`, m.role);
    if (typeof m.content !== 'string') throw mustBeString(`${label}[${i}].content`, m.content);
  }
  return value as Messages;
}

/** Sets an own property, also for the key "__proto__" (which JSON.parse creates as an own key). */
function setOwn(target: Rec, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

// ---------------------------------------------------------------------------------------------
// Formats
// ---------------------------------------------------------------------------------------------

/** Where one canonical field of a format comes from. */
interface FieldSource {
  /** Top-level keys read (consumed) for this field. */
  readonly keys: readonly string[];
  /** The field's value; undefined when absent. Throws RecordError on a wrong type. */
  read(record: Rec): unknown;
}

type FormatSpec = Readonly<Partial<Record<MappingField, FieldSource>>>;

const textKey = (key: string): FieldSource => ({ keys: [key], read: (r) => optionalText(r[key], key) });
const metadataKey: FieldSource = { keys: ['metadata'], read: (r) => optionalObject(r.metadata, 'metadata') };
const messagesKey = (required: boolean): FieldSource => ({
  keys: ['messages'],
  read: (r) => checkMessages(r.messages, 'messages', required),
});

/**
 * prompt_response: the catalog's own shape, also what export writes. Reads `prompt`, `response`,
 * `reference` (strings or null), `messages` (array of {role, content} or null) and `metadata`
 * (object or null), all optional here (canonicalizeSample requires a prompt or messages). An
 * exported record (exactly these five keys, any of them null) maps back to the same sample: nulls
 * stay nulls and nothing lands in metadata.
 */
const PROMPT_RESPONSE: FormatSpec = {
  prompt: textKey('prompt'),
  response: textKey('response'),
  reference: textKey('reference'),
  messages: messagesKey(false),
  metadata: metadataKey,
};

/**
 * openai: chat fine-tuning records. `messages` (required) is an array of {role, content} with a
 * string content; other keys on a message (name, tool_calls, ...) are kept as they are. Optional
 * `prompt`, `response`, `reference`, `metadata` exactly as in prompt_response. prompt/response are
 * not derived here: canonicalizeSample derives them from the messages when absent.
 */
const OPENAI: FormatSpec = { ...PROMPT_RESPONSE, messages: messagesKey(true) };

/**
 * prompt_completion: `prompt` (required string) -> prompt, `completion` (string, optional) ->
 * response; optional `reference` and `metadata`.
 */
const PROMPT_COMPLETION: FormatSpec = {
  prompt: { keys: ['prompt'], read: (r) => requiredText(r.prompt, 'prompt') },
  response: textKey('completion'),
  reference: textKey('reference'),
  metadata: metadataKey,
};

/**
 * alpaca: `instruction` (required string), `input` (optional string), `output` (optional string).
 * prompt = instruction when input is absent, null or blank (whitespace only), else
 * `${instruction}\n\n${input}`; response = output. Optional `metadata`.
 */
const ALPACA: FormatSpec = {
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

/**
 * question_answer (GSM8K style): `question` (required string) -> prompt, `answer` (optional
 * string) -> response, and reference = the text after the LAST '####' in answer, trimmed (the
 * whole answer trimmed when it has no '####'). Optional `metadata`.
 */
const QUESTION_ANSWER: FormatSpec = {
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

const SHAREGPT_ROLES: ReadonlyMap<string, string> = new Map([
  ['human', 'user'],
  ['gpt', 'assistant'],
  ['system', 'system'],
]);

/**
 * sharegpt: `conversations` (required) is an array of {from, value} turns, mapped to messages
 * {role, content} with from human -> user, gpt -> assistant, system -> system and any other
 * value (bing, chatgpt, ...) unchanged. Other keys on a turn are kept on the message (a turn that
 * also has its own `role` or `content` key is a RecordError). An optional top-level `system`
 * string, when non-empty, becomes a leading {role: 'system'} message. Optional `metadata`, merged
 * with the extra keys as in every other format.
 */
const SHAREGPT: FormatSpec = {
  messages: {
    keys: ['conversations', 'system'],
    read: (r) => {
      const turns = r.conversations;
      if (turns === undefined) throw new RecordError('"conversations" is missing');
      if (!Array.isArray(turns))
        throw new RecordError(`"conversations" must be an array (got ${kindOf(turns)})`);
      const system = optionalText(r.system, 'system');
      const messages: Rec[] = [];
      if (system) messages.push({ role: 'system', content: system });
      for (let i = 0; i < turns.length; i += 1) {
        const turn: unknown = turns[i];
        if (!isObject(turn)) {
          throw new RecordError(`"conversations[${i}]" must be a JSON object (got ${kindOf(turn)})`);
        }
        const from = turn.from;
        const value = turn.value;
        if (typeof from !== 'string') throw mustBeString(`conversations[${i}].from`, from);
        if (typeof value !== 'string') throw mustBeString(`conversations[${i}].value`, value);
        const message: Rec = { role: SHAREGPT_ROLES.get(from) ?? from, content: value };
        for (const key of Object.keys(turn)) {
          if (key === 'from' || key === 'value') continue;
          if (key === 'role' || key === 'content') {
            throw new RecordError(`"conversations[${i}]" has both "from"/"value" and "${key}"`);
          }
          setOwn(message, key, turn[key]);
        }
        messages.push(message);
      }
      return messages;
    },
  },
  metadata: metadataKey,
};

/**
 * mapping: only the explicit FieldMapping (required, and it must map prompt or messages). A
 * top-level key is consumed when any mapping path starts with it; every other top-level key goes
 * into metadata (merged into the object at the `metadata` path when one is mapped). A mapped path
 * that is absent gives null. Mapped values are checked like the other formats' fields: text
 * fields string or null, messages an array of {role, content}, metadata a JSON object or null.
 */
const MAPPING: FormatSpec = {};

const SPECS: Readonly<Record<FormatName, FormatSpec>> = {
  prompt_response: PROMPT_RESPONSE,
  prompt_completion: PROMPT_COMPLETION,
  alpaca: ALPACA,
  question_answer: QUESTION_ANSWER,
  openai: OPENAI,
  sharegpt: SHAREGPT,
  mapping: MAPPING,
};

// ---------------------------------------------------------------------------------------------
// Plans: everything that depends only on (format, mapping), computed once
// ---------------------------------------------------------------------------------------------

interface Segment {
  readonly key: string;
  /** Array index when the segment is a non-negative integer, else -1. */
  readonly index: number;
}

interface CompiledPath {
  readonly text: string;
  readonly segments: readonly Segment[];
}

interface Plan {
  /** Fields read by the format's own sources (metadata excluded). */
  readonly own: readonly (readonly [MappingField, FieldSource])[];
  /** Fields read from mapping paths (metadata excluded). */
  readonly mapped: readonly (readonly [MappingField, CompiledPath])[];
  readonly metadataSource: FieldSource | null;
  readonly metadataPath: CompiledPath | null;
  /** Top-level keys that do not go into metadata. */
  readonly consumed: ReadonlySet<string>;
}

const INDEX_SEGMENT = /^(?:0|[1-9][0-9]*)$/;

function compilePath(field: string, path: unknown): CompiledPath {
  if (typeof path !== 'string' || path.trim() === '') {
    throw new BadInputError(`field mapping for "${field}" needs a non-empty path`, { field: 'mapping' });
  }
  const text = path.trim();
  const segments = text.split('.').map((key) => {
    if (key === '') {
      throw new BadInputError(`field mapping for "${field}": empty segment in path "${text}"`, {
        field: 'mapping',
      });
    }
    return { key, index: INDEX_SEGMENT.test(key) ? Number(key) : -1 };
  });
  return { text, segments };
}

function buildPlan(format: FormatName, mapping: FieldMapping | undefined): Plan {
  const spec = SPECS[format];
  const mapped: [MappingField, CompiledPath][] = [];
  let metadataPath: CompiledPath | null = null;
  const consumed = new Set<string>();
  if (mapping !== undefined) {
    for (const [field, path] of Object.entries(mapping)) {
      if (path === undefined) continue;
      if (!isMappingField(field)) {
        throw new BadInputError(`field mapping: unknown field "${field}" (valid: ${VALID_FIELDS})`, {
          field: 'mapping',
        });
      }
      const compiled = compilePath(field, path);
      consumed.add(compiled.segments[0]!.key);
      if (field === 'metadata') metadataPath = compiled;
      else mapped.push([field, compiled]);
    }
  }
  if (format === 'mapping' && mapping?.prompt === undefined && mapping?.messages === undefined) {
    throw new BadInputError(
      'format "mapping" needs a field mapping for prompt or messages (e.g. "prompt=question,response=answer")',
      {
        field: 'mapping',
      },
    );
  }
  const own: [MappingField, FieldSource][] = [];
  let metadataSource: FieldSource | null = null;
  for (const field of MAPPING_FIELDS) {
    const source = spec[field];
    if (source === undefined || mapping?.[field] !== undefined) continue;
    for (const key of source.keys) consumed.add(key);
    if (field === 'metadata') metadataSource = source;
    else own.push([field, source]);
  }
  return { own, mapped, metadataSource, metadataPath, consumed };
}

const basePlans = new Map<FormatName, Plan>();
const mappingPlans = new WeakMap<FieldMapping, Map<FormatName, Plan>>();

/** Plans are cached per mapping object: do not mutate a mapping after passing it to mapRecord. */
function planFor(format: FormatName, mapping: FieldMapping | undefined): Plan {
  let plans = basePlans;
  if (mapping !== undefined) {
    let cached = mappingPlans.get(mapping);
    if (cached === undefined) {
      cached = new Map();
      mappingPlans.set(mapping, cached);
    }
    plans = cached;
  }
  let plan = plans.get(format);
  if (plan === undefined) {
    if (!Object.hasOwn(SPECS, format))
      throw new BadInputError(`unknown format "${String(format)}" (valid: ${VALID_FORMATS})`);
    plan = buildPlan(format, mapping);
    plans.set(format, plan);
  }
  return plan;
}

/** The value at a path; undefined when any step is missing. Only own keys are followed. */
function readPath(record: Rec, path: CompiledPath): unknown {
  let current: unknown = record;
  for (const segment of path.segments) {
    if (current === null || typeof current !== 'object') return undefined;
    if (Array.isArray(current)) {
      if (segment.index < 0) return undefined;
      current = current[segment.index];
    } else {
      if (!Object.hasOwn(current, segment.key)) return undefined;
      current = (current as Rec)[segment.key];
    }
  }
  return current;
}

function readMapped(field: MappingField, record: Rec, path: CompiledPath): unknown {
  const value = readPath(record, path);
  if (value === undefined) return null;
  if (field === 'messages') return checkMessages(value, path.text, false);
  if (field === 'metadata') return optionalObject(value, path.text);
  return optionalText(value, path.text);
}

// ---------------------------------------------------------------------------------------------
// mapRecord
// ---------------------------------------------------------------------------------------------

/**
 * Maps one record. `record` is any JSON value (non-objects -> RecordError "record is not a JSON
 * object (got array)" etc). For format 'mapping', `mapping` is required; for other formats an
 * optional `mapping` overrides/extends that format's own field sources. A record that does not fit
 * throws RecordError; an invalid format or mapping (a caller error, not the record's) throws
 * BadInputError. The result shares strings, messages and nested values with `record` (only the
 * metadata object is a fresh copy when extra keys were merged into it).
 */
export function mapRecord(format: FormatName, record: unknown, mapping?: FieldMapping): SampleInput {
  if (!isObject(record)) throw new RecordError(`record is not a JSON object (got ${kindOf(record)})`);
  const plan = planFor(format, mapping);
  const out: Record<string, unknown> = {};
  for (const [field, source] of plan.own) {
    const value = source.read(record);
    if (value !== undefined) out[field] = value;
  }
  for (const [field, path] of plan.mapped) out[field] = readMapped(field, record, path);

  let metadata: Rec | null | undefined;
  let metadataLabel = 'metadata';
  if (plan.metadataSource) {
    metadata = plan.metadataSource.read(record) as Rec | null | undefined;
  } else if (plan.metadataPath) {
    metadata = readMapped('metadata', record, plan.metadataPath) as Rec | null;
    metadataLabel = plan.metadataPath.text;
  }
  let merged: Rec | null = null;
  for (const key of Object.keys(record)) {
    if (plan.consumed.has(key)) continue;
    if (merged === null) merged = metadata ? { ...metadata } : {};
    if (Object.hasOwn(merged, key)) {
      throw new RecordError(`"${key}" is both a top-level key and a key of "${metadataLabel}"`);
    }
    setOwn(merged, key, record[key]);
  }
  if (merged !== null) metadata = merged;
  if (metadata !== undefined) out.metadata = metadata;
  return out as SampleInput;
}

// ---------------------------------------------------------------------------------------------
// Examples
// ---------------------------------------------------------------------------------------------

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
