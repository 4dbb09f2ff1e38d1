import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gameApp, type GameApp, type Player } from './http-harness.js';
import { BODIES, MATRIX, STREAMS, routeKey as key, urlOf as concreteUrl } from './http-route-matrix.js';

describe('the authorization matrix', () => {
  let game: GameApp;
  let clock = Date.UTC(2026, 11, 1);
  let ann: Player;
  let bob: Player;
  let admin: Player;
  let bobsCharacter: string;
  /** The x-request-id of Bob's character creation: a correlation the trace route knows. */
  let creation: string;

  beforeAll(async () => {
    game = await gameApp({ file: true, game: { now: () => clock } });
    ann = await game.player('ann');
    bob = await game.player('bob');
    admin = await game.admin();
    const created = await game.request({
      method: 'POST',
      url: '/characters',
      headers: bob.auth,
      payload: { name: 'Bobby', class: 'ranger' },
    });
    bobsCharacter = created.json<{ id: string }>().id;
    creation = String(created.headers['x-request-id']);
    await game.weft.events.drain();
  });
  afterAll(async () => {
    await game.close();
  });

  const gameRoutes = () => game.routes.filter((route) => !route.url.startsWith('/docs'));
  /** A concrete URL for a route: its `:id` is Bob's character, or a content id. */
  const urlOf = (url: string) => concreteUrl(url, bobsCharacter, 'x', creation);
  const call = (route: { method: string; url: string }, headers: Record<string, string> = {}) =>
    game.request({
      method: route.method as 'GET',
      url: urlOf(route.url),
      headers,
      ...(BODIES[key(route)] === undefined ? {} : { payload: BODIES[key(route)] as object }),
    });

  it('names every route the app serves, and says who may call it as the route itself does', () => {
    const unlisted = gameRoutes()
      .map(key)
      .filter((name) => MATRIX[name] === undefined);
    expect(unlisted, 'routes missing from MATRIX in test/game/http-route-matrix.ts (add each with its access)').toEqual(
      [],
    );
    for (const route of gameRoutes()) {
      if (route.access !== undefined) expect(route.access, key(route)).toBe(MATRIX[key(route)]);
    }
  });

  it('answers 401 without a token, or with a revoked or expired one, on every route that is not public', async () => {
    const revoked = await game.player('carol');
    await game.request({ method: 'POST', url: '/auth/logout', headers: revoked.auth });
    const guarded = gameRoutes().filter((route) => ['player', 'admin'].includes(MATRIX[key(route)] ?? ''));
    expect(guarded.length).toBeGreaterThan(15);
    for (const route of guarded) {
      expect((await call(route)).statusCode, `${key(route)} without a token`).toBe(401);
      expect((await call(route, revoked.auth)).statusCode, `${key(route)} revoked`).toBe(401);
      expect((await call(route, { authorization: 'Bearer not-a-token' })).statusCode, `${key(route)} garbage`).toBe(
        401,
      );
    }
    const late = await game.player('dave');
    clock += 16 * 60_000;
    for (const route of guarded) {
      expect((await call(route, late.auth)).statusCode, `${key(route)} expired`).toBe(401);
    }
    clock -= 16 * 60_000;
  });

  it('answers 403 to a player on admin routes, and lets the admin in', async () => {
    for (const route of gameRoutes().filter((r) => MATRIX[key(r)] === 'admin')) {
      expect((await call(route, ann.auth)).statusCode, `${key(route)} as a player`).toBe(403);
      if (STREAMS.has(key(route))) continue;
      // In: not refused. A route acting on one resource by id may answer 404 for the made-up id.
      const answer = await call(route, admin.auth);
      expect([
        key(route),
        answer.statusCode < 400 || (answer.statusCode === 404 && /:(id|transactionId)\b/.test(route.url)),
      ]).toEqual([key(route), true]);
    }
  });

  it('answers 404 to a player reaching for another player’s character, never 403', async () => {
    for (const route of gameRoutes().filter((r) => MATRIX[key(r)] === 'player' && r.url.includes(':id'))) {
      const answer = await call(route, ann.auth);
      // A route with a body is called with BODIES' one (http-route-matrix.ts): without it the body's check answers.
      expect(answer.statusCode, `${key(route)} (a body of it in BODIES?): ${answer.body}`).toBe(404);
    }
  });

  it('takes an Idempotency-Key on every route that says it does: another player’s character is still a 404', async () => {
    const idempotent = gameRoutes().filter((r) => r.idempotent);
    expect(idempotent.length).toBeGreaterThanOrEqual(9);
    for (const route of idempotent) {
      // A route whose command does not take keys answers every key with a 422, before looking at the character.
      const answer = await call(route, { ...ann.auth, 'idempotency-key': `key-of-${key(route)}`.replace(/\s/g, '_') });
      expect(answer.statusCode, `${key(route)} with an Idempotency-Key: ${answer.body}`).toBe(404);
    }
  });

  it('lets anyone call the public routes', async () => {
    for (const route of gameRoutes().filter((r) => MATRIX[key(r)] === 'public' && r.method === 'GET')) {
      const answer = await call({ ...route, url: route.url.replace(':id', 'iron_sword') });
      expect(answer.statusCode, key(route)).toBeLessThan(500);
    }
  });
});
