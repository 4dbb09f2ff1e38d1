import { request as httpRequest } from 'node:http';
import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { MonitoringManager, type LoggerOptions } from 'weft/internal';
import { buildApp } from '../../src/server/index.js';

const TOKEN = 'a-long-operator-token-for-the-tests-0123456789';
const OUTSIDE = '203.0.113.7';

function build(adminToken: string | undefined = TOKEN, logger: LoggerOptions = { level: 'silent' }) {
  const monitoring = new MonitoringManager({ logger, processMetrics: false });
  const unused = () => Promise.reject(new Error('these tests read no state entry'));
  const state = {
    getSyncStatus: () => Promise.resolve({ health: 'ok' as const, systems: [] }),
    get: unused,
    history: unused,
    transactionChanges: unused,
    rollbackState: unused,
    rollbackTransaction: unused,
  };
  return buildApp({ monitoring, state, ...(adminToken === undefined ? {} : { adminToken }) });
}

const OPERATOR_ROUTES = [
  { method: 'GET', url: '/alerts' },
  { method: 'GET', url: '/logs/recent' },
  { method: 'GET', url: '/status' },
  { method: 'GET', url: '/health?detail=1' },
  { method: 'PUT', url: '/logs/levels/http', payload: { level: 'debug' } },
] as const;

describe('operator routes', () => {
  it('answer a non-loopback caller without the token with 401 and a problem document', async () => {
    const app = build();
    for (const route of OPERATOR_ROUTES) {
      for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
        const res = await app.inject({
          ...route,
          remoteAddress: OUTSIDE,
          headers: authorization === undefined ? {} : { authorization },
        });
        expect(res.statusCode, `${route.method} ${route.url} with ${String(authorization)}`).toBe(401);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.headers['www-authenticate']).toBe('Bearer realm="weft-operator"');
        expect(res.json()).toMatchObject({ status: 401, code: 'WEFT_UNAUTHORIZED', instance: route.url });
        expect(res.body).not.toContain(TOKEN);
      }
    }
    await app.close();
  });

  it('answer a non-loopback caller with the token, and a loopback one without it', async () => {
    const app = build();
    for (const route of OPERATOR_ROUTES) {
      const outside = await app.inject({
        ...route,
        remoteAddress: OUTSIDE,
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(outside.statusCode, `${route.method} ${route.url}`).toBe(200);
      for (const remoteAddress of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) {
        const local = await app.inject({ ...route, remoteAddress });
        expect(local.statusCode, `${route.method} ${route.url} from ${remoteAddress}`).toBe(200);
      }
    }
    await app.close();
  });

  it('refuse every non-loopback caller when no token is set', async () => {
    const app = build(undefined);
    const res = await app.inject({ url: '/alerts', remoteAddress: OUTSIDE, headers: { authorization: 'Bearer ' } });
    expect(res.statusCode).toBe(401);
    expect((await app.inject({ url: '/alerts', remoteAddress: '127.0.0.1' })).statusCode).toBe(200);
    await app.close();
  });

  it('judge the socket address, not forwarded headers: a forwarded request on loopback needs the token', async () => {
    const app = build();
    for (const headers of [{ 'x-forwarded-for': '127.0.0.1' }, { forwarded: 'for=127.0.0.1' }]) {
      expect((await app.inject({ url: '/alerts', remoteAddress: '127.0.0.1', headers })).statusCode).toBe(401);
      const withToken = await app.inject({
        url: '/alerts',
        remoteAddress: '127.0.0.1',
        headers: { ...headers, authorization: `Bearer ${TOKEN}` },
      });
      expect(withToken.statusCode).toBe(200);
    }
    // A forwarded header never makes an outside caller an operator.
    const spoofed = await app.inject({ url: '/alerts', remoteAddress: OUTSIDE, headers: { 'x-forwarded-for': '::1' } });
    expect(spoofed.statusCode).toBe(401);
    await app.close();
  });

  it('name who changed something in the operator log: the token holder, or this machine', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const app = build(TOKEN, {
      level: 'silent',
      systemLevels: { operator: 'info' },
      destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    const change = { method: 'PUT', url: '/logs/levels/http', payload: { level: 'warn' } } as const;
    await app.inject({ ...change, remoteAddress: OUTSIDE, headers: { authorization: `Bearer ${TOKEN}` } });
    await app.inject({ ...change, remoteAddress: '127.0.0.1' });
    await app.inject({ ...change, remoteAddress: OUTSIDE });
    await app.inject({ url: '/alerts', remoteAddress: '127.0.0.1' });
    expect(lines.map((line) => [line.msg, line.actor, line.statusCode])).toEqual([
      ['operator action', { kind: 'operator', id: 'admin-token', name: 'WEFT_ADMIN_TOKEN' }, 200],
      ['operator action', { kind: 'operator', id: 'loopback', name: 'this machine' }, 200],
      ['operator action refused', undefined, 401],
    ]);
    await app.close();
  });

  it('leave /health, /health/live and /health/ready open to anyone, /metrics to the machine or its token', async () => {
    const app = build();
    for (const url of ['/health', '/health/live', '/health/ready']) {
      expect((await app.inject({ url, remoteAddress: OUTSIDE })).statusCode, url).toBe(200);
    }
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(200);
    const outside = await app.inject({ url: '/metrics', remoteAddress: OUTSIDE });
    expect(outside.statusCode).toBe(401);
    expect(outside.headers['content-type']).toContain('application/problem+json');
    const metricsToken = 'a-long-metrics-token-for-the-tests-0123456789';
    const monitoring = new MonitoringManager({ logger: { level: 'silent' }, processMetrics: false });
    const scraped = buildApp({ monitoring, metricsToken });
    const withToken = await scraped.inject({
      url: '/metrics',
      remoteAddress: OUTSIDE,
      headers: { authorization: `Bearer ${metricsToken}` },
    });
    expect(withToken.statusCode).toBe(200);
    expect(
      (await scraped.inject({ url: '/metrics', remoteAddress: OUTSIDE, headers: { authorization: 'Bearer nope' } }))
        .statusCode,
    ).toBe(401);
    await scraped.close();
    await app.close();
  });
});

/** The first address of this machine that is not loopback, if it has one. */
const external = Object.values(networkInterfaces())
  .flat()
  .find((entry) => entry !== undefined && !entry.internal && entry.family === 'IPv4')?.address;

function get(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('operator routes over a real socket', () => {
  it('trust a loopback connection, and ask a connection to an outside address for the token', async () => {
    const app = build();
    await app.listen({ host: '0.0.0.0', port: 0 });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    expect(await get(`http://127.0.0.1:${port}/alerts`)).toBe(200);
    if (external !== undefined) {
      // Connecting to this machine's own network address: the socket's remote address is not loopback.
      expect(await get(`http://${external}:${port}/alerts`)).toBe(401);
      expect(await get(`http://${external}:${port}/alerts`, { authorization: `Bearer ${TOKEN}` })).toBe(200);
      expect(await get(`http://${external}:${port}/health`)).toBe(200);
    }
    await app.close();
  });
});
