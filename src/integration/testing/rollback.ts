import type { Kysely } from 'kysely';
import type { Database } from '../database/internal.js';

/** Thrown inside `withRollback` to undo the transaction, carrying the work's result out; never escapes it. */
class RollbackSignal<T> extends Error {
  readonly result: T;

  constructor(result: T) {
    super('rolled back by withRollback');
    this.result = result;
  }
}

/**
 * Runs `work` in a transaction that is always rolled back, and returns what `work` returned:
 * a test sees its own writes, and leaves nothing behind. Inside an open transaction it is a
 * savepoint, so only its own writes are undone.
 * @example const rows = await withRollback(db, async (tx) => { await insertPlayer(); return
 * tx.selectFrom('player').selectAll().execute() })
 */
export function withRollback<DB, T>(db: Database<DB>, work: (tx: Kysely<DB>) => Promise<T> | T): Promise<T> {
  return db
    .transaction<never>(
      async (tx) => {
        throw new RollbackSignal(await work(tx));
      },
      { retry: false },
    )
    .catch((error: unknown) => {
      if (error instanceof RollbackSignal) return error.result as T;
      throw error;
    });
}
