/**
 * How far two results agree sample by sample: two judges on one version, or a judge and pushed
 * human labels (`external:<scorer>` results). Only samples both results scored count.
 */
import { eq, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Executor } from '../db/connect.js';
import { metricResults, sampleScores } from '../db/schema.js';
import { BadInputError, NotFoundError } from '../errors.js';
import { agreement, MAX_AGREEMENT_SAMPLES, type Agreement } from '../metrics/judge/agreement.js';

export interface ResultAgreement extends Agreement {
  resultA: number;
  resultB: number;
  /** Samples only one of the two scored. */
  onlyA: number;
  onlyB: number;
}

export async function resultAgreement(
  db: Executor,
  resultA: number,
  resultB: number,
): Promise<ResultAgreement> {
  if (resultA === resultB) throw new BadInputError('compare two different results', { argument: 'b' });
  const rows = await db
    .select({ id: metricResults.id, versionId: metricResults.versionId })
    .from(metricResults)
    .where(sql`${metricResults.id} in (${resultA}, ${resultB})`);
  const a = rows.find((r) => r.id === resultA);
  const b = rows.find((r) => r.id === resultB);
  if (!a) throw new NotFoundError(`no metric result ${resultA}`, { argument: 'a' });
  if (!b) throw new NotFoundError(`no metric result ${resultB}`, { argument: 'b' });
  if (a.versionId !== b.versionId) {
    throw new BadInputError(
      `results ${resultA} and ${resultB} measure different versions (${a.versionId} and ${b.versionId}); agreement needs the same samples`,
      { argument: 'b' },
    );
  }
  const other = alias(sampleScores, 'other');
  const pairs = await db
    .select({ x: sampleScores.value, y: other.value })
    .from(sampleScores)
    .innerJoin(other, eq(other.sampleId, sampleScores.sampleId))
    .where(sql`${sampleScores.resultId} = ${resultA} and ${other.resultId} = ${resultB}`)
    .orderBy(sampleScores.sampleId)
    .limit(MAX_AGREEMENT_SAMPLES + 1);
  if (pairs.length > MAX_AGREEMENT_SAMPLES) {
    throw new BadInputError(
      `the two results share more than ${MAX_AGREEMENT_SAMPLES} scored samples; agreement is computed on at most that many`,
      { argument: 'b' },
    );
  }
  const counts = async (id: number) => {
    const [row] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(sampleScores)
      .where(eq(sampleScores.resultId, id));
    return row?.n ?? 0;
  };
  const stats = agreement(
    pairs.map((p) => p.x),
    pairs.map((p) => p.y),
  );
  return {
    ...stats,
    resultA,
    resultB,
    onlyA: (await counts(resultA)) - stats.n,
    onlyB: (await counts(resultB)) - stats.n,
  };
}
