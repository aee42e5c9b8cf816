/** Registering, describing and listing datasets. */
import {
  and,
  asc,
  desc,
  eq,
  getTableColumns,
  gt,
  ilike,
  lt,
  or,
  sql,
  type SQL,
  type SQLWrapper,
} from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { datasets, type DatasetRow } from '../db/schema.js';
import { BadInputError, NotFoundError } from '../errors.js';
import { unstorableText } from './canonicalSample.js';
import { encodeCursor, invalidCursorError, toPage, type Page, type PageRequest } from './pagination.js';
import { anyOf } from '../db/sqlHelpers.js';
import { preparedSelect, type PreparedSelect } from '../db/preparedSelect.js';

export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{1,63}$/;

export interface DatasetFields {
  name?: string | null;
  description?: string | null;
  task?: string | null;
  domain?: string | null;
  license?: string | null;
  sourceUri?: string | null;
  tags?: readonly string[] | null;
  card?: unknown;
}

export interface DatasetFilter {
  task?: string | null;
  domain?: string | null;
  tag?: string | null;
  text?: string | null;
}

export type DatasetOrder = 'CREATED_AT_DESC' | 'CREATED_AT_ASC' | 'NAME_ASC';

export async function registerDataset(
  db: Executor,
  input: DatasetFields & { slug: string; name: string },
): Promise<DatasetRow> {
  if (!SLUG_PATTERN.test(input.slug)) {
    throw new BadInputError(
      `slug "${input.slug}" is invalid: use 2 to 64 lowercase letters, digits or '-', starting with a letter or digit`,
      { field: 'slug' },
    );
  }
  const fields = validateFields(input);
  const [row] = await db
    .insert(datasets)
    .values({ ...fields, slug: input.slug, name: input.name })
    .onConflictDoNothing({ target: datasets.slug })
    .returning();
  if (!row) throw new BadInputError(`a dataset with slug "${input.slug}" already exists`, { field: 'slug' });
  return row;
}

export async function updateDataset(db: Executor, slug: string, input: DatasetFields): Promise<DatasetRow> {
  const fields = validateFields(input);
  const changes = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null));
  const [row] = await db
    .update(datasets)
    .set({ ...changes, updatedAt: sql`now()` })
    .where(eq(datasets.slug, slug))
    .returning();
  if (!row) throw new NotFoundError(`no dataset with slug "${slug}"`);
  return row;
}

export async function findDatasetBySlug(db: Executor, slug: string): Promise<DatasetRow | null> {
  const [row] = await db.select().from(datasets).where(eq(datasets.slug, slug));
  return row ?? null;
}

export async function requireDatasetBySlug(db: Executor, slug: string): Promise<DatasetRow> {
  const row = await findDatasetBySlug(db, slug);
  if (!row) throw new NotFoundError(`no dataset with slug "${slug}"`);
  return row;
}

const datasetsByIds = preparedSelect(getTableColumns(datasets), (select) =>
  select.from(datasets).where(anyOf(datasets.id, sql.placeholder('ids'), 'bigint')),
);

export async function findDatasetsByIds(db: Executor, ids: readonly number[]): Promise<DatasetRow[]> {
  if (ids.length === 0) return [];
  return datasetsByIds.all(db, { ids });
}

export async function listDatasets(
  db: Executor,
  options: { filter?: DatasetFilter | null; orderBy?: DatasetOrder | null; page: PageRequest },
): Promise<Page<DatasetRow>> {
  const orderBy = options.orderBy ?? 'CREATED_AT_DESC';
  const conditions = filterConditions(options.filter);
  const after = options.page.after ? keysetValues(orderBy, options.page.after) : undefined;
  const limit = options.page.first + 1;
  let rows: DatasetRow[];
  if (conditions.length === 0) {
    rows = await unfilteredList(orderBy, after !== undefined).all(db, { limit, ...after });
  } else {
    if (after) conditions.push(keysetCondition(orderBy, after.name, after.id));
    rows = await db
      .select()
      .from(datasets)
      .where(and(...conditions))
      .orderBy(...orderColumns(orderBy))
      .limit(limit);
  }
  return toPage(rows, options.page.first, (row) =>
    encodeCursor(cursorKind(orderBy), cursorKey(orderBy, row)),
  );
}

/**
 * The unfiltered list, what most requests ask for, as prepared statements: one per order, with
 * and without a cursor. Filtered lists differ per request and are built each time.
 */
const unfilteredLists = new Map<string, PreparedSelect<DatasetRow>>();

function unfilteredList(orderBy: DatasetOrder, withCursor: boolean): PreparedSelect<DatasetRow> {
  const key = `${orderBy}:${withCursor}`;
  let statement = unfilteredLists.get(key);
  if (!statement) {
    const keyset = withCursor
      ? keysetCondition(orderBy, sql.placeholder('name'), sql.placeholder('id'))
      : undefined;
    statement = preparedSelect(getTableColumns(datasets), (select) =>
      select
        .from(datasets)
        .where(keyset)
        .orderBy(...orderColumns(orderBy))
        .limit(sql.placeholder('limit')),
    );
    unfilteredLists.set(key, statement);
  }
  return statement;
}

export async function countDatasets(db: Executor, filter?: DatasetFilter | null): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(datasets)
    .where(and(...filterConditions(filter)));
  return row?.count ?? 0;
}

export const datasetCursorKind = cursorKind;

function cursorKind(orderBy: DatasetOrder): string {
  return `datasets:${orderBy}`;
}

// Creation order is id order (ids are handed out at insert), which makes the keyset exact even
// when many rows share a timestamp.
function orderColumns(orderBy: DatasetOrder) {
  switch (orderBy) {
    case 'CREATED_AT_ASC':
      return [asc(datasets.id)];
    case 'NAME_ASC':
      return [asc(datasets.name), asc(datasets.id)];
    case 'CREATED_AT_DESC':
      return [desc(datasets.id)];
  }
}

function cursorKey(orderBy: DatasetOrder, row: DatasetRow): (string | number)[] {
  return orderBy === 'NAME_ASC' ? [row.name, row.id] : [row.id];
}

/** The cursor's keyset, checked against the order it was made for. */
function keysetValues(
  orderBy: DatasetOrder,
  after: readonly (string | number)[],
): { name?: string; id: number } {
  if (orderBy === 'NAME_ASC') {
    const [name, id] = after;
    if (typeof name !== 'string' || typeof id !== 'number') throw invalidCursorError();
    return { name, id };
  }
  const [id] = after;
  if (typeof id !== 'number') throw invalidCursorError();
  return { id };
}

/** Rows after the keyset (values, or placeholders of a prepared statement). */
function keysetCondition(
  orderBy: DatasetOrder,
  name: string | SQLWrapper | undefined,
  id: number | SQLWrapper,
): SQL {
  if (orderBy === 'NAME_ASC') return sql`(${datasets.name}, ${datasets.id}) > (${name}, ${id})`;
  return orderBy === 'CREATED_AT_ASC' ? gt(datasets.id, id) : lt(datasets.id, id);
}

function filterConditions(filter: DatasetFilter | null | undefined): SQL[] {
  const conditions: SQL[] = [];
  if (!filter) return conditions;
  if (filter.task) conditions.push(eq(datasets.task, filter.task));
  if (filter.domain) conditions.push(eq(datasets.domain, filter.domain));
  if (filter.tag) conditions.push(sql`${datasets.tags} @> ARRAY[${filter.tag}]::text[]`);
  if (filter.text) {
    const pattern = `%${filter.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conditions.push(or(ilike(datasets.name, pattern), ilike(datasets.description, pattern))!);
  }
  return conditions;
}

const TEXT_FIELDS = [
  'name',
  'description',
  'task',
  'domain',
  'license',
  'sourceUri',
  'tags',
  'card',
] as const;

function validateFields(input: DatasetFields & { name?: string | null }) {
  // PostgreSQL would refuse a NUL and silently turn a lone surrogate into U+FFFD: refuse both, as
  // samples do. JSON.stringify writes each as a \u escape, so one scan covers tags and the card.
  for (const field of TEXT_FIELDS) {
    const value = input[field];
    if (value === undefined || value === null) continue;
    const problem = unstorableText(JSON.stringify(value));
    if (problem) throw new BadInputError(`${field}: ${problem}`, { field });
  }
  if (
    input.name !== undefined &&
    input.name !== null &&
    (input.name.trim() === '' || input.name.length > 200)
  ) {
    throw new BadInputError('name must be 1 to 200 characters', { field: 'name' });
  }
  if (input.tags) {
    if (input.tags.length > 50) throw new BadInputError('tags: at most 50 tags', { field: 'tags' });
    const bad = input.tags.find((t) => t.trim() === '' || t.length > 64);
    if (bad !== undefined)
      throw new BadInputError(`tags: "${bad}" must be 1 to 64 characters`, { field: 'tags' });
  }
  if (
    input.card !== undefined &&
    input.card !== null &&
    (typeof input.card !== 'object' || Array.isArray(input.card))
  ) {
    throw new BadInputError('card must be a JSON object', { field: 'card' });
  }
  return {
    name: input.name ?? undefined,
    description: input.description,
    task: input.task,
    domain: input.domain,
    license: input.license,
    sourceUri: input.sourceUri,
    tags: input.tags ? [...new Set(input.tags.map((t) => t.trim()))] : undefined,
    card: (input.card ?? undefined) as Record<string, unknown> | undefined,
  };
}
