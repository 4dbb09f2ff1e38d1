import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { UnauthorizedError, defineSystem, isWeftError, type SystemDefinition } from '../../../integration/index.js';
import { AuthRows } from './auth-rows.js';
import { LoginGuard } from './login-guard.js';
import { hashPassword, passwordMatches } from './passwords.js';
import {
  Account,
  Authenticated,
  Credentials,
  LoggedIn,
  Me,
  RefreshInput,
  Registered,
  type TokenClaims,
  TokenInput,
  Tokens,
  Username,
  type Role,
} from './schemas.js';
import { authMigrations, type AuthTables } from './tables.js';
import { ACCESS_TOKEN_SECONDS, AccessTokens } from './tokens.js';

const SignIn = z.strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(128) });
const RefreshResult = z.discriminatedUnion('ok', [
  Tokens.extend({ ok: z.literal(true) }),
  z.strictObject({ ok: z.literal(false), reason: z.enum(['unknown', 'expired', 'reused', 'revoked']) }),
]);
const BootstrapInput = z.strictObject({ password: z.string().min(10).max(128).optional() });
const BootstrapResult = z.strictObject({ created: z.boolean(), generatedPassword: z.string().optional() });

// Other systems and the server see these commands and events by name.
declare module '../../../integration/index.js' {
  interface WeftCommands {
    'auth_user.register': {
      input: { username: string; password: string };
      output: { userId: string; username: string };
    };
    'auth_user.login': { input: { username: string; password: string }; output: z.infer<typeof Tokens> };
    'auth_user.refresh': { input: { refreshToken: string }; output: z.infer<typeof RefreshResult> };
    'auth_user.logout': { input: { accessToken: string }; output: { revoked: boolean } };
    'auth_user.authenticate': { input: { accessToken: string }; output: z.infer<typeof Authenticated> };
    'auth_user.me': { input: Record<string, never>; output: z.infer<typeof Me> };
    'auth_user.bootstrap_admin': {
      input: { password?: string };
      output: { created: boolean; generatedPassword?: string };
    };
  }
  interface WeftEvents {
    'auth_user.registered': z.infer<typeof Registered>;
    'auth_user.logged_in': z.infer<typeof LoggedIn>;
  }
}

/** Options of the auth_user system. */
export interface AuthUserOptions {
  /** The clock tokens and lock-outs read; tests move it. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * The auth_user system: accounts (argon2id password hashes), sign-in with short JWT access tokens
 * and rotated opaque refresh tokens (reuse of a rotated one revokes the whole session), sign-out
 * that stops the session's access tokens at once, roles `player` and `admin`, the first admin,
 * and a guard that slows down guessing one account's password.
 */
export function authUserSystem(options: AuthUserOptions = {}): SystemDefinition<'auth_user'> {
  const now = options.now ?? Date.now;
  return defineSystem({
    name: 'auth_user',
    setup(sys) {
      sys.migrations(authMigrations);
      const db = sys.database<AuthTables>();
      const rows = new AuthRows(db, now);
      const guard = new LoginGuard(db, now);
      const registered = sys.events.define({
        name: 'registered',
        durable: true,
        schema: Registered,
        partitionKey: (e) => e.userId,
      });
      const loggedIn = sys.events.define({
        name: 'logged_in',
        durable: true,
        schema: LoggedIn,
        partitionKey: (e) => e.userId,
      });

      // Made on first use: the tables exist only once the system's migrations ran.
      let tokens: Promise<AccessTokens> | undefined;
      const accessTokens = (): Promise<AccessTokens> =>
        (tokens ??= rows.signingKey().then((secret) => new AccessTokens(secret)));
      let decoy: Promise<string> | undefined;
      const decoyHash = (): Promise<string> => (decoy ??= hashPassword(randomBytes(16).toString('base64url')));

      async function createAccount(username: string, passwordHash: string, roles: readonly Role[]): Promise<string> {
        const userId = await rows.addAccount(username, passwordHash, roles);
        await sys.events.publish(registered, { userId, username });
        return userId;
      }

      async function tokenPair(who: TokenClaims): Promise<z.infer<typeof Tokens>> {
        const accessToken = await (await accessTokens()).sign(who, now());
        const refreshToken = await rows.issueRefreshToken(who.sessionId);
        return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: ACCESS_TOKEN_SECONDS };
      }

      sys.command(
        'register',
        {
          input: Credentials,
          output: Account,
          description: 'Creates a player account.',
          prepare: ({ password }) => hashPassword(password),
        },
        async ({ username }, _context, passwordHash) => ({
          userId: await createAccount(username, passwordHash, ['player']),
          username,
        }),
      );

      sys.command(
        'login',
        {
          input: SignIn,
          output: Tokens,
          description: 'Signs in: an access token and a refresh token.',
          // The password check is slow on purpose: it runs before the transaction, and a failure is
          // counted in a transaction of its own, kept even though the sign-in fails.
          async prepare({ username, password }) {
            const name = Username.safeParse(username);
            const key = name.success ? name.data : username.toLowerCase();
            // Counted as a failure before the check, forgotten by the sign-in when the password matches.
            await guard.attempt(key);
            const account = name.success ? await rows.accountNamed(key) : undefined;
            if (!(await passwordMatches(account?.passwordHash, password, await decoyHash())) || account === undefined) {
              throw new UnauthorizedError('Wrong username or password.');
            }
            return { userId: account.userId, username: account.username, roles: account.roles };
          },
        },
        async (_input, _context, account) => {
          await guard.succeeded(account.username);
          const sessionId = await rows.openSession(account.userId);
          await sys.events.publish(loggedIn, { userId: account.userId, sessionId });
          return tokenPair({ userId: account.userId, sessionId, roles: account.roles });
        },
      );

      sys.command(
        'refresh',
        {
          input: RefreshInput,
          output: RefreshResult,
          description: 'Trades a refresh token for new tokens; each refresh token works once.',
        },
        // A failed refresh is an answer, not a throw: revoking a session whose rotated token came back
        // must commit, so the route turns `ok: false` into a 401.
        async ({ refreshToken }) => {
          const found = await rows.refreshToken(refreshToken);
          if (found === undefined) return { ok: false as const, reason: 'unknown' as const };
          const session = await rows.session(found.session_id);
          if (session === undefined || session.state !== 'active')
            return { ok: false as const, reason: 'revoked' as const };
          if (found.state === 'rotated') {
            // Someone holds a token that was already traded: the session is not safe any more.
            await rows.revoke(session.id);
            sys.logger.warn(
              { sessionId: session.id, userId: session.user_id },
              'a rotated refresh token was used again; session revoked',
            );
            return { ok: false as const, reason: 'reused' as const };
          }
          if (Date.parse(found.expires_at) <= now()) return { ok: false as const, reason: 'expired' as const };
          await rows.rotate(found.hash);
          const account = await rows.account(session.user_id);
          if (account === undefined) return { ok: false as const, reason: 'revoked' as const };
          const pair = await tokenPair({ userId: session.user_id, sessionId: session.id, roles: account.roles });
          return { ok: true as const, ...pair };
        },
      );

      sys.command(
        'logout',
        {
          input: TokenInput,
          output: z.strictObject({ revoked: z.boolean() }),
          description: 'Signs out: the session and its tokens stop working at once.',
        },
        async ({ accessToken }) => {
          const who = await (await accessTokens()).verify(accessToken, now());
          return { revoked: await rows.revoke(who.sessionId) };
        },
      );

      sys.command(
        'authenticate',
        {
          input: TokenInput,
          output: Authenticated,
          readOnly: true,
          // Every authenticated request runs it: one read of the session with its account (the signing key is read
          // once per process), so a route that needs the account (GET /me) reads nothing more.
          oneStatement: true,
          description: 'Who an access token speaks for (account and current roles), if its session is still open.',
        },
        async ({ accessToken }) => {
          const who = await (await accessTokens()).verify(accessToken, now());
          const session = await rows.sessionWithAccount(who.sessionId);
          if (session?.state !== 'active') throw new UnauthorizedError('The session of this access token is closed.');
          // Only a token signed with our key gets here; still, it speaks for its session's account and no other.
          if (session.userId !== who.userId) throw new UnauthorizedError('The access token is not one of ours.');
          // Roles as the account has them now, not as the token was signed with them.
          return { ...who, username: session.username, roles: session.roles };
        },
      );

      sys.command(
        'me',
        {
          input: z.strictObject({}),
          output: Me,
          readOnly: true,
          oneStatement: true,
          description: 'The signed-in account.',
        },
        async (_input, { actor }) => {
          const account = actor.kind === 'user' ? await rows.account(actor.id) : undefined;
          if (account === undefined) throw new UnauthorizedError('Sign in first.');
          return { userId: account.userId, username: account.username, roles: account.roles };
        },
      );

      sys.command(
        'bootstrap_admin',
        {
          input: BootstrapInput,
          output: BootstrapResult,
          description: 'Makes the first admin account (`admin`) when there is none.',
          prepare: async ({ password }) => {
            const chosen = password ?? randomBytes(15).toString('base64url');
            return { password: chosen, generated: password === undefined, hash: await hashPassword(chosen) };
          },
        },
        async (_input, _context, prepared) => {
          if ((await rows.accountNamed('admin')) !== undefined) return { created: false };
          try {
            // In a savepoint: processes that start together on an empty database all get here, and the one whose insert
            // loses the race on the unique name finds the admin another just made (a PostgreSQL transaction whose
            // statement failed could not go on without it).
            await db.transaction(() => createAccount('admin', prepared.hash, ['admin', 'player']));
          } catch (error) {
            if (isWeftError(error, 'WEFT_CONFLICT')) return { created: false };
            throw error;
          }
          return prepared.generated ? { created: true, generatedPassword: prepared.password } : { created: true };
        },
      );
    },
  });
}
