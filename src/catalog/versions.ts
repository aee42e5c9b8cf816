/** Immutable dataset versions: creating them from samples, and reading versions and samples. */
import { and, asc, eq, getTableColumns, gt, lt, sql } from 'drizzle-orm';
import type { Db, Executor } from '../db/connect.js';
import { datasets, datasetVersions, samples, type SampleRow, type VersionRow } from '../db/schema.js';
import { BadInputError } from '../errors.js';
import { canonicalizeSample, type HashedSample, type SampleInput } from './canonicalSample.js';
import { VersionHasher } from './contentHash.js';
import { requireDatasetBySlug } from './datasets.js';
import { encodeCursor, invalidCursorError, toPage, type Page, type PageRequest } from './pagination.js';
import { anyOf } from '../db/sqlHelpers.js';

/** Most samples one `createVersion` call may carry (GraphQL is for small batches). */
export const MAX_BATCH_SAMPLES = 1000;
const INSERT_CHUNK = 1000;

export interface CreateVersionResult {
  version: VersionRow;
  /** False when a version with identical content already existed and is returned instead. */
  created: boolean;
  /** Samples whose content hash repeats an earlier sample of the same input. */
  duplicateSamples: number;
}

/** Validates a small batch of samples and stores them as a new version (or returns the identical one). */
export async function createVersion(
  db: Db,
  datasetSlug: string,
  inputs: readonly SampleInput[],
): Promise<CreateVersionResult> {
  if (inputs.length === 0) throw new BadInputError('samples must contain at least 1 sample', { field: 'samples' });
  if (inputs.length > MAX_BATCH_SAMPLES) {
    throw new BadInputError(
      `samples has ${inputs.length} samples; at most ${MAX_BATCH_SAMPLES} per call`,
      { field: 'samples' },
    );
  }
  const hashed = inputs.map((s, i) => canonicalizeSample(s, `samples[${i}]`));
  const dataset = await requireDatasetBySlug(db, datasetSlug);
  return storeVersion(db, dataset.id, hashed);
}

/**
 * Writes validated samples as the dataset's next version in one transaction, so the version is
 * visible only with all its samples. Identical content (same version hash) returns the existing
 * version; concurrent writers to one dataset serialize on the dataset row only while writing.
 */
export async function storeVersion(
  db: Db,
  datasetId: number,
  hashed: readonly HashedSample[],
): Promise<CreateVersionResult> {
  const hasher = new VersionHasher();
  const seen = new Set<string>();
  let duplicateSamples = 0;
  let byteSize = 0;
  for (const s of hashed) {
    hasher.add(s.contentHash);
    if (seen.has(s.contentHash)) duplicateSamples += 1;
    seen.add(s.contentHash);
    byteSize += s.byteSize;
  }
  const contentHash = hasher.digest();

  return db.transaction(async (tx) => {
    await tx.select({ id: datasets.id }).from(datasets).where(eq(datasets.id, datasetId)).for('update');
    const [existing] = await tx
      .select()
      .from(datasetVersions)
      .where(and(eq(datasetVersions.datasetId, datasetId), eq(datasetVersions.contentHash, contentHash)));
    if (existing) return { version: existing, created: false, duplicateSamples };

    const [bumped] = await tx
      .update(datasets)
      .set({ nextVersion: sql`${datasets.nextVersion} + 1` })
      .where(eq(datasets.id, datasetId))
      .returning({ version: sql<number>`${datasets.nextVersion} - 1` });
    const [version] = await tx
      .insert(datasetVersions)
      .values({ datasetId, version: bumped!.version, contentHash, sampleCount: hashed.length, byteSize })
      .returning();
    for (let start = 0; start < hashed.length; start += INSERT_CHUNK) {
      await tx.insert(samples).values(
        hashed.slice(start, start + INSERT_CHUNK).map((s, i) => ({
          versionId: version!.id,
          ordinal: start + i,
          prompt: s.prompt,
          response: s.response,
          reference: s.reference,
          messages: s.messages,
          metadata: s.metadata,
          contentHash: s.contentHash,
        })),
      );
    }
    return { version: version!, created: true, duplicateSamples };
  });
}

export async function findVersionByNumber(db: Executor, datasetId: number, version: number): Promise<VersionRow | null> {
  const [row] = await db
    .select()
    .from(datasetVersions)
    .where(and(eq(datasetVersions.datasetId, datasetId), eq(datasetVersions.version, version)));
  return row ?? null;
}

export async function findVersionsByIds(db: Executor, ids: readonly number[]): Promise<VersionRow[]> {
  if (ids.length === 0) return [];
  return db.select().from(datasetVersions).where(anyOf(datasetVersions.id, ids, 'bigint'));
}

export const VERSIONS_CURSOR = 'versions';
export const SAMPLES_CURSOR = 'samples';

/**
 * Versions of many datasets at once, highest number first, one page per dataset, in one query
 * (a window function cuts each dataset's list at `first + 1`).
 */
export async function listVersionsOfDatasets(
  db: Executor,
  datasetIds: readonly number[],
  page: PageRequest,
): Promise<Map<number, Page<VersionRow>>> {
  const before = page.after ? cursorNumber(page.after) : null;
  const ranked = db
    .select({
      ...getTableColumns(datasetVersions),
      rank: sql<number>`row_number() over (partition by ${datasetVersions.datasetId} order by ${datasetVersions.version} desc)`.as(
        'rank',
      ),
    })
    .from(datasetVersions)
    .where(
      and(
        anyOf(datasetVersions.datasetId, datasetIds, 'bigint'),
        before === null ? undefined : lt(datasetVersions.version, before),
      ),
    )
    .as('ranked');
  const rows = await db.select().from(ranked).where(sql`${ranked.rank} <= ${page.first + 1}`);
  const grouped = new Map<number, VersionRow[]>(datasetIds.map((id) => [id, []]));
  for (const { rank: _rank, ...row } of rows.sort((a, b) => a.rank - b.rank)) grouped.get(row.datasetId)?.push(row);
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

export async function listSamples(db: Executor, versionId: number, page: PageRequest): Promise<Page<SampleRow>> {
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
  return db.select().from(samples).where(anyOf(samples.id, ids, 'bigint'));
}

function cursorNumber(key: readonly (string | number)[]): number {
  const [n] = key;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw invalidCursorError();
  return n;
}
