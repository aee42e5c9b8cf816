/** API keys for judge endpoints stored in the catalog by name. Only the connector reads a value. */
import { asc, eq, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { judgeSecrets } from '../db/schema.js';
import { BadInputError } from '../errors.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export interface JudgeSecretInfo {
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

/** Stores or replaces a key; returns its name and dates only. */
export async function setJudgeSecret(db: Executor, name: string, value: string): Promise<JudgeSecretInfo> {
  if (!NAME.test(name))
    throw new BadInputError('a secret name is 1-100 letters, digits, dots, dashes or underscores', {
      field: 'name',
    });
  if (value.trim() === '' || value.length > 10_000)
    throw new BadInputError('a secret value must be 1-10000 characters', { field: 'value' });
  const [row] = await db
    .insert(judgeSecrets)
    .values({ name, value })
    .onConflictDoUpdate({ target: judgeSecrets.name, set: { value, updatedAt: sql`now()` } })
    .returning({
      name: judgeSecrets.name,
      createdAt: judgeSecrets.createdAt,
      updatedAt: judgeSecrets.updatedAt,
    });
  return row!;
}

export async function listJudgeSecrets(db: Executor): Promise<JudgeSecretInfo[]> {
  return db
    .select({ name: judgeSecrets.name, createdAt: judgeSecrets.createdAt, updatedAt: judgeSecrets.updatedAt })
    .from(judgeSecrets)
    .orderBy(asc(judgeSecrets.name));
}

/** The stored value, for the connector only. */
export async function readJudgeSecret(db: Executor, name: string): Promise<string | undefined> {
  const [row] = await db
    .select({ value: judgeSecrets.value })
    .from(judgeSecrets)
    .where(eq(judgeSecrets.name, name));
  return row?.value;
}
