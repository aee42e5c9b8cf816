/** The generation runs recorded with one algorithm, newest first: what was generated with it. */
import { and, desc, eq, lt } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { generationRuns, type GenerationRunRow } from '../db/schema.js';
import { encodeCursor, invalidCursorError, toPage, type Page, type PageRequest } from './pagination.js';

export const ALGORITHM_RUNS_CURSOR = 'algorithm-runs';

export async function runsOfAlgorithm(
  db: Executor,
  algorithmId: number,
  page: PageRequest,
): Promise<Page<GenerationRunRow>> {
  let before: number | undefined;
  if (page.after) {
    const [id] = page.after;
    if (typeof id !== 'number' || !Number.isInteger(id)) throw invalidCursorError();
    before = id;
  }
  const rows = await db
    .select()
    .from(generationRuns)
    .where(
      and(
        eq(generationRuns.algorithmId, algorithmId),
        before === undefined ? undefined : lt(generationRuns.id, before),
      ),
    )
    .orderBy(desc(generationRuns.id))
    .limit(page.first + 1);
  return toPage(rows, page.first, (row) => encodeCursor(ALGORITHM_RUNS_CURSOR, [row.id]));
}
