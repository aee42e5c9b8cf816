/**
 * Field readers shared by the formats (validation; values are returned as they are, never
 * copied), and the FieldSource / FormatSpec shapes each format is described with.
 */
import type { SampleInput } from '../../catalog/canonicalSample.js';
import { RecordError } from './recordError.js';
import type { MappingField } from './types.js';

export type Rec = Record<string, unknown>;

export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

export function isObject(value: unknown): value is Rec {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function mustBeString(label: string, value: unknown): RecordError {
  return new RecordError(`"${label}" must be a string (got ${kindOf(value)})`);
}

/** string, null, or undefined (absent). */
export function optionalText(value: unknown, label: string): string | null | undefined {
  if (value === undefined || value === null || typeof value === 'string') return value;
  throw mustBeString(label, value);
}

export function requiredText(value: unknown, label: string): string {
  if (typeof value === 'string') return value;
  if (value === undefined) throw new RecordError(`"${label}" is missing`);
  throw mustBeString(label, value);
}

/** A JSON object, null, or undefined (absent). */
export function optionalObject(value: unknown, label: string): Rec | null | undefined {
  if (value === undefined || value === null || isObject(value)) return value;
  throw new RecordError(`"${label}" must be a JSON object (got ${kindOf(value)})`);
}

export type Messages = NonNullable<SampleInput['messages']>;

/**
 * Checks an array of {role, content} chat messages (role and content strings; other keys are
 * kept as they are) and returns it as is. null/undefined pass unless `required`.
 */
export function checkMessages(value: unknown, label: string, required: boolean): Messages | null | undefined {
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
export function setOwn(target: Rec, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** Where one canonical field of a format comes from. */
export interface FieldSource {
  /** Top-level keys read (consumed) for this field. */
  readonly keys: readonly string[];
  /** The field's value; undefined when absent. Throws RecordError on a wrong type. */
  read(record: Rec): unknown;
}

export type FormatSpec = Readonly<Partial<Record<MappingField, FieldSource>>>;

export const textKey = (key: string): FieldSource => ({
  keys: [key],
  read: (r) => optionalText(r[key], key),
});
export const metadataKey: FieldSource = {
  keys: ['metadata'],
  read: (r) => optionalObject(r.metadata, 'metadata'),
};
export const messagesKey = (required: boolean): FieldSource => ({
  keys: ['messages'],
  read: (r) => checkMessages(r.messages, 'messages', required),
});
