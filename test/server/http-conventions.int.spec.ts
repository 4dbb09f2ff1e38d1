// The HTTP conventions a QA pass over the running server found broken, each pinned: every refusal a problem document
// with a code of Weft's registry and the headers every answer carries, CORS not turning 404s into 405s, the admin
// token opening the game's admin routes, and If-None-Match compared as RFC 9110 says.
import { connect } from 'node:net';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, MonitoringManager } from 'weft/internal';
import { createTestIntegration, type TestIntegration } from 'weft/testing';
import { gameRoutes, gameSystems } from '../../src/game/index.js';
import { buildApp } from '../../src/server/index.js';

const ADMIN_TOKEN = 'an-admin-token-of-the-tests-0123456789';
const PASSWORD = 'correct horse battery';
const ORIGIN = 'https://game.example.com';

let weft: TestIntegration;
let app: FastifyInstance;
let player: { authorization: string };

beforeAll(async () => {
  weft = await createTestIntegration({ file: true, pollIntervalMs: 20 });
  await weft.install(...gameSystems());
  app = buildApp({
    monitoring: new MonitoringManager({ logger: { level: 'silent' }, processMetrics: false }),
    state: weft.state,
    adminToken: ADMIN_TOKEN,
    corsOrigins: [ORIGIN],
    game: { weft, routes: gameRoutes, rateLimits: { auth: 10_000, command: 3 } },
  });
  await app.ready();
  await app.inject({ method: 'POST', url: '/auth/register', payload: { username: 'ann', password: PASSWORD } });
  const login = await app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { username: 'ann', password: PASSWORD },
  });
  player = { authorization: `Bearer ${login.json<{ accessToken: string }>().accessToken}` };
});

afterAll(async () => {
  await app.close();
  await weft.close();
});

/** Asserts a problem document with `code`, its status the registry's, and the headers every answer carries. */
function expectProblem(answer: LightMyRequestResponse, code: keyof typeof ERROR_CODES): Record<string, unknown> {
  expect(answer.statusCode, answer.body).toBe(ERROR_CODES[code]);
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = answer.json<Record<string, unknown>>();
  expect(problem).toMatchObject({ status: ERROR_CODES[code], code, type: `urn:weft:error:${code}` });
  expect(answer.headers['x-request-id']).toEqual(expect.any(String));
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
  return problem;
}

describe('HTTP conventions', () => {
  it('with CORS on, answers an unknown path 404 and a known one with the wrong method 405, OPTIONS allowed', async () => {
    for (const url of ['/nope', '/admin/foo', '/characters/x/y']) {
      expectProblem(await app.inject({ method: 'GET', url }), 'WEFT_NOT_FOUND');
    }
    const wrong = await app.inject({ method: 'DELETE', url: '/me' });
    expectProblem(wrong, 'WEFT_METHOD_NOT_ALLOWED');
    expect(wrong.headers.allow).toBe('GET, HEAD, OPTIONS');
    expect(wrong.json()).toMatchObject({ title: 'Method Not Allowed' });
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/me',
      headers: { origin: ORIGIN, 'access-control-request-method': 'GET' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(ORIGIN);
  });

  it('lets a page of an allowed origin read the ETag, Retry-After and request id headers', async () => {
    const content = await app.inject({ method: 'GET', url: '/content/items', headers: { origin: ORIGIN } });
    expect(content.statusCode).toBe(200);
    expect(content.headers.etag).toEqual(expect.any(String));
    const exposed = String(content.headers['access-control-expose-headers'])
      .split(',')
      .map((name) => name.trim().toLowerCase());
    expect(exposed).toEqual(expect.arrayContaining(['etag', 'retry-after', 'x-request-id', 'idempotent-replayed']));
  });

  it('opens the game’s admin routes to WEFT_ADMIN_TOKEN, and to nobody else without an admin’s token', async () => {
    for (const url of ['/admin/economy', '/admin/economy/audit', '/admin/analytics/summary']) {
      const answer = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(answer.statusCode, `${url}: ${answer.body}`).toBe(200);
    }
    const tick = await app.inject({
      method: 'POST',
      url: '/admin/world/tick',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(tick.statusCode, tick.body).toBe(200);
    const wrong = await app.inject({
      method: 'GET',
      url: '/admin/economy',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}x` },
    });
    expectProblem(wrong, 'WEFT_UNAUTHORIZED');
    expect(wrong.headers['www-authenticate']).toMatch(/^Bearer /);
    expectProblem(await app.inject({ method: 'GET', url: '/admin/economy', headers: player }), 'WEFT_FORBIDDEN');
    // The token is an operator's, not a player's: it opens no player route.
    const me = await app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expectProblem(me, 'WEFT_UNAUTHORIZED');
    expect(me.headers['www-authenticate']).toMatch(/^Bearer /);
  });

  it('answers 304 to If-None-Match compared weakly, in a list, or *; 200 to another tag', async () => {
    const items = await app.inject({ method: 'GET', url: '/content/items' });
    const etag = String(items.headers.etag);
    for (const given of [etag, `W/${etag}`, `"other", ${etag}`, `W/"x", W/${etag}`, '*']) {
      const again = await app.inject({ method: 'GET', url: '/content/items', headers: { 'if-none-match': given } });
      expect(again.statusCode, given).toBe(304);
    }
    for (const given of ['"other"', etag.slice(0, -2) + '"', 'W/"x"']) {
      const again = await app.inject({ method: 'GET', url: '/content/items', headers: { 'if-none-match': given } });
      expect(again.statusCode, given).toBe(200);
    }
  });

  it('refuses bodies with codes of the registry, naming what is wrong, and changes nothing', async () => {
    const register = (payload: string, contentType?: string) =>
      app.inject({
        method: 'POST',
        url: '/auth/register',
        payload,
        ...(contentType === undefined ? {} : { headers: { 'content-type': contentType } }),
      });
    const badJson = expectProblem(await register('{"username": ', 'application/json'), 'WEFT_BAD_REQUEST');
    expect(badJson.detail).toMatch(/^The body is not valid JSON/);
    expect(badJson.title).toBe('Bad Request');
    expectProblem(await register('', 'application/json'), 'WEFT_BAD_REQUEST');
    const none = expectProblem(await app.inject({ method: 'POST', url: '/auth/register' }), 'WEFT_BAD_REQUEST');
    expect(none.detail).toMatch(/takes a JSON body/);
    for (const poisoned of [
      `{"username":"bob","password":"${PASSWORD}","__proto__":{"x":1}}`,
      `{"username":"bob","password":"${PASSWORD}","constructor":{"prototype":{"x":1}}}`,
    ]) {
      const answer = expectProblem(await register(poisoned, 'application/json'), 'WEFT_BAD_REQUEST');
      expect(answer.detail).toMatch(/__proto__/);
    }
    // JSON that is not an object is a body that fails the route's schema.
    expectProblem(await register('null', 'application/json'), 'WEFT_VALIDATION');
    expectProblem(await register('hello', 'text/plain'), 'WEFT_UNSUPPORTED_MEDIA_TYPE');
    const huge = JSON.stringify({ username: 'bob', password: 'x'.repeat(100_000) });
    expectProblem(await register(huge, 'application/json'), 'WEFT_PAYLOAD_TOO_LARGE');
    const login = await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { username: 'bob', password: PASSWORD },
    });
    expect(login.statusCode).toBe(401);
  });

  it('refuses a body that says something on a route that takes none, and acts on none or {}', async () => {
    const tick = (payload?: object) =>
      app.inject({
        method: 'POST',
        url: '/admin/world/tick',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        ...(payload === undefined ? {} : { payload }),
      });
    const clock = async () =>
      (await app.inject({ method: 'GET', url: '/world' })).json<{ clock: { tick: number } }>().clock.tick;
    const before = await clock();
    const refused = expectProblem(await tick({ ticks: 5 }), 'WEFT_VALIDATION');
    expect(JSON.stringify(refused.issues)).toContain('ticks');
    expect(await clock()).toBe(before);
    expect((await tick()).statusCode).toBe(200);
    expect((await tick({})).statusCode).toBe(200);
    expect(await clock()).toBe(before + 2);
  });

  it('answers a malformed URL and a path parameter past its limit with the headers every answer carries', async () => {
    expectProblem(await app.inject({ method: 'GET', url: '/content/items/%E0%A4%A' }), 'WEFT_BAD_REQUEST');
    const long = await app.inject({ method: 'GET', url: `/content/items/${'x'.repeat(101)}` });
    expect(expectProblem(long, 'WEFT_URI_TOO_LONG')).toMatchObject({ title: 'URI Too Long' });
    expect(long.headers['x-correlation-id']).toBe(long.headers['x-request-id']);
  });

  it('answers past the per-user command limit with WEFT_RATE_LIMITED and Retry-After', async () => {
    const answers = [];
    for (let i = 0; i < 4; i++) {
      answers.push(
        await app.inject({ method: 'POST', url: '/characters/nope/use', headers: player, payload: { itemId: 'herb' } }),
      );
    }
    const limited = answers.at(-1)!;
    const problem = expectProblem(limited, 'WEFT_RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(problem.detail).toMatch(/at most 3/);
  });
});

describe('refusals of the HTTP parser, over a real socket', () => {
  it('carry a request id and the security headers', async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const answer = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect(port, '127.0.0.1', () =>
        socket.end(`GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`),
      );
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    const head = answer.split('\r\n\r\n')[0]!.toLowerCase();
    expect(head).toMatch(/^http\/1.1 414/);
    expect(head).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/);
    expect(head).toContain('x-content-type-options: nosniff');
    expect(JSON.parse(answer.split('\r\n\r\n')[1]!)).toMatchObject({ code: 'WEFT_URI_TOO_LONG', status: 414 });
  });
});
