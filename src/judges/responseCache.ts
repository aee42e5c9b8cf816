/**
 * The response cache: every answer a judge or reward endpoint gave, keyed by what determines it,
 * so a re-run, a resumed job or another version sharing samples asks the endpoint nothing twice.
 */
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { judgeResponses, type JudgeResponseRow } from '../db/schema.js';
import { anyOf } from '../db/sqlHelpers.js';

export interface CacheIdentity {
  endpoint: string;
  model: string;
  /** The template's hash, or `reward:<route>`. */
  templateHash: string;
  /** Canonical JSON of the generation parameters (temperature, seed, max_tokens). */
  generation: string;
}

export function cacheKey(identity: CacheIdentity, contentHash: string): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        identity.endpoint.replace(/\/+$/, ''),
        identity.model,
        identity.templateHash,
        contentHash,
        identity.generation,
      ]),
    )
    .digest('hex');
}

export async function cachedResponses(
  db: Executor,
  keys: readonly string[],
): Promise<Map<string, JudgeResponseRow>> {
  const found = new Map<string, JudgeResponseRow>();
  if (keys.length === 0) return found;
  const rows = await db
    .select()
    .from(judgeResponses)
    .where(anyOf(judgeResponses.key, keys, 'text'));
  for (const row of rows) found.set(row.key, row);
  return found;
}

export async function storeResponse(db: Executor, row: typeof judgeResponses.$inferInsert): Promise<void> {
  await db
    .insert(judgeResponses)
    .values(row)
    .onConflictDoNothing({ target: judgeResponses.key })
    .catch((error: unknown) => {
      throw new Error(`could not store a judge answer in the cache: ${(error as Error).message}`);
    });
}

/** Answers stored for one endpoint model (for tests and housekeeping). */
export async function countCachedResponses(db: Executor, model: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(judgeResponses)
    .where(sql`${judgeResponses.model} = ${model}`);
  return row?.n ?? 0;
}
