/**
 * mapRecord, and the plans it runs: everything that depends only on (format, mapping) is computed
 * once and cached.
 */
import type { SampleInput } from '../../catalog/canonicalSample.js';
import { BadInputError } from '../../errors.js';
import {
  checkMessages,
  isObject,
  kindOf,
  optionalObject,
  optionalText,
  setOwn,
  type FieldSource,
  type Rec,
} from './fieldSource.js';
import { RecordError } from './recordError.js';
import { FORMAT_SPECS } from './registry.js';
import {
  isMappingField,
  MAPPING_FIELDS,
  VALID_FIELDS,
  VALID_FORMATS,
  type FieldMapping,
  type FormatName,
  type MappingField,
} from './types.js';

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
  const spec = FORMAT_SPECS[format];
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
    if (!Object.hasOwn(FORMAT_SPECS, format))
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
