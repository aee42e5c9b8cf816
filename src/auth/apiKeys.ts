/**
 * API keys: `qdc_<keyId>_<secret>`. The key id finds the row; only HMAC-SHA256(salt, secret) is
 * stored. The secret is 256 random bits, so a fast salted hash is as strong as a slow KDF here and
 * keeps per-request verification cheap.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { anyOf } from '../db/sqlHelpers.js';
import { apiKeys, type ApiKeyRow } from '../db/schema.js';
import { BadInputError, NotFoundError } from '../errors.js';

export type Role = ApiKeyRow['role'];
export const ROLES: readonly Role[] = ['reader', 'writer', 'admin'];

const RANK: Record<Role, number> = { reader: 1, writer: 2, admin: 3 };

/** True when `role` includes the rights of `needed` (admin > writer > reader). */
export function roleAllows(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

export function parseRole(value: string): Role {
  if (!(ROLES as readonly string[]).includes(value)) {
    throw new BadInputError(`role must be one of ${ROLES.join(', ')} (got "${value}")`);
  }
  return value as Role;
}

export async function createApiKey(
  db: Executor,
  options: { role: Role; name?: string | null },
): Promise<{ key: string; row: ApiKeyRow }> {
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const salt = randomBytes(16).toString('hex');
  const [row] = await db
    .insert(apiKeys)
    .values({ keyId, salt, hash: hashSecret(salt, secret), role: options.role, name: options.name ?? null })
    .returning();
  return { key: `qdc_${keyId}_${secret}`, row: row! };
}

/** The role of a valid, unrevoked key; null for anything else. */
export async function verifyApiKey(db: Executor, key: string): Promise<Role | null> {
  return (await authenticateApiKey(db, key))?.role ?? null;
}

/**
 * The row id, key id and role of a valid, unrevoked key; null for anything else. Read from the
 * database on every call (no cache), so a revocation holds from the next request on.
 */
export async function authenticateApiKey(
  db: Executor,
  key: string,
): Promise<{ id: number; keyId: string; role: Role } | null> {
  const match = /^qdc_([a-z0-9]{8,32})_([A-Za-z0-9_-]{20,})$/.exec(key);
  if (!match) return null;
  const [, keyId, secret] = match;
  const [row] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.keyId, keyId!), isNull(apiKeys.revokedAt)));
  if (!row) return null;
  const expected = Buffer.from(row.hash, 'hex');
  const actual = Buffer.from(hashSecret(row.salt, secret!), 'hex');
  const valid = expected.length === actual.length && timingSafeEqual(expected, actual);
  return valid ? { id: row.id, keyId: row.keyId, role: row.role } : null;
}

/** The keys with these row ids (api_keys.id), in no particular order; revoked ones too. */
export async function findApiKeysByIds(db: Executor, ids: readonly number[]): Promise<ApiKeyRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(apiKeys)
    .where(anyOf(apiKeys.id, ids, 'int'));
}

export async function listApiKeys(db: Executor): Promise<ApiKeyRow[]> {
  return db.select().from(apiKeys).orderBy(asc(apiKeys.id));
}

export async function revokeApiKey(db: Executor, keyId: string): Promise<ApiKeyRow> {
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
    .where(eq(apiKeys.keyId, keyId))
    .returning();
  if (!row) throw new NotFoundError(`no API key with id "${keyId}"`);
  return row;
}

function hashSecret(salt: string, secret: string): string {
  return createHmac('sha256', salt).update(secret).digest('hex');
}
