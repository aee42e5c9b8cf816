import type { Page } from '../catalog/pagination.js';

/** Relay connection shape for a page of rows. */
export function toConnection<T>(page: Page<T>) {
  const edges = page.items.map((node) => ({ node, cursor: page.cursorOf(node) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}

/**
 * A connection from `first + 1` rows fetched in order: the extra row only tells that a next page
 * exists. `cursorOf` encodes a row's keyset.
 */
export function connectionFromRows<T>(rows: readonly T[], first: number, cursorOf: (row: T) => string) {
  return toConnection({ items: rows.slice(0, first), hasNextPage: rows.length > first, cursorOf });
}
