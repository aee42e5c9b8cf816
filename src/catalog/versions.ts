/** Immutable dataset versions: creating them from samples, and reading versions and samples. */
import { and, asc, desc, eq, getTableColumns, gt, sql } from 'drizzle-orm';
import type { Database, Executor } from '../db/connect.js';
import { datasetVersions, readyVersion, samples, type SampleRow, type VersionRow } from '../db/schema.js';
import { BadInputError } from '../errors.js';
import { canonicalizeSample, type SampleInput } from './canonicalSample.js';
import { writeVersion, type WriteVersionResult } from './versionWriter.js';
import { requireDatasetBySlug } from './datasets.js';
import { encodeCursor, invalidCursorError, toPage, type Page, type PageRequest } from './pagination.js';
import { anyOf } from '../db/sqlHelpers.js';
import { preparedSelect } from '../db/preparedSelect.js';

/** Most samples one `createVersion` call may carry (GraphQL is for small batches). */
export const MAX_BATCH_SAMPLES = 1000;

/** Validates a small batch of samples and stores them as a new version (or returns the identical one). */
export async function createVersion(
  database: Database,
  datasetSlug: string,
  inputs: readonly SampleInput[],
): Promise<WriteVersionResult> {
  if (inputs.length === 0)
    throw new BadInputError('samples must contain at least 1 sample', { field: 'samples' });
  if (inputs.length > MAX_BATCH_SAMPLES) {
    throw new BadInputError(`samples has ${inputs.length} samples; at most ${MAX_BATCH_SAMPLES} per call`, {
      field: 'samples',
    });
  }
  const hashed = inputs.map((s, i) => canonicalizeSample(s, `samples[${i}]`));
  const dataset = await requireDatasetBySlug(database.db, datasetSlug);
  return writeVersion(database, dataset.id, [hashed]);
}

export async function findVersionByNumber(
  db: Executor,
  datasetId: number,
  version: number,
): Promise<VersionRow | null> {
  const [row] = await db
    .select()
    .from(datasetVersions)
    .where(and(eq(datasetVersions.datasetId, datasetId), eq(datasetVersions.version, version), readyVersion));
  return row ?? null;
}

const versionsByIds = preparedSelect(getTableColumns(datasetVersions), (select) =>
  select
    .from(datasetVersions)
    .where(and(anyOf(datasetVersions.id, sql.placeholder('ids'), 'bigint'), readyVersion)),
);

export async function findVersionsByIds(db: Executor, ids: readonly number[]): Promise<VersionRow[]> {
  if (ids.length === 0) return [];
  return versionsByIds.all(db, { ids });
}

export const VERSIONS_CURSOR = 'versions';

/**
 * Up to `limit` versions of each of `datasetIds`, grouped by dataset, highest number first. The
 * ids come from one index range scan per dataset (a lateral subquery); `laterVersionPages` keeps
 * only versions numbered below `before` (the page after a cursor).
 */
const firstVersionPages = versionPages(false);
const laterVersionPages = versionPages(true);

function versionPages(afterCursor: boolean) {
  const below = afterCursor ? sql`and newest.version < ${sql.placeholder('before')}` : sql``;
  return preparedSelect(getTableColumns(datasetVersions), (select) =>
    select
      .from(datasetVersions)
      .where(
        sql`${datasetVersions.id} in (
          select newest.id from unnest(${sql.placeholder('datasetIds')}::bigint[]) as page_of(dataset_id)
          cross join lateral (
            select id, version from ${datasetVersions} as newest
            where newest.dataset_id = page_of.dataset_id and newest.status = 'READY' ${below}
            order by newest.version desc
            limit ${sql.placeholder('limit')}
          ) as newest
        )`,
      )
      .orderBy(asc(datasetVersions.datasetId), desc(datasetVersions.version)),
  );
}

export const SAMPLES_CURSOR = 'samples';

/**
 * Versions of many datasets at once, highest number first, one page per dataset, in one query
 * (a lateral subquery per dataset stops at `first + 1`; see versionPages).
 */
export async function listVersionsOfDatasets(
  db: Executor,
  datasetIds: readonly number[],
  page: PageRequest,
): Promise<Map<number, Page<VersionRow>>> {
  const before = page.after ? cursorNumber(page.after) : null;
  const rows =
    before === null
      ? await firstVersionPages.all(db, { datasetIds, limit: page.first + 1 })
      : await laterVersionPages.all(db, { datasetIds, limit: page.first + 1, before });
  const grouped = new Map<number, VersionRow[]>(datasetIds.map((id) => [id, []]));
  for (const row of rows) grouped.get(row.datasetId)?.push(row);
  return new Map(
    [...grouped].map(([id, list]) => [
      id,
      toPage(list, page.first, (v) => encodeCursor(VERSIONS_CURSOR, [v.version])),
    ]),
  );
}

/** The highest-numbered version of each dataset (missing key = no versions). */
export async function latestVersionsOfDatasets(
  db: Executor,
  datasetIds: readonly number[],
): Promise<Map<number, VersionRow>> {
  const pages = await listVersionsOfDatasets(db, datasetIds, { first: 1, after: null });
  const latest = new Map<number, VersionRow>();
  for (const [id, p] of pages) if (p.items[0]) latest.set(id, p.items[0]);
  return latest;
}

export async function listSamples(
  db: Executor,
  versionId: number,
  page: PageRequest,
): Promise<Page<SampleRow>> {
  const after = page.after ? cursorNumber(page.after) : null;
  const rows = await db
    .select()
    .from(samples)
    .where(and(eq(samples.versionId, versionId), after === null ? undefined : gt(samples.ordinal, after)))
    .orderBy(asc(samples.ordinal))
    .limit(page.first + 1);
  return toPage(rows, page.first, (s) => encodeCursor(SAMPLES_CURSOR, [s.ordinal]));
}

export async function findSamplesByIds(db: Executor, ids: readonly number[]): Promise<SampleRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(samples)
    .where(
      and(
        anyOf(samples.id, ids, 'bigint'),
        // A sample of a version still being written (STAGING) is not there yet.
        sql`${samples.versionId} in (select ${datasetVersions.id} from ${datasetVersions} where ${readyVersion})`,
      ),
    );
}

function cursorNumber(key: readonly (string | number)[]): number {
  const [n] = key;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw invalidCursorError();
  return n;
}
