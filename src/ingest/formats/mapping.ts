import type { FormatSpec } from './fieldSource.js';

/**
 * mapping: only the explicit FieldMapping (required, and it must map prompt or messages). A
 * top-level key is consumed when any mapping path starts with it; every other top-level key goes
 * into metadata (merged into the object at the `metadata` path when one is mapped). A mapped path
 * that is absent gives null. Mapped values are checked like the other formats' fields: text
 * fields string or null, messages an array of {role, content}, metadata a JSON object or null.
 */
export const MAPPING: FormatSpec = {};
