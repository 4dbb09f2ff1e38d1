import type { Database } from '../../../integration/index.js';
import { RateLimitedError } from '../../../integration/index.js';
import type { AuthTables } from './tables.js';

/**
 * Failed sign-ins a username gets before it must wait: the failure that reaches this count locks it, so the next try
 * (the 6th) is a 429. docs/game.md: "after 5 failures, each further try waits".
 */
const FREE_FAILURES = 5;
/** The wait after the FREE_FAILURES-th failure; each further failure doubles it, up to MAX_LOCK_SECONDS. */
const FIRST_LOCK_SECONDS = 2;
const MAX_LOCK_SECONDS = 15 * 60;

/** How long a username waits after its `failures`-th failed sign-in: 0 while it has free ones, then 2, 4, 8 s ... */
function lockSecondsAfter(failures: number): number {
  if (failures < FREE_FAILURES) return 0;
  return Math.min(MAX_LOCK_SECONDS, FIRST_LOCK_SECONDS * 2 ** (failures - FREE_FAILURES));
}

/**
 * Slows down guessing one account's password, whichever addresses the guesses come from: after a
 * few failures for a username, the next sign-in waits (429 with Retry-After), a little longer after
 * each further failure. Unknown usernames are counted the same way, so the guard tells nothing about
 * which accounts exist. Each write is a small transaction of its own, kept even though the sign-in fails.
 */
export class LoginGuard {
  readonly #db: Database<AuthTables>;
  readonly #now: () => number;

  constructor(db: Database<AuthTables>, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** Throws a RateLimitedError while `username` must wait. */
  async check(username: string): Promise<void> {
    const row = await this.#db
      .executor()
      .selectFrom('auth_user_login_failures')
      .select('locked_until')
      .where('username', '=', username)
      .executeTakeFirst();
    const until = row?.locked_until === null || row === undefined ? 0 : Date.parse(row.locked_until);
    const waitMs = until - this.#now();
    if (waitMs > 0) {
      const retryAfterSeconds = Math.ceil(waitMs / 1000);
      throw new RateLimitedError(`Too many failed sign-ins for this account; try again in ${retryAfterSeconds} s.`, {
        retryAfterSeconds,
      });
    }
  }

  /**
   * Counts a failure (one atomic upsert, so concurrent failures all count), and locks the username from its
   * FREE_FAILURES-th failure on.
   */
  async failed(username: string): Promise<void> {
    await this.#db.transaction(async (tx) => {
      const { failures } = await tx
        .insertInto('auth_user_login_failures')
        .values({ username, failures: 1, locked_until: null })
        .onConflict((oc) =>
          oc.column('username').doUpdateSet((eb) => ({ failures: eb('auth_user_login_failures.failures', '+', 1) })),
        )
        .returning('failures')
        .executeTakeFirstOrThrow();
      const lockSeconds = lockSecondsAfter(failures);
      if (lockSeconds === 0) return;
      await tx
        .updateTable('auth_user_login_failures')
        .set({ locked_until: new Date(this.#now() + lockSeconds * 1000).toISOString() })
        .where('username', '=', username)
        .execute();
    });
  }

  /** Forgets the failures of a username that signed in. */
  async succeeded(username: string): Promise<void> {
    await this.#db.executor().deleteFrom('auth_user_login_failures').where('username', '=', username).execute();
  }
}
