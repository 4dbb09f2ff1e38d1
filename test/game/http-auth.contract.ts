import { afterEach, describe, expect, it } from 'vitest';
import type { TestIntegrationOptions } from 'weft/testing';
import { PASSWORD, gameApp, type GameApp } from './http-harness.js';

/** Accounts and sessions over HTTP, and the conventions every route follows, on one backend. */
export function httpAuthContract(name: string, options: TestIntegrationOptions): void {
  describe(`HTTP accounts and conventions: ${name}`, () => {
    let game: GameApp;
    afterEach(async () => {
      await game.close();
    });

    it('registers, signs in, refreshes and signs out; a revoked session’s token stops at once', async () => {
      game = await gameApp(options);
      const created = await game.request({
        method: 'POST',
        url: '/auth/register',
        payload: { username: 'Ann', password: PASSWORD },
      });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toEqual({ userId: expect.any(String) as string, username: 'ann' });
      const taken = await game.request({
        method: 'POST',
        url: '/auth/register',
        payload: { username: 'ANN', password: PASSWORD },
      });
      expect(taken.statusCode).toBe(409);
      expect(taken.headers['content-type']).toMatch(/^application\/problem\+json/);
      const login = await game.request({
        method: 'POST',
        url: '/auth/login',
        payload: { username: 'ann', password: PASSWORD },
      });
      expect(login.statusCode).toBe(200);
      const tokens = login.json<{ accessToken: string; refreshToken: string; tokenType: string; expiresIn: number }>();
      expect(tokens).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
      const auth = { authorization: `Bearer ${tokens.accessToken}` };
      expect((await game.request({ method: 'GET', url: '/me', headers: auth })).json()).toMatchObject({
        username: 'ann',
        roles: ['player'],
      });
      const refreshed = await game.request({
        method: 'POST',
        url: '/auth/refresh',
        payload: { refreshToken: tokens.refreshToken },
      });
      expect(refreshed.statusCode).toBe(200);
      // The old refresh token again: refused, and its whole session with it.
      const reused = await game.request({
        method: 'POST',
        url: '/auth/refresh',
        payload: { refreshToken: tokens.refreshToken },
      });
      expect(reused.statusCode).toBe(401);
      expect((await game.request({ method: 'GET', url: '/me', headers: auth })).statusCode).toBe(401);
      const again = await game.player('bob');
      expect((await game.request({ method: 'POST', url: '/auth/logout', headers: again.auth })).json()).toEqual({
        revoked: true,
      });
      expect((await game.request({ method: 'GET', url: '/me', headers: again.auth })).statusCode).toBe(401);
      const wrong = await game.request({
        method: 'POST',
        url: '/auth/login',
        payload: { username: 'ann', password: 'not the password' },
      });
      const nobody = await game.request({
        method: 'POST',
        url: '/auth/login',
        payload: { username: 'nobody', password: 'not the password' },
      });
      expect([wrong.statusCode, nobody.statusCode]).toEqual([401, 401]);
      expect(wrong.json<{ detail: string }>().detail).toBe(nobody.json<{ detail: string }>().detail);
    });

    it('answers exactly one 201 to 50 parallel registrations of one name', async () => {
      game = await gameApp(options);
      const answers = await Promise.all(
        Array.from({ length: 50 }, () =>
          game.request({ method: 'POST', url: '/auth/register', payload: { username: 'popular', password: PASSWORD } }),
        ),
      );
      const codes = answers.map((a) => a.statusCode).sort();
      expect(codes.filter((c) => c === 201)).toHaveLength(1);
      expect(codes.filter((c) => c !== 201).every((c) => c === 409)).toBe(true);
    });

    it('backs off guessing one account’s password with 429 and Retry-After, and limits sign-ins per address', async () => {
      game = await gameApp({ ...options, rateLimits: { auth: 12, command: 1000 } });
      await game.player('ann');
      const answers = [];
      for (let i = 0; i < 11; i++) {
        answers.push(
          await game.request({
            method: 'POST',
            url: '/auth/login',
            payload: { username: 'ann', password: `guess number ${i}` },
          }),
        );
      }
      // After 5 failures the next try waits (docs/game.md): the 6th, not the 7th. The waits are not failures, so the
      // first wait (2 s) holds for the rest of this quick loop.
      expect(answers.map((a) => a.statusCode)).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429, 429, 429]);
      const sixth = answers[5]!;
      expect(sixth.json()).toMatchObject({ status: 429, code: 'WEFT_RATE_LIMITED' });
      // 2 s from the 5th failure, in whole seconds rounded up: 1 only if this machine took over a second in between.
      expect(['1', '2']).toContain(sixth.headers['retry-after']);
      // The address's own limit: the 13th sign-up or sign-in call in a minute.
      const more = await Promise.all(
        Array.from({ length: 3 }, () =>
          game.request({ method: 'POST', url: '/auth/login', payload: { username: 'x', password: 'y' } }),
        ),
      );
      expect(more.map((a) => a.statusCode)).toContain(429);
    });

    it('follows the conventions: problem documents for 404, 405, 413, 415 and 422, x-request-id, OpenAPI and its docs', async () => {
      game = await gameApp(options);
      const notFound = await game.request({ method: 'GET', url: '/nowhere' });
      expect(notFound.statusCode).toBe(404);
      const wrongMethod = await game.request({ method: 'DELETE', url: '/me' });
      expect(wrongMethod.statusCode).toBe(405);
      expect(wrongMethod.headers.allow).toBe('GET, HEAD');
      const huge = await game.request({
        method: 'POST',
        url: '/auth/register',
        payload: { username: 'ann', password: 'x'.repeat(100_000) },
      });
      expect(huge.statusCode).toBe(413);
      const text = await game.request({
        method: 'POST',
        url: '/auth/register',
        headers: { 'content-type': 'text/plain' },
        payload: 'hello',
      });
      expect(text.statusCode).toBe(415);
      const bad = await game.request({ method: 'POST', url: '/auth/register', payload: { username: 7 } });
      expect(bad.statusCode).toBe(422);
      expect(bad.json<{ issues: Array<{ path: unknown[] }> }>().issues.map((i) => i.path)).toEqual(
        expect.arrayContaining([
          ['body', 'username'],
          ['body', 'password'],
        ]),
      );
      for (const answer of [notFound, wrongMethod, huge, text, bad]) {
        expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(answer.headers['x-request-id']).toEqual(expect.any(String));
      }
      const docs = await game.request({ method: 'GET', url: '/docs/' });
      expect(docs.statusCode).toBe(200);
      const openapi = await game.request({ method: 'GET', url: '/openapi.json' });
      const document = openapi.json<{ openapi: string; paths: Record<string, unknown> }>();
      expect(document.openapi).toBe('3.1.0');
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining(['/auth/register', '/me', '/content/items/{id}']),
      );
      // Security headers on every answer.
      expect(notFound.headers['x-content-type-options']).toBe('nosniff');
    });

    it('serves content with ETags: a matching If-None-Match is a 304', async () => {
      game = await gameApp(options);
      const items = await game.request({ method: 'GET', url: '/content/items' });
      expect(items.statusCode).toBe(200);
      expect(items.json<unknown[]>().length).toBeGreaterThanOrEqual(20);
      const etag = items.headers.etag;
      expect(etag).toMatch(/^"/);
      const again = await game.request({
        method: 'GET',
        url: '/content/items',
        headers: { 'if-none-match': String(etag) },
      });
      expect(again.statusCode).toBe(304);
      const sword = await game.request({ method: 'GET', url: '/content/items/iron_sword' });
      expect(sword.json()).toMatchObject({ id: 'iron_sword' });
      expect((await game.request({ method: 'GET', url: '/content/items/nothing' })).statusCode).toBe(404);
    });
  });
}
