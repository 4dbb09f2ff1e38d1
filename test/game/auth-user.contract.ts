import { performance } from 'node:perf_hooks';
import { decodeJwt, SignJWT } from 'jose';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError, RateLimitedError, UnauthorizedError, ValidationError, type EventEnvelope } from 'weft/internal';
import { createTestIntegration, type TestIntegration, type TestIntegrationOptions } from 'weft/testing';
import { authUserSystem } from '../../src/game/systems/auth_user/index.js';

const PASSWORD = 'correct horse battery';

/** The auth_user system's commands, on one database backend. */
export function authUserContract(name: string, options: TestIntegrationOptions): void {
  describe(`auth_user: ${name}`, () => {
    let weft: TestIntegration;
    let clock = Date.UTC(2026, 11, 1);
    const now = () => clock;

    const open = async () => {
      weft = await createTestIntegration({ pollIntervalMs: 20, ...options });
      await weft.install(authUserSystem({ now }));
      return weft;
    };
    afterEach(async () => {
      await weft.close();
      clock = Date.UTC(2026, 11, 1);
    });

    it('registers accounts: names folded to lower case and unique, passwords of 10 to 128 characters', async () => {
      await open();
      const registered: EventEnvelope[] = [];
      weft.system('analytics').events.subscribe('auth_user.registered', (e) => void registered.push(e));
      await weft.events.ready();
      const ann = await weft.execute('auth_user.register', { username: 'Ann_1', password: PASSWORD });
      expect(ann.username).toBe('ann_1');
      expect(ann.userId).toMatch(/^[0-9a-f-]{36}$/);
      await expect(
        weft.execute('auth_user.register', { username: 'ANN_1', password: PASSWORD }),
      ).rejects.toBeInstanceOf(ConflictError);
      for (const bad of [
        { username: 'an', password: PASSWORD },
        { username: 'ann-2', password: PASSWORD },
        { username: 'x'.repeat(33), password: PASSWORD },
        { username: 'bob', password: 'short' },
        { username: 'bob', password: 'p'.repeat(129) },
      ]) {
        await expect(weft.execute('auth_user.register', bad)).rejects.toBeInstanceOf(ValidationError);
      }
      await weft.events.drain();
      expect(registered.map((e) => e.data)).toEqual([{ userId: ann.userId, username: 'ann_1' }]);
      const rows = await weft.db
        .executor()
        .selectFrom('auth_user_accounts')
        .select(['username', 'password_hash'])
        .execute();
      expect(rows.map((row) => row.username)).toEqual(['ann_1']);
      expect(rows[0]?.password_hash).toMatch(/^\$argon2id\$/);
    });

    it('lets exactly one of 50 parallel registrations of one name through', async () => {
      await open();
      const outcomes = await Promise.allSettled(
        Array.from({ length: 50 }, () =>
          weft.execute('auth_user.register', { username: 'popular', password: PASSWORD }),
        ),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
      expect(refused.every((reason) => reason instanceof ConflictError)).toBe(true);
    });

    it('signs in with the same 401 for a wrong name or a wrong password, both after a full hash check', async () => {
      await open();
      await weft.execute('auth_user.register', { username: 'ann', password: PASSWORD });
      const timed = async (username: string): Promise<number> => {
        const started = performance.now();
        const error = await weft
          .execute('auth_user.login', { username, password: 'wrong password!' })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(UnauthorizedError);
        expect((error as Error).message).toBe('Wrong username or password.');
        return performance.now() - started;
      };
      const median = (values: number[]) => values.sort((a, b) => a - b)[1] ?? 0;
      const wrongPassword = median([await timed('ann'), await timed('ann'), await timed('ann')]);
      const wrongName = median([await timed('nobody'), await timed('nobody'), await timed('nobody')]);
      // Both verify an argon2id hash (milliseconds); skipping it for an unknown name would take microseconds.
      expect(wrongName).toBeGreaterThan(wrongPassword / 3);
      const tokens = await weft.execute('auth_user.login', { username: 'ANN', password: PASSWORD });
      expect(tokens).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    });

    it('makes the 6th try after 5 failed sign-ins wait 2 s, doubles the wait per further failure, and forgets them after a sign-in', async () => {
      await open();
      await weft.execute('auth_user.register', { username: 'ann', password: PASSWORD });
      const attempt = (username: string, password: string) =>
        weft.execute('auth_user.login', { username, password }).catch((e: unknown) => e);
      const waits = async (username: string, seconds: number) => {
        // Even the right password waits: the guard answers before the password is checked.
        const locked = await attempt(username, PASSWORD);
        expect(locked).toBeInstanceOf(RateLimitedError);
        expect((locked as RateLimitedError).retryAfterSeconds).toBe(seconds);
      };
      const fails = async (username: string, times: number) => {
        for (let i = 0; i < times; i++)
          expect(await attempt(username, 'wrong password')).toBeInstanceOf(UnauthorizedError);
      };
      await fails('ann', 5);
      await waits('ann', 2);
      clock += 1_000;
      await waits('ann', 1);
      clock += 1_000;
      await fails('ann', 1);
      await waits('ann', 4);
      clock += 4_000;
      await expect(weft.execute('auth_user.login', { username: 'ann', password: PASSWORD })).resolves.toMatchObject({
        tokenType: 'Bearer',
      });
      // The sign-in cleared the count: 5 failures again before the next wait.
      await fails('ann', 5);
      await waits('ann', 2);
      // A name without an account is counted the same way, so the guard tells nothing of which names exist.
      await fails('nobody', 5);
      await waits('nobody', 2);
    });

    it('checks the password of only 5 of 20 wrong sign-ins sent at once, and makes the rest wait', async () => {
      await open();
      await weft.execute('auth_user.register', { username: 'ann', password: PASSWORD });
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          weft.execute('auth_user.login', { username: 'ann', password: `wrong guess ${i}` }).catch((e: unknown) => e),
        ),
      );
      // Each guess counted before its password is checked: guesses sent together get no more tries than one by one.
      expect(outcomes.filter((e) => e instanceof UnauthorizedError)).toHaveLength(5);
      expect(outcomes.filter((e) => e instanceof RateLimitedError)).toHaveLength(15);
      const next = await weft
        .execute('auth_user.login', { username: 'ann', password: PASSWORD })
        .catch((e: unknown) => e);
      expect(next).toBeInstanceOf(RateLimitedError);
      expect((next as RateLimitedError).retryAfterSeconds).toBe(2);
    });

    it('rotates refresh tokens; a rotated one used again revokes the session; sign-out and expiry stop access tokens', async () => {
      await open();
      const { userId } = await weft.execute('auth_user.register', { username: 'ann', password: PASSWORD });
      const first = await weft.execute('auth_user.login', { username: 'ann', password: PASSWORD });
      expect(await weft.execute('auth_user.authenticate', { accessToken: first.accessToken })).toMatchObject({
        userId,
        username: 'ann',
        roles: ['player'],
      });
      // Roles are read with the session on every check, not taken from the token: a change applies at once.
      await weft.db
        .executor()
        .updateTable('auth_user_accounts')
        .set({ roles: JSON.stringify(['admin', 'player']) })
        .where('id', '=', userId)
        .execute();
      expect((await weft.execute('auth_user.authenticate', { accessToken: first.accessToken })).roles).toEqual([
        'admin',
        'player',
      ]);
      const second = await weft.execute('auth_user.refresh', { refreshToken: first.refreshToken });
      expect(second.ok).toBe(true);
      // The first refresh token comes back: someone else has it, so the whole session closes.
      expect(await weft.execute('auth_user.refresh', { refreshToken: first.refreshToken })).toEqual({
        ok: false,
        reason: 'reused',
      });
      if (!second.ok) throw new Error('refresh failed');
      await expect(weft.execute('auth_user.authenticate', { accessToken: second.accessToken })).rejects.toBeInstanceOf(
        UnauthorizedError,
      );
      expect(await weft.execute('auth_user.refresh', { refreshToken: second.refreshToken })).toMatchObject({
        ok: false,
      });
      expect(await weft.execute('auth_user.refresh', { refreshToken: 'made-up' })).toEqual({
        ok: false,
        reason: 'unknown',
      });

      const other = await weft.execute('auth_user.login', { username: 'ann', password: PASSWORD });
      expect(await weft.execute('auth_user.logout', { accessToken: other.accessToken })).toEqual({ revoked: true });
      await expect(weft.execute('auth_user.authenticate', { accessToken: other.accessToken })).rejects.toBeInstanceOf(
        UnauthorizedError,
      );

      const late = await weft.execute('auth_user.login', { username: 'ann', password: PASSWORD });
      clock += 16 * 60_000;
      await expect(weft.execute('auth_user.authenticate', { accessToken: late.accessToken })).rejects.toThrow(
        /expired/,
      );
      await expect(weft.execute('auth_user.authenticate', { accessToken: 'not.a.token' })).rejects.toBeInstanceOf(
        UnauthorizedError,
      );
    });

    it('refuses tokens signed with the real key that no sign-in made: without an expiry, or for another account', async () => {
      await open();
      const ann = await weft.execute('auth_user.register', { username: 'ann', password: PASSWORD });
      const bob = await weft.execute('auth_user.register', { username: 'bob', password: PASSWORD });
      const session = await weft.execute('auth_user.login', { username: 'ann', password: PASSWORD });
      const sid = String(decodeJwt(session.accessToken).sid);
      const { secret } = await weft.db
        .withTables<{ auth_user_keys: { secret: string } }>()
        .executor()
        .selectFrom('auth_user_keys')
        .select('secret')
        .executeTakeFirstOrThrow();
      const forge = (subject: string, expires: boolean) => {
        const jwt = new SignJWT({ sid, roles: ['player'] })
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .setIssuer('weft')
          .setSubject(subject)
          .setIssuedAt(Math.floor(clock / 1000));
        return (expires ? jwt.setExpirationTime(Math.floor(clock / 1000) + 60) : jwt).sign(
          new TextEncoder().encode(secret),
        );
      };
      // The forger's control: ann's own session, with an expiry, passes.
      expect(
        await weft.execute('auth_user.authenticate', { accessToken: await forge(ann.userId, true) }),
      ).toMatchObject({ userId: ann.userId });
      for (const accessToken of [await forge(ann.userId, false), await forge(bob.userId, true)]) {
        await expect(weft.execute('auth_user.authenticate', { accessToken })).rejects.toBeInstanceOf(UnauthorizedError);
      }
    });

    it('makes the first admin once, with a generated password when none is set', async () => {
      await open();
      const made = await weft.execute('auth_user.bootstrap_admin', {});
      expect(made.created).toBe(true);
      expect(made.generatedPassword).toMatch(/^[A-Za-z0-9_-]{20}$/);
      expect(await weft.execute('auth_user.bootstrap_admin', { password: 'another password' })).toEqual({
        created: false,
      });
      const tokens = await weft.execute('auth_user.login', {
        username: 'admin',
        password: made.generatedPassword ?? '',
      });
      const who = await weft.execute('auth_user.authenticate', { accessToken: tokens.accessToken });
      expect(who.roles.sort()).toEqual(['admin', 'player']);
      const me = await weft.execute('auth_user.me', {}, { actor: { kind: 'user', id: who.userId } });
      expect(me).toMatchObject({ username: 'admin' });
    });

    it('makes one admin when processes start together: the others find it, none fails', async () => {
      await open();
      // Concurrent on PostgreSQL (a pool of connections): each reads no admin, and all but one lose the insert.
      const made = await Promise.all(
        Array.from({ length: 4 }, (_, i) => weft.execute('auth_user.bootstrap_admin', { password: `password ${i}!!` })),
      );
      expect(made.filter((m) => m.created)).toHaveLength(1);
      const { rows } = await sql<{ n: number | string }>`
        select count(*) as n from auth_user_accounts where username = 'admin'
      `.execute(weft.db.executor());
      expect(Number(rows[0]?.n)).toBe(1);
    });
  });
}
