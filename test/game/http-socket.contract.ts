import { afterEach, describe, expect, it } from 'vitest';
import type { TestIntegrationOptions } from 'weft/testing';
import { PASSWORD, gameApp, type GameApp } from './http-harness.js';

/** The game over a real TCP socket and `fetch`, as a client program sees it, on one backend. */
export function httpSocketContract(name: string, options: TestIntegrationOptions): void {
  describe(`HTTP over a socket: ${name}`, () => {
    let game: GameApp;
    let base: string;
    afterEach(async () => {
      await game.close();
    });

    async function listening(): Promise<void> {
      game = await gameApp(options);
      base = await game.app.listen({ port: 0, host: '127.0.0.1' });
    }
    const send = (path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) =>
      fetch(`${base}${path}`, {
        method: init.method ?? 'GET',
        headers: {
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...init.headers,
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });

    /** Registers and signs in over the socket; returns the authorization header. */
    async function signUp(username: string): Promise<{ authorization: string }> {
      const registered = await send('/auth/register', { method: 'POST', body: { username, password: PASSWORD } });
      expect(registered.status).toBe(201);
      expect(await registered.json()).toEqual({ userId: expect.any(String) as string, username });
      const login = await send('/auth/login', { method: 'POST', body: { username, password: PASSWORD } });
      expect(login.status).toBe(200);
      const tokens = (await login.json()) as { accessToken: string; tokenType: string };
      expect(tokens.tokenType).toBe('Bearer');
      return { authorization: `Bearer ${tokens.accessToken}` };
    }

    it('registers, signs in and answers /me, echoing the caller’s request id', async () => {
      await listening();
      const auth = await signUp('ann');
      const me = await send('/me', { headers: { ...auth, 'x-correlation-id': 'socket-me-1' } });
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ username: 'ann', roles: ['player'] });
      expect(me.headers.get('x-request-id')).toBe('socket-me-1');
      // Without one, the server makes one up and still says which it was.
      const anonymous = await send('/me', { headers: auth });
      expect(anonymous.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(anonymous.headers.get('x-request-id')).not.toBe('socket-me-1');
      expect((await send('/me')).status).toBe(401);
    });

    it('replays a transfer sent twice with one Idempotency-Key, moving the gold once', async () => {
      await listening();
      const ann = await signUp('ann');
      const bob = await signUp('bob');
      const create = async (auth: { authorization: string }, body: object) => {
        const created = await send('/characters', { method: 'POST', headers: auth, body });
        expect(created.status).toBe(201);
        return ((await created.json()) as { id: string }).id;
      };
      const giver = await create(ann, { name: 'Anna', class: 'warrior' });
      const taker = await create(bob, { name: 'Bert', class: 'ranger' });
      await game.weft.events.drain();
      const transfer = () =>
        send(`/characters/${giver}/transfer`, {
          method: 'POST',
          headers: { ...ann, 'idempotency-key': 'socket-gift-1' },
          body: { toCharacterId: taker, gold: 15 },
        });
      const first = await transfer();
      expect(first.status).toBe(200);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      const firstBody: unknown = await first.json();
      expect(firstBody).toMatchObject({ from: { gold: 50 - 15 }, to: { gold: 60 + 15 } });
      const again = await transfer();
      expect(again.status).toBe(200);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(await again.json()).toEqual(firstBody);
      const wallet = await send(`/characters/${giver}/wallet`, { headers: ann });
      expect(await wallet.json()).toEqual({ status: 'open', characterId: giver, gold: 50 - 15 });
    });

    it('answers an unknown path and bad JSON with problem documents that carry the request id', async () => {
      await listening();
      const missing = await send('/nowhere', { headers: { 'x-correlation-id': 'socket-404' } });
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(missing.headers.get('x-request-id')).toBe('socket-404');
      expect(await missing.json()).toMatchObject({ status: 404, code: 'WEFT_NOT_FOUND', instance: '/nowhere' });
      const garbled = await fetch(`${base}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"username": "ann",',
      });
      expect(garbled.status).toBe(400);
      expect(garbled.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(garbled.headers.get('x-request-id')).toEqual(expect.any(String));
    });
  });
}
