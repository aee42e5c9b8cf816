/** A throwaway database on a PostgreSQL server for one bench run: created empty, dropped (forcibly) at the end. */
import {
  createScratchDatabase as createEmptyDatabase,
  type ScratchDatabase,
} from '../test/helpers/testDatabase.js';

export type { ScratchDatabase };

/**
 * `drop` prints a failure instead of throwing: a bench drops its database in `finally`, where
 * cleanup must not mask the bench's own error.
 */
export async function createScratchDatabase(serverUrl: string, prefix: string): Promise<ScratchDatabase> {
  const scratch = await createEmptyDatabase(serverUrl, prefix);
  return {
    ...scratch,
    drop: () =>
      scratch.drop().catch((error: unknown) => {
        console.error(
          `could not drop ${scratch.name}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }),
  };
}
