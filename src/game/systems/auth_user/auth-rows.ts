import { randomUUID } from 'node:crypto';
import type { Database } from '../../../integration/index.js';
import { ConflictError, StatementCache, UsageError, isWeftError } from '../../../integration/index.js';
import type { Role } from './schemas.js';
import type { AuthTables } from './tables.js';
import { REFRESH_TOKEN_SECONDS, newRefreshToken, refreshTokenHash } from './tokens.js';

/** An account as sign-in reads it. */
export interface AccountRow {
  readonly userId: string;
  readonly username: string;
  readonly passwordHash: string;
  readonly roles: Role[];
}

/** A refresh token as stored (by its hash), with the session it belongs to. */
export type RefreshTokenRow = AuthTables['auth_user_refresh_tokens'];

/**
 * The auth_user system's rows: accounts, sessions, refresh tokens and the signing key, read and
 * written in whatever transaction is open (the commands' own). The commands decide; this says how
 * each decision is stored.
 */
export class AuthRows {
  readonly #db: Database<AuthTables>;
  readonly #now: () => number;
  // Every authenticated request reads its session: compiled once, as building and compiling it through Kysely was
  // a tenth of GET /me in `npm run bench -- http`.
  readonly #statements = new StatementCache();

  constructor(db: Database<AuthTables>, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** The shared signing secret, made by the system's migrations (`002_signing_key`); every process reads it. */
  async signingKey(): Promise<string> {
    const row = await this.#db
      .executor()
      .selectFrom('auth_user_keys')
      .select('secret')
      .where('name', '=', 'access_tokens')
      .executeTakeFirst();
    if (row === undefined)
      throw new UsageError(
        'The access-token signing key is missing: apply the auth_user migrations (weft migrate up).',
      );
    return row.secret;
  }

  /** Adds an account and returns its id; a ConflictError when the (lower-case) username is taken. */
  async addAccount(username: string, passwordHash: string, roles: readonly Role[]): Promise<string> {
    const userId = randomUUID();
    try {
      await this.#db
        .executor()
        .insertInto('auth_user_accounts')
        .values({
          id: userId,
          username,
          password_hash: passwordHash,
          roles: JSON.stringify(roles),
          created_at: this.#time(),
        })
        .execute();
    } catch (error) {
      if (isWeftError(error, 'WEFT_CONFLICT'))
        throw new ConflictError(`The username ${username} is taken.`, { details: { username } });
      throw error;
    }
    return userId;
  }

  /** The account of a (lower-case) username, if there is one. */
  accountNamed(username: string): Promise<AccountRow | undefined> {
    return this.#accountWhere('username', username);
  }

  /** The account of an id, if there is one. */
  account(userId: string): Promise<AccountRow | undefined> {
    return this.#accountWhere('id', userId);
  }

  async #accountWhere(column: 'id' | 'username', value: string): Promise<AccountRow | undefined> {
    const row = await this.#db
      .executor()
      .selectFrom('auth_user_accounts')
      .selectAll()
      .where(column, '=', value)
      .executeTakeFirst();
    return row === undefined ? undefined : accountOf(row);
  }

  /** Opens a session for the account and returns its id. */
  async openSession(userId: string): Promise<string> {
    const sessionId = randomUUID();
    await this.#db
      .executor()
      .insertInto('auth_user_sessions')
      .values({ id: sessionId, user_id: userId, state: 'active', created_at: this.#time(), revoked_at: null })
      .execute();
    return sessionId;
  }

  /** A session by id, if there is one. */
  async session(sessionId: string): Promise<AuthTables['auth_user_sessions'] | undefined> {
    return this.#db
      .executor()
      .selectFrom('auth_user_sessions')
      .selectAll()
      .where('id', '=', sessionId)
      .executeTakeFirst();
  }

  /** Closes an active session; false when it was not active. Its access tokens stop working at once. */
  async revoke(sessionId: string): Promise<boolean> {
    const result = await this.#db
      .executor()
      .updateTable('auth_user_sessions')
      .set({ state: 'revoked', revoked_at: this.#time() })
      .where('id', '=', sessionId)
      .where('state', '=', 'active')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** The state of a session with its account's name and current roles: what every authenticated request reads. */
  async sessionWithAccount(
    sessionId: string,
  ): Promise<{ state: string; userId: string; username: string; roles: Role[] } | undefined> {
    const {
      rows: [row],
    } = await this.#db.execute(
      this.#statements.get(
        'session_with_account',
        () =>
          this.#db
            .executor()
            .selectFrom('auth_user_sessions as s')
            .innerJoin('auth_user_accounts as a', 'a.id', 's.user_id')
            .select(['s.state', 's.user_id', 'a.username', 'a.roles'])
            .where('s.id', '=', ''),
        [sessionId],
      ),
    );
    return row === undefined
      ? undefined
      : { state: row.state, userId: row.user_id, username: row.username, roles: JSON.parse(row.roles) as Role[] };
  }

  /** A new refresh token of the session, stored hashed; the token itself is returned once, here. */
  async issueRefreshToken(sessionId: string): Promise<string> {
    const token = newRefreshToken();
    await this.#db
      .executor()
      .insertInto('auth_user_refresh_tokens')
      .values({
        hash: refreshTokenHash(token),
        session_id: sessionId,
        state: 'current',
        expires_at: new Date(this.#now() + REFRESH_TOKEN_SECONDS * 1000).toISOString(),
        created_at: this.#time(),
      })
      .execute();
    return token;
  }

  /** The stored refresh token a client sent, locked where other writers run at once (PostgreSQL). */
  async refreshToken(token: string): Promise<RefreshTokenRow | undefined> {
    const select = this.#db
      .executor()
      .selectFrom('auth_user_refresh_tokens')
      .selectAll()
      .where('hash', '=', refreshTokenHash(token));
    return (this.#db.capabilities.concurrentWriters ? select.forUpdate() : select).executeTakeFirst();
  }

  /** Marks a refresh token used: it must never work again. */
  async rotate(hash: string): Promise<void> {
    await this.#db
      .executor()
      .updateTable('auth_user_refresh_tokens')
      .set({ state: 'rotated' })
      .where('hash', '=', hash)
      .execute();
  }

  #time(): string {
    return new Date(this.#now()).toISOString();
  }
}

function accountOf(row: AuthTables['auth_user_accounts']): AccountRow {
  return {
    userId: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    roles: JSON.parse(row.roles) as Role[],
  };
}
