/**
 * The row diff of two versions by sample content hash, in SQL: which samples of `head` are new
 * (their hash occurs nowhere in `base`), which samples of `base` are gone (their hash occurs
 * nowhere in `head`), and how many are kept. Both sides read the `(version_id, content_hash)` index,
 * so a count is one merge or hash anti-join over two index scans and a page is an ordinal-ordered
 * scan of one version with an index probe into the other per row; nothing is loaded whole.
 *
 * Hashes are compared as a set: a sample whose content appears twice in `head` and once in `base`
 * counts as kept both times. So `added + kept = head.sampleCount` and `removed <= base.sampleCount`.
 */
import { and, asc, count, eq, gt, notExists, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Executor } from '../db/connect.js';
import { samples, type SampleRow } from '../db/schema.js';
import { encodeCursor, invalidCursorError, toPage, type Page, type PageRequest } from './pagination.js';

export const DIFF_ADDED_CURSOR = 'diff-added';
export const DIFF_REMOVED_CURSOR = 'diff-removed';

export interface DiffCounts {
  /** Samples of head whose content hash is not in base. */
  added: number;
  /** Samples of base whose content hash is not in head. */
  removed: number;
  /** Samples of head whose content hash is also in base. */
  kept: number;
}

/**
 * Versions are immutable, so the counts of a pair never change: a process keeps the last few so
 * that paging through a diff of two 1M-sample versions counts once, not once per page.
 */
const COUNT_CACHE_SIZE = 256;
/** Per database handle: two catalogs open in one process (tests) reuse version ids. */
const countCaches = new WeakMap<Executor, Map<string, DiffCounts>>();

/** Samples of `from` whose content hash occurs nowhere in `other`, counted. */
async function countMissing(db: Executor, from: number, other: number): Promise<number> {
  const otherSamples = alias(samples, 'other_samples');
  const [row] = await db
    .select({ n: count() })
    .from(samples)
    .where(
      and(
        eq(samples.versionId, from),
        notExists(
          db
            .select({ one: sql`1` })
            .from(otherSamples)
            .where(and(eq(otherSamples.versionId, other), eq(otherSamples.contentHash, samples.contentHash))),
        ),
      ),
    );
  return Number(row!.n);
}

export async function diffCounts(
  db: Executor,
  base: { id: number },
  head: { id: number; sampleCount: number },
): Promise<DiffCounts> {
  let countCache = countCaches.get(db);
  if (!countCache) countCaches.set(db, (countCache = new Map()));
  const key = `${base.id}:${head.id}`;
  const cached = countCache.get(key);
  if (cached) return cached;
  const added = await countMissing(db, head.id, base.id);
  const removed = await countMissing(db, base.id, head.id);
  const counts = { added, removed, kept: head.sampleCount - added };
  if (countCache.size >= COUNT_CACHE_SIZE) countCache.delete(countCache.keys().next().value!);
  countCache.set(key, counts);
  return counts;
}

/**
 * A page (by ordinal, keyset) of the samples of `from` whose content hash occurs nowhere in
 * `other`: `from = head, other = base` lists the added samples, the reverse the removed ones.
 */
export async function missingSamples(
  db: Executor,
  from: number,
  other: number,
  page: PageRequest,
  cursorKind: string,
): Promise<Page<SampleRow>> {
  let after = -1;
  if (page.after) {
    const [ordinal] = page.after;
    if (typeof ordinal !== 'number' || !Number.isInteger(ordinal)) throw invalidCursorError();
    after = ordinal;
  }
  const otherSamples = alias(samples, 'other_samples');
  const rows = await db
    .select()
    .from(samples)
    .where(
      and(
        eq(samples.versionId, from),
        gt(samples.ordinal, after),
        notExists(
          db
            .select({ one: sql`1` })
            .from(otherSamples)
            .where(and(eq(otherSamples.versionId, other), eq(otherSamples.contentHash, samples.contentHash))),
        ),
      ),
    )
    .orderBy(asc(samples.ordinal))
    .limit(page.first + 1);
  return toPage(rows, page.first, (s) => encodeCursor(cursorKind, [s.ordinal]));
}
