/**
 * A version's samples as a table with per-sample score columns, for the web explorer's sample
 * browser: keyset-paged in ordinal order or by one score, filtered by score ranges, and score
 * histograms on bin edges shared by every filter. Everything is one SQL query per request, so a
 * 1M-sample version is never loaded whole.
 */
import { and, asc, desc, eq, exists, gt, gte, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { encodeCursor, invalidCursorError, toPage, type Page } from '../catalog/pagination.js';
import type { Executor } from '../db/connect.js';
import { samples, sampleScores, type SampleRow } from '../db/schema.js';
import { anyOf } from '../db/sqlHelpers.js';
import { BadInputError } from '../errors.js';
import {
  latestResultsOfVersions,
  resultsWithSampleScores,
  scoresOfSamples,
  type MetricResultView,
} from './results.js';

export const SAMPLE_ROWS_CURSOR = 'sample-rows';
export const MAX_SAMPLE_ROWS_PAGE = 200;
export const MAX_SCORE_COLUMNS = 8;
export const MAX_HISTOGRAM_BINS = 200;

/** Keep samples whose score of `metric` lies in [min, max] (either end may be open). */
export interface ScoreRange {
  metric: string;
  min?: number | null;
  max?: number | null;
}

export interface SampleTableRequest {
  columns: readonly string[];
  orderBy?: { metric?: string | null; descending?: boolean | null } | null;
  ranges?: readonly ScoreRange[] | null;
  first: number;
  after: readonly (string | number)[] | null;
}

export interface SampleTableRow {
  sample: SampleRow;
  /** One value per column, null where the sample has no score. */
  scores: (number | null)[];
  /** The sort score (when sorting by a score), part of the cursor. */
  sortValue: number | null;
}

export interface SampleTablePage extends Page<SampleTableRow> {
  columns: MetricResultView[];
}

/**
 * For each key, the newest COMPLETE or PARTIAL result of that metric on the version that stored
 * per-sample values. A key without one is BAD_USER_INPUT naming it.
 */
export async function perSampleResults(
  db: Executor,
  versionId: number,
  keys: readonly string[],
  argument: string,
  onVersion = 'this version',
): Promise<Map<string, MetricResultView>> {
  const found = new Map<string, MetricResultView>();
  if (keys.length === 0) return found;
  const latest = (await latestResultsOfVersions(db, [versionId], { metrics: keys, succeededOnly: true })).get(
    versionId,
  )!;
  const withScores = await resultsWithSampleScores(
    db,
    latest.map((r) => r.id),
  );
  // latestResultsOfVersions orders each metric's entries newest first.
  for (const result of latest) {
    if (withScores.has(result.id) && !found.has(result.metric)) found.set(result.metric, result);
  }
  for (const key of keys) {
    if (!found.has(key)) {
      throw new BadInputError(
        `metric ${key} has no finished result with per-sample values on ${onVersion}: compute it first`,
        { argument, metric: key },
      );
    }
  }
  return found;
}

function checkRanges(ranges: readonly ScoreRange[]): void {
  ranges.forEach((range, i) => {
    for (const end of ['min', 'max'] as const) {
      const value = range[end];
      if (value !== null && value !== undefined && !Number.isFinite(value)) {
        throw new BadInputError(`ranges[${i}].${end} must be a finite number`, {
          argument: `ranges[${i}].${end}`,
        });
      }
    }
    if (range.min != null && range.max != null && range.min > range.max) {
      throw new BadInputError(`ranges[${i}]: min ${range.min} is above max ${range.max}`, {
        argument: `ranges[${i}]`,
      });
    }
  });
}

/** `exists` conditions keeping the samples whose scores fall in every range. */
function rangeConditions(
  db: Executor,
  ranges: readonly ScoreRange[],
  results: Map<string, MetricResultView>,
): SQL[] {
  return ranges.map((range, i) => {
    const scores = alias(sampleScores, `range_${i}`);
    return exists(
      db
        .select({ one: sql`1` })
        .from(scores)
        .where(
          and(
            eq(scores.resultId, results.get(range.metric)!.id),
            eq(scores.sampleId, samples.id),
            range.min != null ? gte(scores.value, range.min) : undefined,
            range.max != null ? lte(scores.value, range.max) : undefined,
          ),
        ),
    );
  });
}

export async function sampleTable(
  db: Executor,
  versionId: number,
  request: SampleTableRequest,
): Promise<SampleTablePage> {
  const { first } = request;
  if (!Number.isInteger(first) || first < 0 || first > MAX_SAMPLE_ROWS_PAGE) {
    throw new BadInputError(`first must be an integer from 0 to ${MAX_SAMPLE_ROWS_PAGE} (got ${first})`, {
      argument: 'first',
    });
  }
  const columns = [...new Set(request.columns)];
  if (columns.length > MAX_SCORE_COLUMNS) {
    throw new BadInputError(`at most ${MAX_SCORE_COLUMNS} score columns (got ${columns.length})`, {
      argument: 'columns',
    });
  }
  const ranges = request.ranges ?? [];
  checkRanges(ranges);
  const sortMetric = request.orderBy?.metric ?? null;
  const descending = request.orderBy?.descending ?? false;
  const keys = [
    ...new Set([...columns, ...(sortMetric ? [sortMetric] : []), ...ranges.map((r) => r.metric)]),
  ];
  const results = await perSampleResults(db, versionId, keys, 'columns');
  const filters = rangeConditions(db, ranges, results);

  let rows: { sample: SampleRow; sortValue: number | null }[];
  if (sortMetric) {
    const sortScores = alias(sampleScores, 'sort_scores');
    let keyset: SQL | undefined;
    if (request.after) {
      const [value, ordinal] = request.after;
      if (typeof value !== 'number' || typeof ordinal !== 'number') throw invalidCursorError();
      keyset = or(
        descending ? lt(sortScores.value, value) : gt(sortScores.value, value),
        and(eq(sortScores.value, value), gt(samples.ordinal, ordinal)),
      );
    }
    rows = await db
      .select({ sample: samples, sortValue: sortScores.value })
      .from(sortScores)
      .innerJoin(samples, eq(samples.id, sortScores.sampleId))
      .where(and(eq(sortScores.resultId, results.get(sortMetric)!.id), keyset, ...filters))
      .orderBy(descending ? desc(sortScores.value) : asc(sortScores.value), asc(samples.ordinal))
      .limit(first + 1);
  } else {
    let after = -1;
    if (request.after) {
      const [ordinal] = request.after;
      if (typeof ordinal !== 'number' || !Number.isInteger(ordinal)) throw invalidCursorError();
      after = ordinal;
    }
    const found = await db
      .select()
      .from(samples)
      .where(and(eq(samples.versionId, versionId), gt(samples.ordinal, after), ...filters))
      .orderBy(asc(samples.ordinal))
      .limit(first + 1);
    rows = found.map((sample) => ({ sample, sortValue: null }));
  }

  const columnResults = columns.map((key) => results.get(key)!);
  const values = await scoresOfSamples(
    db,
    columnResults.map((r) => r.id),
    rows.slice(0, first).map((r) => r.sample.id),
  );
  const tableRows = rows.map((row) => ({
    ...row,
    scores: columnResults.map((result) => values.get(`${result.id}:${row.sample.id}`) ?? null),
  }));
  const cursorOf = (row: SampleTableRow) =>
    encodeCursor(
      SAMPLE_ROWS_CURSOR,
      sortMetric ? [row.sortValue!, row.sample.ordinal] : [row.sample.ordinal],
    );
  return { ...toPage(tableRows, first, cursorOf), columns: columnResults };
}

export interface ScoreHistogram {
  result: MetricResultView;
  /** bins + 1 edges from the lowest to the highest value of the whole result. */
  edges: number[];
  /** Samples per bin after the filters; the last bin includes its upper edge. */
  counts: number[];
  /** Samples the filters keep (with a value of this metric). */
  total: number;
}

/**
 * Histogram of one metric's per-sample values over the samples the ranges keep, on edges from the
 * whole version's minimum to maximum so that histograms under different filters line up. Ranges on
 * the metric itself are left out (a faceted view: its own filter does not shape its histogram).
 */
export async function scoreHistogram(
  db: Executor,
  versionId: number,
  metric: string,
  bins: number,
  ranges: readonly ScoreRange[],
): Promise<ScoreHistogram> {
  if (!Number.isInteger(bins) || bins < 1 || bins > MAX_HISTOGRAM_BINS) {
    throw new BadInputError(`bins must be an integer from 1 to ${MAX_HISTOGRAM_BINS} (got ${bins})`, {
      argument: 'bins',
    });
  }
  checkRanges(ranges);
  const others = ranges.filter((r) => r.metric !== metric);
  const results = await perSampleResults(db, versionId, [metric, ...others.map((r) => r.metric)], 'metric');
  const result = results.get(metric)!;
  const edges = await sharedEdges(db, [result.id], bins);
  const { counts, total } = await countInBins(db, result.id, edges, rangeConditions(db, others, results));
  return { result, edges, counts, total };
}

/**
 * bins + 1 equal-width edges from the lowest to the highest per-sample value of all the given
 * results (a single value v gets the one-wide range [v, v + 1]).
 */
async function sharedEdges(db: Executor, resultIds: readonly number[], bins: number): Promise<number[]> {
  const [bounds] = await db
    .select({ min: sql<number>`min(${sampleScores.value})`, max: sql<number>`max(${sampleScores.value})` })
    .from(sampleScores)
    .where(anyOf(sampleScores.resultId, resultIds, 'bigint'));
  const min = Number(bounds!.min);
  const max = Number(bounds!.max);
  const width = max > min ? (max - min) / bins : 1;
  return Array.from({ length: bins + 1 }, (_, i) =>
    i === bins ? (max > min ? max : min + 1) : min + i * width,
  );
}

/** One result's per-sample values counted in the bins of `edges`, over the samples `filters` keep. */
async function countInBins(
  db: Executor,
  resultId: number,
  edges: readonly number[],
  filters: SQL[],
): Promise<{ counts: number[]; total: number }> {
  const bins = edges.length - 1;
  // width_bucket puts the maximum itself in bucket bins + 1: fold it into the last bin.
  const bucket = sql<number>`least(width_bucket(${sampleScores.value}, ${edges[0]!}::float8, ${edges[bins]!}::float8, ${bins}::int), ${bins}::int)`;
  const columns = { bucket, count: sql<number>`count(*)::int` };
  // The filters are conditions on samples.id; without any, the join would only cost time.
  const counted =
    filters.length === 0
      ? await db
          .select(columns)
          .from(sampleScores)
          .where(eq(sampleScores.resultId, resultId))
          .groupBy(sql`1`)
      : await db
          .select(columns)
          .from(sampleScores)
          .innerJoin(samples, eq(samples.id, sampleScores.sampleId))
          .where(and(eq(sampleScores.resultId, resultId), ...filters))
          .groupBy(sql`1`);
  const counts = new Array<number>(bins).fill(0);
  let total = 0;
  for (const row of counted) {
    const index = Math.max(1, Math.min(bins, Number(row.bucket))) - 1;
    counts[index]! += Number(row.count);
    total += Number(row.count);
  }
  return { counts, total };
}

export interface PairedScoreHistogram {
  /** bins + 1 edges from the lowest to the highest value of both results. */
  edges: number[];
  base: { result: MetricResultView; counts: number[]; total: number };
  head: { result: MetricResultView; counts: number[]; total: number };
}

/**
 * One metric's per-sample values of two versions (the newest finished result with per-sample
 * values on each), counted on the same bin edges, spanning both, so the bars line up.
 */
export async function pairedScoreHistogram(
  db: Executor,
  baseVersionId: number,
  headVersionId: number,
  metric: string,
  bins: number,
): Promise<PairedScoreHistogram> {
  if (!Number.isInteger(bins) || bins < 1 || bins > MAX_HISTOGRAM_BINS) {
    throw new BadInputError(`bins must be an integer from 1 to ${MAX_HISTOGRAM_BINS} (got ${bins})`, {
      argument: 'bins',
    });
  }
  const baseResult = (await perSampleResults(db, baseVersionId, [metric], 'metric', 'the base version')).get(
    metric,
  )!;
  const headResult = (await perSampleResults(db, headVersionId, [metric], 'metric', 'the head version')).get(
    metric,
  )!;
  const edges = await sharedEdges(db, [baseResult.id, headResult.id], bins);
  return {
    edges,
    base: { result: baseResult, ...(await countInBins(db, baseResult.id, edges, [])) },
    head: { result: headResult, ...(await countInBins(db, headResult.id, edges, [])) },
  };
}
