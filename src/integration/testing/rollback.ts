import type { Kysely } from 'kysely';
import type { Database } from '../database/internal.js';

/** Thrown inside `withRollback` to undo the transaction; never escapes it. */
class RollbackSignal extends Error {}

/**
 * Runs `work` in a transaction that is always rolled back, and returns what `work` returned:
 * a test sees its own writes, and leaves nothing behind.
 * @example const rows = await withRollback(db, async (tx) => { await insertPlayer(); return tx.selectFrom('player').selectAll().execute() })
 */
export async function withRollback<DB, T>(db: Database<DB>, work: (tx: Kysely<DB>) => Promise<T> | T): Promise<T> {
  let result: T | undefined;
  let finished = false;
  try {
    await db.transaction(
      async (tx) => {
        result = await work(tx);
        finished = true;
        throw new RollbackSignal('rolled back by withRollback');
      },
      { retry: false },
    );
  } catch (error) {
    if (!(error instanceof RollbackSignal)) throw error;
  }
  if (!finished) throw new Error('withRollback: the work did not finish');
  return result as T;
}
