import type { Page } from '../catalog/pagination.js';

/**
 * Relay connection shape for a page of rows. Cursors are encoded only when a query asks for them
 * (`edgeResolvers`, `pageInfoResolvers`): a nested list of 100 connections otherwise spends its
 * time base64-encoding cursors nobody reads.
 */
export function toConnection<T>(page: Page<T>): Connection<T> {
  const { items, cursorOf } = page;
  return {
    edges: items.map((node) => ({ node, cursorOf })),
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: false,
      first: items[0],
      last: items[items.length - 1],
      cursorOf,
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

/** What the `*Edge` resolvers receive: the node and how to encode its cursor. */
export interface EdgeSource<T> {
  node: T;
  cursorOf(item: T): string;
}

/** What the `PageInfo` resolvers receive: the page's first and last item, to encode on demand. */
export interface PageInfoSource<T> {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  first: T | undefined;
  last: T | undefined;
  cursorOf(item: T): string;
}

export interface Connection<T> {
  edges: EdgeSource<T>[];
  pageInfo: PageInfoSource<T>;
}

/** `cursor` of every `*Edge` type built by `toConnection`. */
export const edgeResolvers = {
  cursor: <T>(edge: EdgeSource<T>) => edge.cursorOf(edge.node),
};

export const pageInfoResolvers = {
  startCursor: <T>(info: PageInfoSource<T>) => (info.first === undefined ? null : info.cursorOf(info.first)),
  endCursor: <T>(info: PageInfoSource<T>) => (info.last === undefined ? null : info.cursorOf(info.last)),
};
