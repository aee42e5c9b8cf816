/** Opaque global ids (`base64url("Type:id")`) for `Node.id` and `Query.node`. */
import { BadInputError } from './errors.js';

export const NODE_TYPES = [
  'Dataset',
  'DatasetVersion',
  'Sample',
  'Component',
  'Algorithm',
  'GenerationRun',
  'Job',
  'MetricResult',
  'EmbeddingSpace',
  'VersionOverlap',
  'Projection',
] as const;
export type NodeType = (typeof NODE_TYPES)[number];

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** base64url without padding of an ASCII string (one byte per character). */
function base64urlOfAscii(text: string): string {
  let out = '';
  let i = 0;
  for (; i + 2 < text.length; i += 3) {
    const n = (text.charCodeAt(i) << 16) | (text.charCodeAt(i + 1) << 8) | text.charCodeAt(i + 2);
    out += BASE64URL[n >> 18]! + BASE64URL[(n >> 12) & 63]! + BASE64URL[(n >> 6) & 63]! + BASE64URL[n & 63]!;
  }
  const rest = text.length - i;
  if (rest > 0) {
    const n = (text.charCodeAt(i) << 16) | (rest === 2 ? text.charCodeAt(i + 1) << 8 : 0);
    out += BASE64URL[n >> 18]! + BASE64URL[(n >> 12) & 63]!;
    if (rest === 2) out += BASE64URL[(n >> 6) & 63]!;
  }
  return out;
}

/**
 * Each type's "Type:" prefix split at its last whole 3-byte group: base64 encodes 3-byte groups
 * independently, so the head's encoding is computed once and only the tail and the digits are
 * encoded per id. A list of 1000 nodes encodes 1000 ids; this is ~4x faster than a Buffer round trip.
 */
const PREFIXES = new Map(
  NODE_TYPES.map((type) => {
    const prefix = `${type}:`;
    const cut = prefix.length - (prefix.length % 3);
    return [type, { head: base64urlOfAscii(prefix.slice(0, cut)), tail: prefix.slice(cut) }] as const;
  }),
);

export function toGlobalId(type: NodeType, id: number): string {
  const prefix = PREFIXES.get(type)!;
  return prefix.head + base64urlOfAscii(prefix.tail + id);
}

const NODE_ID_EXTENSION = 'qdcNodeIdOf';

/**
 * The `id` field of a Node type (resolver and field extensions): it resolves the global id of the
 * row's database id (`row.id`), and its extensions name the type, so that graphql-jit's execution
 * schema can serialize `row.id` directly instead (executionSchema.ts).
 */
export function nodeIdField(type: NodeType) {
  return {
    resolve: (row: { id: number }) => toGlobalId(type, row.id),
    extensions: { [NODE_ID_EXTENSION]: type },
  };
}

/** The Node type a field made by `nodeIdField` identifies, if it is one. */
export function nodeTypeOfIdField(field: {
  extensions?: Readonly<Record<string, unknown>> | null;
}): NodeType | undefined {
  return field.extensions?.[NODE_ID_EXTENSION] as NodeType | undefined;
}

export function fromGlobalId(globalId: string, argument = 'id'): { type: NodeType; id: number } {
  const decoded = Buffer.from(globalId, 'base64url').toString('utf8');
  const match = /^([A-Za-z]+):([1-9][0-9]{0,15})$/.exec(decoded);
  const type = match?.[1] as NodeType | undefined;
  const id = match ? Number(match[2]) : NaN;
  if (!match || !type || !NODE_TYPES.includes(type) || !Number.isSafeInteger(id)) {
    throw new BadInputError(`${argument} "${globalId}" is not a valid id: pass an id returned by this API`, {
      argument,
    });
  }
  return { type, id };
}

/** Decodes an id that must name an object of `type`. */
export function idOf(type: NodeType, globalId: string, argument = 'id'): number {
  const decoded = fromGlobalId(globalId, argument);
  if (decoded.type !== type) {
    throw new BadInputError(`${argument} "${globalId}" is a ${decoded.type} id; expected a ${type} id`, {
      argument,
    });
  }
  return decoded.id;
}
