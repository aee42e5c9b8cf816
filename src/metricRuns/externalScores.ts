/**
 * Per-sample scores computed outside the catalog (reward models, LLM judges, Deita/IFD scorers in a
 * notebook), pushed with the scorer's identity. One result row per version and scorer holds the
 * aggregates (mean, quantiles, coverage), refreshed on every push; a push either stores all of its
 * scores or, if any is invalid, none.
 */
import { and, eq, or, sql } from 'drizzle-orm';
import type { Database, Executor } from '../db/connect.js';
import { metricResults, samples, sampleScores, scorers } from '../db/schema.js';
import { anyOf } from '../db/sqlHelpers.js';
import { unstorableString } from '../storableText.js';
import { BadInputError, NotFoundError } from '../errors.js';
import { findVersionsByIds } from '../catalog/versions.js';
import { paramsHash } from '../metrics/params.js';
import { upsertScores } from './computeJob.js';
import { findResultsByIds, type MetricResultView } from './results.js';

export interface ScorerIdentity {
  name: string;
  model?: string | null;
  version?: string | null;
}

/** One pushed score: the sample by database id or by ordinal, and where it came from (for errors). */
export interface ExternalScore {
  sampleId?: number | null;
  ordinal?: number | null;
  value: unknown;
  /** e.g. "scores[3]" or "line 17". */
  where: string;
}

export const MAX_GRAPHQL_SCORES = 10_000;
const MAX_NAME_LENGTH = 200;
const QUANTILES = [0.1, 0.25, 0.5, 0.75, 0.9] as const;

export interface RecordScoresResult {
  result: MetricResultView;
  /** Scores in this push. */
  recorded: number;
}

/**
 * Stores the scores of `batches` (any number of batches, e.g. streamed from a file) for one version
 * and scorer, in one transaction. Re-pushing a sample's score replaces it.
 */
export async function recordExternalScores(
  database: Database,
  versionId: number,
  scorer: ScorerIdentity,
  batches: AsyncIterable<readonly ExternalScore[]> | Iterable<readonly ExternalScore[]>,
): Promise<RecordScoresResult> {
  const identity = checkScorer(scorer);
  const [version] = await findVersionsByIds(database.db, [versionId]);
  if (!version || version.status !== 'READY')
    throw new NotFoundError(`no version with id ${versionId}`, { id: versionId });

  return database.db.transaction(async (tx) => {
    const scorerId = await upsertScorer(tx, identity);
    const resultId = await openScorerResult(tx, version.id, scorerId);
    const seen = new Map<number, string>();
    let recorded = 0;
    for await (const batch of batches) {
      const rows = await resolveBatch(tx, version.id, version.sampleCount, batch, seen);
      await upsertScores(tx, resultId, rows);
      recorded += rows.length;
    }
    if (recorded === 0) throw new BadInputError('no scores were given', { field: 'scores' });
    await refreshAggregates(tx, resultId, version.sampleCount);
    const [result] = await findResultsByIds(tx, [resultId]);
    return { result: result!, recorded };
  });
}

function checkScorer(scorer: ScorerIdentity): Required<{ [K in keyof ScorerIdentity]: string }> {
  const clean = (value: string | null | undefined, field: string, required: boolean) => {
    const text = (value ?? '').trim();
    if (required && text === '')
      throw new BadInputError(`scorer.${field} must not be empty`, { field: `scorer.${field}` });
    if (text.length > MAX_NAME_LENGTH) {
      throw new BadInputError(`scorer.${field} is longer than ${MAX_NAME_LENGTH} characters`, {
        field: `scorer.${field}`,
      });
    }
    const problem = unstorableString(text);
    if (problem) throw new BadInputError(`scorer.${field} ${problem}`, { field: `scorer.${field}` });
    return text;
  };
  return {
    name: clean(scorer.name, 'name', true),
    model: clean(scorer.model, 'model', false),
    version: clean(scorer.version, 'version', false),
  };
}

async function upsertScorer(
  db: Executor,
  s: { name: string; model: string; version: string },
): Promise<number> {
  const [row] = await db
    .insert(scorers)
    .values(s)
    .onConflictDoUpdate({
      target: [scorers.name, scorers.model, scorers.version],
      set: { name: sql`excluded.${sql.identifier(scorers.name.name)}` },
    })
    .returning({ id: scorers.id });
  return row!.id;
}

async function openScorerResult(db: Executor, versionId: number, scorerId: number): Promise<number> {
  const [row] = await db
    .insert(metricResults)
    .values({
      versionId,
      scorerId,
      params: {},
      paramsHash: paramsHash({}),
      status: 'RUNNING',
      estimator: 'EXACT',
    })
    .onConflictDoUpdate({
      target: [metricResults.versionId, metricResults.scorerId],
      targetWhere: sql`${metricResults.scorerId} is not null`,
      set: { status: 'RUNNING' },
    })
    .returning({ id: metricResults.id });
  return row!.id;
}

/** Checks one batch and maps it to sample ids (one query); any problem refuses the whole push. */
async function resolveBatch(
  db: Executor,
  versionId: number,
  sampleCount: number,
  batch: readonly ExternalScore[],
  seen: Map<number, string>,
): Promise<Array<{ s: number; v: number; d: null }>> {
  const ids: number[] = [];
  const ordinals: number[] = [];
  for (const score of batch) {
    const hasId = score.sampleId !== undefined && score.sampleId !== null;
    const hasOrdinal = score.ordinal !== undefined && score.ordinal !== null;
    if (hasId === hasOrdinal)
      throw new BadInputError(`${score.where}: give exactly one of sample and ordinal`, {
        where: score.where,
      });
    if (typeof score.value !== 'number' || !Number.isFinite(score.value)) {
      throw new BadInputError(
        `${score.where}: value must be a finite number (got ${JSON.stringify(score.value)})`,
        { where: score.where },
      );
    }
    if (hasId) {
      ids.push(score.sampleId!);
    } else {
      const ordinal = score.ordinal!;
      if (!Number.isInteger(ordinal) || ordinal < 0 || ordinal >= sampleCount) {
        throw new BadInputError(
          `${score.where}: ordinal ${JSON.stringify(ordinal)} is not in version ${versionId}, whose ordinals run from 0 to ${sampleCount - 1}; nothing was stored`,
          { where: score.where },
        );
      }
      ordinals.push(ordinal);
    }
  }
  const found = await db
    .select({ id: samples.id, ordinal: samples.ordinal })
    .from(samples)
    .where(
      and(
        eq(samples.versionId, versionId),
        or(anyOf(samples.id, ids, 'bigint'), anyOf(samples.ordinal, ordinals, 'int')),
      ),
    );
  const ordinalOfId = new Map(found.map((r) => [r.id, r.ordinal]));
  const idOfOrdinal = new Map(found.map((r) => [r.ordinal, r.id]));

  return batch.map((score) => {
    let ordinal: number;
    if (score.sampleId !== undefined && score.sampleId !== null) {
      const known = ordinalOfId.get(score.sampleId);
      if (known === undefined) {
        throw new BadInputError(
          `${score.where}: sample ${score.sampleId} is not in version ${versionId}; nothing was stored`,
          {
            where: score.where,
          },
        );
      }
      ordinal = known;
    } else {
      ordinal = score.ordinal!;
    }
    const earlier = seen.get(ordinal);
    if (earlier !== undefined) {
      throw new BadInputError(
        `${score.where}: the sample at ordinal ${ordinal} was already scored at ${earlier}; nothing was stored`,
        {
          where: score.where,
        },
      );
    }
    seen.set(ordinal, score.where);
    return { s: idOfOrdinal.get(ordinal)!, v: score.value as number, d: null };
  });
}

async function refreshAggregates(db: Executor, resultId: number, sampleCount: number): Promise<void> {
  const { value } = sampleScores;
  const [stats] = await db
    .select({
      n: sql<string | number>`count(*)`,
      mean: sql<number>`avg(${value})`,
      sd: sql<number | null>`stddev_samp(${value})`,
      min: sql<number>`min(${value})`,
      max: sql<number>`max(${value})`,
      q: sql<
        number[]
      >`percentile_cont(${sql.param([...QUANTILES])}::float8[]) within group (order by ${value})`,
    })
    .from(sampleScores)
    .where(eq(sampleScores.resultId, resultId));
  const n = Number(stats!.n);
  const quantiles = Object.fromEntries(
    QUANTILES.map((q, i) => [`p${Math.round(q * 100)}`, Number(stats!.q[i])]),
  );
  const coverage = n / sampleCount;
  await db
    .update(metricResults)
    .set({
      status: n === sampleCount ? 'COMPLETE' : 'PARTIAL',
      statusReason: n === sampleCount ? null : `scores for ${n} of ${sampleCount} samples`,
      value: Number(stats!.mean),
      n,
      samplesDone: n,
      estimator: 'EXACT',
      details: {
        mean: Number(stats!.mean),
        std: stats!.sd === null ? null : Number(stats!.sd),
        min: Number(stats!.min),
        max: Number(stats!.max),
        quantiles,
        coverage,
        scored: n,
        samples: sampleCount,
      },
      computedAt: sql`now()`,
    })
    .where(eq(metricResults.id, resultId));
}
