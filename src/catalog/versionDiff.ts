/**
 * The row diff of two versions by sample content hash, in SQL: which samples of `head` are new
 * (their hash occurs nowhere in `base`), which samples of `base` are gone (their hash occurs
 * nowhere in `head`), and how many are kept. Both sides read the `(version_id, content_hash)` index,
 * so a count is one anti-join and a page a bounded probe scan, then at most one anti-join (see
 * `missingSamples`); nothing is loaded whole.
 *
 * Hashes are compared as a set: a sample whose content appears twice in `head` and once in `base`
 * counts as kept both times. So `added + kept = head.sampleCount` and `removed <= base.sampleCount`.
 */
import { and, asc, count, eq, gt, lte, notExists, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Executor } from '../db/connect.js';
import { samples, type SampleRow } from '../db/schema.js';
import { anyOf, rowsOf } from '../db/sqlHelpers.js';
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
const countCaches = new WeakMap<Executor, Map<string, number>>();

/** Samples of `from` whose content hash occurs nowhere in `other`, counted (cached). */
export async function countMissing(db: Executor, from: number, other: number): Promise<number> {
  let cache = countCaches.get(db);
  if (!cache) countCaches.set(db, (cache = new Map()));
  const key = `${from}:${other}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const [row] =
    from === other
      ? [{ n: 0 }]
      : await db
          .select({ n: count() })
          .from(samples)
          .where(and(eq(samples.versionId, from), absentFrom(db, other)));
  const missing = Number(row!.n);
  if (cache.size >= COUNT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(key, missing);
  return missing;
}

export async function diffCounts(
  db: Executor,
  base: { id: number },
  head: { id: number; sampleCount: number },
): Promise<DiffCounts> {
  const added = await countMissing(db, head.id, base.id);
  const removed = await countMissing(db, base.id, head.id);
  return { added, removed, kept: head.sampleCount - added };
}

/**
 * Ordinals scanned with a probe per row before a page switches to the set form: within this
 * window a page that finds its rows early costs a few index probes; past it, the rest of the page
 * costs one anti-join (about a count) instead of a probe per remaining row.
 */
export const PROBE_WINDOW = 10_000;
const INT4_MAX = 2 ** 31 - 1;

/** `samples.content_hash` occurs nowhere in version `other`. */
function absentFrom(db: Executor, other: number) {
  const otherSamples = alias(samples, 'other_samples');
  return notExists(
    db
      .select({ one: sql`1` })
      .from(otherSamples)
      .where(and(eq(otherSamples.versionId, other), eq(otherSamples.contentHash, samples.contentHash))),
  );
}

/**
 * A page (by ordinal, keyset) of the samples of `from` whose content hash occurs nowhere in
 * `other`: `from = head, other = base` lists the added samples, the reverse the removed ones.
 *
 * Two steps, so that the cost stays bounded where the missing samples are rare or bunched (a
 * filter that adds 5% at the end of a 1M-sample version): first the next PROBE_WINDOW ordinals,
 * row by row with an index probe into `other` (a nested-loop anti-join that stops at first + 1
 * rows); if that leaves the page short, the rest of the version as a set (a hash or merge
 * anti-join, materialised so the planner cannot turn it back into probes), top first + 1 by
 * ordinal. A count of zero (cached) answers without either.
 */
export async function missingSamples(
  db: Executor,
  from: number,
  other: number,
  page: PageRequest,
  cursorKind: string,
  probeWindow = PROBE_WINDOW,
): Promise<Page<SampleRow>> {
  let after = -1;
  if (page.after) {
    const [ordinal] = page.after;
    if (typeof ordinal !== 'number' || !Number.isInteger(ordinal)) throw invalidCursorError();
    after = ordinal;
  }
  const cursorOf = (s: SampleRow) => encodeCursor(cursorKind, [s.ordinal]);
  const wanted = page.first + 1;
  // Ordinals are int4: a cursor past the largest one has nothing after it.
  if (after >= INT4_MAX || (await countMissing(db, from, other)) === 0)
    return toPage([], page.first, cursorOf);
  const windowEnd = Math.min(after + probeWindow, INT4_MAX);
  const rows = await db
    .select()
    .from(samples)
    .where(
      and(
        eq(samples.versionId, from),
        gt(samples.ordinal, after),
        lte(samples.ordinal, windowEnd),
        absentFrom(db, other),
      ),
    )
    .orderBy(asc(samples.ordinal))
    .limit(wanted);
  if (rows.length < wanted) {
    const rest = rowsOf<{ id: string | number }>(
      await db.execute(sql`
        with missing as materialized (
          select ${samples.id} as id, ${samples.ordinal} as ordinal from ${samples}
          where ${samples.versionId} = ${from} and ${samples.ordinal} > ${windowEnd}::int and ${absentFrom(db, other)}
        )
        select id from missing order by ordinal limit ${wanted - rows.length}::int`),
    ).map((r) => Number(r.id));
    if (rest.length > 0) {
      rows.push(
        ...(await db
          .select()
          .from(samples)
          .where(anyOf(samples.id, rest, 'bigint'))
          .orderBy(asc(samples.ordinal))),
      );
    }
  }
  return toPage(rows, page.first, cursorOf);
}
