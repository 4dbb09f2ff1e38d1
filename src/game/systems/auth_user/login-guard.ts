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

  /**
   * Counts a sign-in attempt as a failure before its password is checked, or throws a RateLimitedError (counting
   * nothing) while `username` must wait; a sign-in that succeeds then forgets the count (`succeeded`). Counted first,
   * in one atomic upsert that refuses a locked username: guesses sent at once each see the others, so only those the
   * free failures allow get their password checked. (Read first and counted after the slow check, twenty guesses sent
   * together were all checked.) The attempt that reaches FREE_FAILURES locks the username.
   */
  async attempt(username: string): Promise<void> {
    const now = this.#now();
    const at = new Date(now).toISOString();
    await this.#db.transaction(async (tx) => {
      const counted = await tx
        .insertInto('auth_user_login_failures')
        .values({ username, failures: 1, locked_until: null })
        .onConflict((oc) =>
          oc
            .column('username')
            .doUpdateSet((eb) => ({ failures: eb('auth_user_login_failures.failures', '+', 1) }))
            // ISO times of one format compare as text.
            .where((eb) =>
              eb.or([
                eb('auth_user_login_failures.locked_until', 'is', null),
                eb('auth_user_login_failures.locked_until', '<=', at),
              ]),
            ),
        )
        .returning('failures')
        .executeTakeFirst();
      if (counted === undefined) {
        const row = await tx
          .selectFrom('auth_user_login_failures')
          .select('locked_until')
          .where('username', '=', username)
          .executeTakeFirst();
        // The clock read again: this statement may have waited on the row for the attempt that locked it.
        const later = this.#now();
        const waitMs = Math.max(1, (row?.locked_until == null ? later : Date.parse(row.locked_until)) - later);
        const retryAfterSeconds = Math.ceil(waitMs / 1000);
        throw new RateLimitedError(`Too many failed sign-ins for this account; try again in ${retryAfterSeconds} s.`, {
          retryAfterSeconds,
        });
      }
      const lockSeconds = lockSecondsAfter(counted.failures);
      if (lockSeconds === 0) return;
      await tx
        .updateTable('auth_user_login_failures')
        .set({ locked_until: new Date(now + lockSeconds * 1000).toISOString() })
        .where('username', '=', username)
        .execute();
    });
  }

  /** Forgets the failures of a username that signed in. */
  async succeeded(username: string): Promise<void> {
    await this.#db.executor().deleteFrom('auth_user_login_failures').where('username', '=', username).execute();
  }
}
