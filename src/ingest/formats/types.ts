/** Format names, the canonical fields a field mapping can target, and the sets that check them. */
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

const MAPPING_FIELD_SET: ReadonlySet<string> = new Set(MAPPING_FIELDS);
export const FORMAT_SET: ReadonlySet<string> = new Set(FORMATS);
export const VALID_FIELDS = MAPPING_FIELDS.join(', ');
export const VALID_FORMATS = FORMATS.join(', ');

export function isMappingField(name: string): name is MappingField {
  return MAPPING_FIELD_SET.has(name);
}
