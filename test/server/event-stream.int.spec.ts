import { afterEach, describe, expect, it } from 'vitest';
import { MonitoringManager } from 'weft/internal';
import { createTestIntegration, type TestIntegration } from 'weft/testing';
import type { FastifyInstance } from 'fastify';
import { gameRoutes, gameSystems } from '../../src/game/index.js';
import { buildApp } from '../../src/server/index.js';
import { readEventStream } from './event-stream-reader.js';

const PASSWORD = 'the admin password of the tests';

describe('the event stream’s heartbeats and position', () => {
  let weft: TestIntegration;
  let app: FastifyInstance;
  afterEach(async () => {
    await app.close();
    await weft.close();
  });

  /** The game with an admin, served on a real socket with a fast stream: its URL and its monitoring. */
  async function serve(
    stream: { readonly accessCheckMs?: number } = {},
  ): Promise<{ url: string; monitoring: MonitoringManager }> {
    weft = await createTestIntegration({ file: true, pollIntervalMs: 20 });
    await weft.install(...gameSystems());
    await weft.execute('auth_user.bootstrap_admin', { password: PASSWORD });
    const monitoring = new MonitoringManager({ logger: { level: 'silent' }, processMetrics: false });
    app = buildApp({
      monitoring,
      state: weft.state,
      game: { weft, routes: gameRoutes, rateLimits: { auth: 10_000, command: 100_000 } },
      console: { stream: { pollMs: 20, heartbeatMs: 50, ...stream } },
    });
    return { url: await app.listen({ port: 0, host: '127.0.0.1' }), monitoring };
  }

  it('sends heartbeats carrying the position past filtered-out events, so a resume skips them', async () => {
    const { url, monitoring } = await serve();
    const login = await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { username: 'admin', password: PASSWORD },
    });
    const token = login.json<{ accessToken: string }>().accessToken;

    // Nothing of combat happens: the stream sends only heartbeats, and their position follows the log.
    const quiet = readEventStream(`${url}/admin/events/stream?system=combat`, token);
    await quiet.opened;
    const start = Number(quiet.messages[0]?.id);
    await app.inject({ method: 'POST', url: '/auth/register', payload: { username: 'ann', password: PASSWORD } });
    await weft.events.drain();
    const end = await weft.events.log.lastSeq();
    expect(end).toBeGreaterThan(start);
    const beats = await quiet.until((m) => m.event === 'heartbeat' && Number(m.id) === end);
    quiet.close();
    expect(beats.every((m) => m.event === 'heartbeat')).toBe(true);

    // Resumed from the last heartbeat: nothing before it comes again.
    const resumed = readEventStream(`${url}/admin/events/stream`, token, { 'last-event-id': String(end) });
    await resumed.opened;
    await app.inject({ method: 'POST', url: '/auth/register', payload: { username: 'bob', password: PASSWORD } });
    const after = await resumed.until((m) => m.event === 'event');
    resumed.close();
    expect(after.filter((m) => m.event === 'event').every((m) => Number(m.id) > end)).toBe(true);

    // A stream writes to the socket itself, past Fastify's reply: once closed, it is still a request the metrics count.
    const streamed = async (): Promise<number> => {
      const text = await monitoring.metrics.registry.getSingleMetricAsString('weft_http_request_duration_ms');
      const line = text.split('\n').find((l) => l.includes('_count') && l.includes('route="/admin/events/stream"'));
      return Number(line?.split(' ').at(-1) ?? 0);
    };
    await expect.poll(streamed).toBe(2);
  });

  it('ends an open stream once its caller signed out: the session that opened it is no longer an admin’s', async () => {
    const { url } = await serve({ accessCheckMs: 50 });
    const login = await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { username: 'admin', password: PASSWORD },
    });
    const token = login.json<{ accessToken: string }>().accessToken;
    const stream = readEventStream(`${url}/admin/events/stream`, token);
    await stream.opened;

    const logout = await app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(logout.statusCode).toBe(200);
    expect((await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);

    // What commits after the sign-out never reaches the signed-out reader: the stream ends instead.
    await app.inject({ method: 'POST', url: '/auth/register', payload: { username: 'eve', password: PASSWORD } });
    await expect(
      stream.until((m) => m.event === 'event' && m.data.envelope?.type === 'auth_user.registered', 3000),
    ).rejects.toThrow('the stream ended');
    stream.close();
  });
});
