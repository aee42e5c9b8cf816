import type DataLoader from 'dataloader';

/**
 * The row a foreign key points at, through one of the request's loaders. The database keeps such
 * keys valid, so a missing row means an inconsistent catalog: an internal error that names the
 * row, in place of GraphQL's "Cannot return null for non-nullable field".
 */
export function referenced<K, V>(loader: DataLoader<K, V | null>, key: K, what: string): Promise<V> {
  return loader.load(key).then((row) => {
    if (row === null) throw new Error(`${what} ${String(key)} is referenced but does not exist`);
    return row;
  });
}
