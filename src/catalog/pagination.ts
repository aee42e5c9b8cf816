/**
 * Keyset pagination shared by every connection: opaque cursors that encode the sort key of the
 * last row, so rows inserted while a client pages are never repeated or skipped.
 */
import { BadInputError } from '../errors.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageRequest {
  first: number;
  /** Decoded keyset of the row after which the page starts. */
  after: readonly (string | number)[] | null;
}

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
  cursorOf(item: T): string;
}

/** Validates `first`/`after`; `kind` ties a cursor to its connection so one cannot be replayed on another. */
export function pageRequest(
  kind: string,
  first: number | null | undefined,
  after: string | null | undefined,
): PageRequest {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw new BadInputError(`first must be an integer from 0 to ${MAX_PAGE_SIZE} (got ${size})`, {
      argument: 'first',
    });
  }
  return { first: size, after: after ? decodeCursor(kind, after) : null };
}

export function encodeCursor(kind: string, key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([kind, ...key])).toString('base64url');
}

export function decodeCursor(kind: string, cursor: string): (string | number)[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  if (
    !Array.isArray(parsed) ||
    parsed[0] !== kind ||
    parsed.length < 2 ||
    !parsed.slice(1).every((v) => typeof v === 'string' || typeof v === 'number')
  ) {
    throw invalidCursorError();
  }
  return parsed.slice(1) as (string | number)[];
}

/** The error for a cursor that this list did not hand out. */
export function invalidCursorError(): BadInputError {
  return new BadInputError(
    'after is not a valid cursor for this list: pass an endCursor this list returned',
    {
      argument: 'after',
    },
  );
}

/** Builds a page from `first + 1` fetched rows (the extra row only tells whether more follow). */
export function toPage<T>(rows: T[], first: number, cursorOf: (item: T) => string): Page<T> {
  return { items: rows.slice(0, first), hasNextPage: rows.length > first, cursorOf };
}
