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

type ResponseInsert = typeof judgeResponses.$inferInsert;

/**
 * Writes answers to the cache as they arrive, grouping those that arrive while a write is under
 * way into the next single INSERT: no answer waits for a timer, and a burst of answers costs a
 * few statements instead of one each.
 */
export class CacheWriter {
  private pending: ResponseInsert[] = [];
  private writing: Promise<void> | null = null;
  private failure: Error | null = null;

  constructor(private readonly db: Executor) {}

  add(row: ResponseInsert): void {
    this.pending.push(row);
    this.writing ??= this.writeAll();
  }

  /** Resolves once everything added so far is stored; rejects if a write failed. */
  async drain(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.failure) throw this.failure;
  }

  private async writeAll(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const rows = this.pending;
        this.pending = [];
        await storeResponses(this.db, rows).catch((error: Error) => {
          this.failure ??= error;
        });
      }
    } finally {
      this.writing = null;
    }
  }
}

export async function storeResponses(db: Executor, rows: readonly ResponseInsert[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insert(judgeResponses)
    .values([...rows])
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
