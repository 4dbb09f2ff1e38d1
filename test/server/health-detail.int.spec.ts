import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MonitoringManager } from 'weft/internal';
import { buildApp } from '../../src/server/index.js';

const TARGET = 'PostgreSQL at db.internal:5432/game as ann';
const DRIVER = 'connect ECONNREFUSED 10.1.2.3:5432 (user "ann", database "game")';

function build() {
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  const monitoring = new MonitoringManager({ logger: { destination: discard }, processMetrics: false });
  monitoring.health.register({
    name: 'database',
    target: TARGET,
    check: () => Promise.reject(new Error(DRIVER)),
  });
  monitoring.health.register({
    name: 'consumer_lag',
    check: () => Promise.resolve({ status: 'degraded' as const, detail: 'quest.on_item_crafted 1200 events behind' }),
  });
  return Object.assign(buildApp({ monitoring, adminToken: 'a-long-operator-token-for-the-tests-0123456789' }), {
    monitoring,
  });
}

describe('public health', () => {
  it('says up, degraded or down per check and nothing about where or why', async () => {
    const app = build();
    for (const url of ['/health', '/health/ready', '/health?detail=0']) {
      for (const remoteAddress of ['203.0.113.7', '127.0.0.1']) {
        const res = await app.inject({ url, remoteAddress });
        expect(res.statusCode).toBe(503);
        expect(res.json()).toEqual({
          status: 'down',
          checks: { database: { status: 'down' }, consumer_lag: { status: 'degraded' } },
        });
        for (const secret of ['db.internal', '10.1.2.3', '5432', 'ann', 'game', 'ECONNREFUSED', 'quest', 'stack']) {
          expect(res.body, `${url} from ${remoteAddress}`).not.toContain(secret);
        }
      }
    }
    await app.close();
  });

  it('gives operators the detail: target, error message, degraded detail and durations', async () => {
    const app = build();
    const res = await app.inject({ url: '/health?detail=1', remoteAddress: '127.0.0.1' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      status: 'down',
      checks: {
        database: { status: 'down', target: TARGET, error: DRIVER },
        consumer_lag: { status: 'degraded', detail: 'quest.on_item_crafted 1200 events behind' },
      },
    });
    expect(typeof res.json<{ checks: { database: { durationMs: number } } }>().checks.database.durationMs).toBe(
      'number',
    );
    expect((await app.inject({ url: '/health?detail=1', remoteAddress: '203.0.113.7' })).statusCode).toBe(401);
    await app.close();
  });
});

describe('/logs/recent under a flood of bad requests', () => {
  it('keeps what else went wrong, and holds no line for a refused request', async () => {
    const app = build();
    app.monitoring.logger('database').error({ err: new Error('pool exhausted') }, 'query failed');
    const json = { 'content-type': 'application/json' };
    const outside = '203.0.113.7';
    const bad = [
      { method: 'PUT', url: '/logs/levels/http', headers: json, payload: 'null' },
      { method: 'PUT', url: '/logs/levels/http', headers: json, payload: '{' },
      { method: 'PUT', url: '/logs/levels/http', payload: { level: 'loud' } },
      { method: 'PUT', url: '/logs/levels/ghost', payload: { level: 'debug' } },
      { method: 'GET', url: '/alerts', remoteAddress: outside },
      { method: 'GET', url: '/no/such/route' },
      { method: 'POST', url: '/health', headers: { 'content-type': 'application/xml' }, payload: '<a/>' },
    ] as const;
    for (let i = 0; i < 250; i++) {
      const res = await app.inject(bad[i % bad.length]!);
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
    }
    const recent = (await app.inject({ url: '/logs/recent' })).json<{ lines: Array<Record<string, unknown>> }>();
    expect(recent.lines).toEqual([expect.objectContaining({ system: 'database', msg: 'query failed' })]);
    await app.close();
  });
});
