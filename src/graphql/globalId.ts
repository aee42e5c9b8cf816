/** Opaque global ids (`base64url("Type:id")`) for `Node.id` and `Query.node`. */
import { BadInputError } from '../errors.js';

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
] as const;
export type NodeType = (typeof NODE_TYPES)[number];

export function toGlobalId(type: NodeType, id: number): string {
  // Type names and digits are ASCII, where latin1 and UTF-8 bytes agree; latin1 encodes faster.
  return Buffer.from(`${type}:${id}`, 'latin1').toString('base64url');
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
    throw new BadInputError(`${argument} "${globalId}" is a ${decoded.type} id; expected a ${type} id`, { argument });
  }
  return decoded.id;
}
