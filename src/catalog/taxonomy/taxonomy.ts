/** The taxonomy of generation-algorithm components and the algorithms built from them. */
import { and, asc, eq, getTableColumns, ilike, sql } from 'drizzle-orm';
import type { Db, Executor } from '../../db/connect.js';
import {
  algorithmComponents,
  algorithms,
  components,
  type AlgorithmComponentRow,
  type AlgorithmRow,
  type ComponentRow,
} from '../../db/schema.js';
import { BadInputError, ForbiddenError } from '../../errors.js';
import { SLUG_PATTERN } from '../datasets.js';
import type { Effect, Stage } from './seedTypes.js';
import { anyOf } from '../../db/sqlHelpers.js';
import { preparedSelect } from '../../db/preparedSelect.js';

export interface ComponentInput {
  key: string;
  stage: Stage;
  name: string;
  description?: string | null;
  quality: Effect;
  diversity: Effect;
  complexity: Effect;
  rationale?: string | null;
  citation?: string | null;
}

export interface AlgorithmInput {
  key: string;
  name: string;
  paperTitle?: string | null;
  arxivId?: string | null;
  year?: number | null;
  description?: string | null;
  components?: readonly { component: string; config?: unknown }[] | null;
}

export async function listComponents(db: Executor, stage?: Stage | null): Promise<ComponentRow[]> {
  return db
    .select()
    .from(components)
    .where(stage ? eq(components.stage, stage) : undefined)
    .orderBy(asc(components.stage), asc(components.name));
}

export async function findComponentsBy(
  db: Executor,
  field: 'id' | 'key',
  values: readonly (number | string)[],
): Promise<ComponentRow[]> {
  if (values.length === 0) return [];
  const condition =
    field === 'id' ? anyOf(components.id, values, 'int') : anyOf(components.key, values, 'text');
  return db.select().from(components).where(condition);
}

export async function listAlgorithms(
  db: Executor,
  options: { usesComponent?: string | null; nameContains?: string | null } = {},
): Promise<AlgorithmRow[]> {
  const conditions = [];
  if (options.nameContains) {
    conditions.push(ilike(algorithms.name, `%${options.nameContains.replace(/[\\%_]/g, (c) => `\\${c}`)}%`));
  }
  if (options.usesComponent) {
    conditions.push(
      sql`exists (select 1 from ${algorithmComponents} ac join ${components} c on c.id = ac.component_id
                  where ac.algorithm_id = ${algorithms.id} and c.key = ${options.usesComponent})`,
    );
  }
  return db
    .select()
    .from(algorithms)
    .where(and(...conditions))
    .orderBy(sql`${algorithms.year} asc nulls last`, asc(algorithms.name));
}

export async function findAlgorithmsBy(
  db: Executor,
  field: 'id' | 'key',
  values: readonly (number | string)[],
): Promise<AlgorithmRow[]> {
  if (values.length === 0) return [];
  return algorithmsBy[field].all(db, { values });
}

const algorithmsBy = {
  id: preparedSelect(getTableColumns(algorithms), (select) =>
    select.from(algorithms).where(anyOf(algorithms.id, sql.placeholder('values'), 'int')),
  ),
  key: preparedSelect(getTableColumns(algorithms), (select) =>
    select.from(algorithms).where(anyOf(algorithms.key, sql.placeholder('values'), 'text')),
  ),
};

/** Pipeline steps of many algorithms, in position order. */
export async function stepsOfAlgorithms(
  db: Executor,
  algorithmIds: readonly number[],
): Promise<AlgorithmComponentRow[]> {
  if (algorithmIds.length === 0) return [];
  return db
    .select()
    .from(algorithmComponents)
    .where(anyOf(algorithmComponents.algorithmId, algorithmIds, 'int'))
    .orderBy(asc(algorithmComponents.algorithmId), asc(algorithmComponents.position));
}

/** For each component id, the algorithms that use it. */
export async function algorithmsUsingComponents(
  db: Executor,
  componentIds: readonly number[],
): Promise<{ componentId: number; algorithm: AlgorithmRow }[]> {
  if (componentIds.length === 0) return [];
  return db
    .selectDistinct({ componentId: algorithmComponents.componentId, algorithm: algorithms })
    .from(algorithmComponents)
    .innerJoin(algorithms, eq(algorithms.id, algorithmComponents.algorithmId))
    .where(anyOf(algorithmComponents.componentId, componentIds, 'int'))
    .orderBy(asc(algorithmComponents.componentId), asc(algorithms.name));
}

/**
 * How a taxonomy write may go. Built-in entries (seeded from the QDC survey) change only for a
 * caller that may edit them: the admin role, or anyone when auth is off (security review F11).
 */
export interface TaxonomyWrite {
  /** Mark a new entry built in (the seed). */
  builtin?: boolean;
  /** Whether an existing built-in entry may be replaced. Default false. */
  mayEditBuiltin?: boolean;
}

function builtinRefused(kind: 'component' | 'algorithm', key: string): ForbiddenError {
  return new ForbiddenError(
    `the ${kind} "${key}" is built in (seeded from the QDC survey); changing it needs the admin role`,
    { key },
  );
}

export async function upsertComponent(
  db: Executor,
  input: ComponentInput,
  { builtin = false, mayEditBuiltin = false }: TaxonomyWrite = {},
): Promise<ComponentRow> {
  validateKey(input.key);
  validateName(input.name);
  const values = {
    key: input.key,
    stage: input.stage,
    name: input.name,
    description: input.description ?? '',
    qualityEffect: input.quality,
    diversityEffect: input.diversity,
    complexityEffect: input.complexity,
    rationale: input.rationale ?? '',
    citation: input.citation ?? null,
    builtin,
  };
  const { key: _key, builtin: _builtin, ...changes } = values;
  const [row] = await db
    .insert(components)
    .values(values)
    .onConflictDoUpdate({
      target: components.key,
      set: { ...changes, updatedAt: sql`now()` },
      // One statement: a built-in row is left as it is (no row returned) unless the caller may edit it.
      ...(mayEditBuiltin ? {} : { setWhere: sql`not ${components.builtin}` }),
    })
    .returning();
  if (!row) throw builtinRefused('component', input.key);
  return row;
}

/** Creates or replaces an algorithm and its whole pipeline atomically. */
export async function upsertAlgorithm(
  db: Db,
  input: AlgorithmInput,
  { builtin = false, mayEditBuiltin = false }: TaxonomyWrite = {},
): Promise<AlgorithmRow> {
  validateKey(input.key);
  validateName(input.name);
  if (input.year !== undefined && input.year !== null && (input.year < 1950 || input.year > 2100)) {
    throw new BadInputError(`year must be from 1950 to 2100 (got ${input.year})`, { field: 'year' });
  }
  const steps = input.components ?? [];
  steps.forEach((s, i) => {
    if (
      s.config !== undefined &&
      s.config !== null &&
      (typeof s.config !== 'object' || Array.isArray(s.config))
    ) {
      throw new BadInputError(`components[${i}].config must be a JSON object`, { field: 'components' });
    }
  });
  return db.transaction(async (tx) => {
    const keys = [...new Set(steps.map((s) => s.component))];
    const found = await findComponentsBy(tx, 'key', keys);
    const idByKey = new Map(found.map((c) => [c.key, c.id]));
    const missing = keys.filter((k) => !idByKey.has(k));
    if (missing.length > 0) {
      throw new BadInputError(`unknown component key(s): ${missing.join(', ')} (see Query.components)`, {
        field: 'components',
      });
    }
    const values = {
      key: input.key,
      name: input.name,
      paperTitle: input.paperTitle ?? null,
      arxivId: input.arxivId ?? null,
      year: input.year ?? null,
      description: input.description ?? '',
      builtin,
    };
    const { key: _key, builtin: _builtin, ...changes } = values;
    const [row] = await tx
      .insert(algorithms)
      .values(values)
      .onConflictDoUpdate({
        target: algorithms.key,
        set: { ...changes, updatedAt: sql`now()` },
        ...(mayEditBuiltin ? {} : { setWhere: sql`not ${algorithms.builtin}` }),
      })
      .returning();
    // Refused before its pipeline is touched; the transaction writes nothing.
    if (!row) throw builtinRefused('algorithm', input.key);
    await tx.delete(algorithmComponents).where(eq(algorithmComponents.algorithmId, row!.id));
    if (steps.length > 0) {
      await tx.insert(algorithmComponents).values(
        steps.map((s, position) => ({
          algorithmId: row!.id,
          position,
          componentId: idByKey.get(s.component)!,
          config: (s.config ?? null) as Record<string, unknown> | null,
        })),
      );
    }
    return row!;
  });
}

function validateKey(key: string) {
  if (!SLUG_PATTERN.test(key)) {
    throw new BadInputError(
      `key "${key}" is invalid: use 2 to 64 lowercase letters, digits or '-', starting with a letter or digit`,
      { field: 'key' },
    );
  }
}

function validateName(name: string) {
  if (name.trim() === '' || name.length > 200)
    throw new BadInputError('name must be 1 to 200 characters', { field: 'name' });
}
