import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConflictError, MonitoringManager, TimeoutError, UnavailableError, type HealthCheck } from 'weft/internal';
import { createTestDatabase } from 'weft/testing';
import { buildApp as build, readServeConfig } from '../../src/server/index.js';

/** Log lines the app wrote, parsed. */
const lines: Array<Record<string, unknown>> = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
    done();
  },
});

function buildApp(options: { checks: HealthCheck[] }) {
  const monitoring = new MonitoringManager({ logger: { destination: sink }, processMetrics: false });
  for (const check of options.checks) monitoring.health.register(check);
  return build({ monitoring });
}

describe('HTTP app', () => {
  it('answers /health with 200 and each check while the database answers, 503 once it is down', async () => {
    const db = await createTestDatabase();
    const app = buildApp({ checks: [{ name: 'database', check: () => db.ping() }] });
    const up = await app.inject({ method: 'GET', url: '/health' });
    expect(up.statusCode).toBe(200);
    expect(up.json()).toMatchObject({ status: 'up', checks: { database: { status: 'up' } } });

    await db.close();
    const down = await app.inject({ method: 'GET', url: '/health' });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toEqual({ status: 'down', checks: { database: { status: 'down' } } });
    const detail = await app.inject({ method: 'GET', url: '/health?detail=1' });
    expect(detail.json<{ checks: { database: { error: string } } }>().checks.database.error).toMatch(/.+/);
    await app.close();
  });

  it('counts a check that hangs past its timeout as down', async () => {
    const app = buildApp({ checks: [{ name: 'slow', timeoutMs: 20, check: () => new Promise(() => undefined) }] });
    const res = await app.inject({ method: 'GET', url: '/health?detail=1' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      checks: { slow: { status: 'down', error: 'slow check took longer than 20 ms' } },
    });
    await app.close();
  });

  it('turns a Weft error into a problem document with its status and code, and hides other errors', async () => {
    const app = buildApp({ checks: [] });
    app.get('/taken', () => {
      throw new ConflictError('name "ann" is taken');
    });
    app.get('/broken', () => {
      throw new Error('SQLITE_CORRUPT: secret driver text');
    });
    const taken = await app.inject({ method: 'GET', url: '/taken' });
    expect(taken.statusCode).toBe(409);
    expect(taken.headers['content-type']).toContain('application/problem+json');
    expect(taken.json()).toEqual({
      type: 'urn:weft:error:WEFT_CONFLICT',
      title: 'ConflictError',
      status: 409,
      detail: 'name "ann" is taken',
      code: 'WEFT_CONFLICT',
      instance: '/taken',
    });
    const broken = await app.inject({ method: 'GET', url: '/broken' });
    expect(broken.statusCode).toBe(500);
    expect(broken.body).not.toContain('secret driver text');
    await app.close();
  });

  it('answers a Weft 5xx with its status and code, and keeps where it failed (hosts, files, driver text) in the log', async () => {
    const app = buildApp({ checks: [] });
    const down = 'PostgreSQL at db.internal:5432/game_db as gm_user is unavailable: connect ECONNREFUSED 10.0.0.5:5432';
    const slow =
      'PostgreSQL at db.internal:5432/game_db as gm_user timed out: canceling statement due to statement timeout';
    app.get('/down', () => {
      throw new UnavailableError(down);
    });
    app.get('/slow', () => {
      throw new TimeoutError(slow);
    });
    for (const [url, status, code, message] of [
      ['/down', 503, 'WEFT_UNAVAILABLE', down],
      ['/slow', 504, 'WEFT_TIMEOUT', slow],
    ] as const) {
      const answer = await app.inject({ method: 'GET', url });
      expect(answer.statusCode).toBe(status);
      expect(answer.json()).toMatchObject({ status, code, type: `urn:weft:error:${code}`, instance: url });
      for (const secret of ['db.internal', '10.0.0.5', 'gm_user', 'game_db', 'ECONNREFUSED', 'canceling'])
        expect(answer.body).not.toContain(secret);
      const logged = lines.find(
        (line) => line.msg === 'request failed' && line.reqId === answer.headers['x-request-id'],
      );
      expect(logged?.err).toMatchObject({ message });
    }
    await app.close();
  });
});

describe('operator routes', () => {
  it('answers live always, ready only when no check is down, and reports degraded checks without failing readiness', async () => {
    let lag: 'fine' | 'lagging' | 'stuck' = 'fine';
    const app = buildApp({
      checks: [
        {
          name: 'consumer-lag',
          check: () => {
            if (lag === 'stuck') return Promise.reject(new Error('no progress for 60 s'));
            return Promise.resolve(
              lag === 'lagging' ? { status: 'degraded' as const, detail: '1200 events behind' } : undefined,
            );
          },
        },
      ],
    });
    expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/health/ready' })).statusCode).toBe(200);
    lag = 'lagging';
    const degraded = await app.inject({ url: '/health/ready' });
    expect(degraded.statusCode).toBe(200);
    expect(degraded.json()).toEqual({ status: 'degraded', checks: { 'consumer-lag': { status: 'degraded' } } });
    expect((await app.inject({ url: '/health?detail=1' })).json()).toMatchObject({
      checks: { 'consumer-lag': { status: 'degraded', detail: '1200 events behind' } },
    });
    lag = 'stuck';
    expect((await app.inject({ url: '/health/ready' })).statusCode).toBe(503);
    expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
    await app.close();
  });

  it('lists alert rules with their state, last value and since when at /alerts', async () => {
    const app = buildApp({ checks: [] });
    const res = await app.inject({ url: '/alerts' });
    expect(res.statusCode).toBe(200);
    const rules = res.json<{ rules: Array<Record<string, unknown>> }>().rules;
    expect(rules.map((r) => r.name)).toContain('weft.database_unavailable');
    expect(rules[0]).toMatchObject({ state: 'inactive', severity: 'warning' });
    expect(typeof rules[0]?.since).toBe('string');
    await app.close();
  });

  it('serves /metrics in Prometheus text format with the request durations by route and status', async () => {
    const app = buildApp({ checks: [] });
    await app.inject({ url: '/health/live' });
    const res = await app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const samples = res.body.split('\n').filter((line) => line.startsWith('weft_http_request_duration_ms_count'));
    expect(samples).toContain('weft_http_request_duration_ms_count{method="GET",route="/health/live",status="200"} 1');
    await app.close();
  });

  it("takes the caller's correlation id, echoes it, and logs the request and its failure under it, kept in /logs/recent", async () => {
    const app = buildApp({ checks: [] });
    app.get('/broken', () => {
      throw new Error('the forge is cold');
    });
    lines.length = 0;
    const res = await app.inject({ url: '/broken', headers: { 'x-correlation-id': 'req-42' } });
    expect(res.headers['x-correlation-id']).toBe('req-42');
    const failure = lines.find((line) => line.msg === 'request failed');
    expect(failure).toMatchObject({ correlationId: 'req-42', system: 'http', err: { message: 'the forge is cold' } });
    const recent = (await app.inject({ url: '/logs/recent' })).json<{ lines: Array<Record<string, unknown>> }>().lines;
    expect(recent.at(-1)).toMatchObject({
      level: 'error',
      msg: 'request failed',
      correlationId: 'req-42',
      system: 'http',
      error: 'the forge is cold',
    });
    const generated = await app.inject({ url: '/health/live' });
    expect(generated.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
    await app.close();
  });
});

describe('log levels at run time', () => {
  it("changes a system's level through PUT /logs/levels/:system and refuses an unknown level with 422", async () => {
    const app = buildApp({ checks: [] });
    lines.length = 0;
    app.get('/chatty', (request) => {
      request.log.debug('detail');
      return {};
    });
    await app.inject({ url: '/chatty' });
    expect(lines.some((l) => l.msg === 'detail')).toBe(false);
    const changed = await app.inject({ method: 'PUT', url: '/logs/levels/http', payload: { level: 'debug' } });
    expect(changed.json()).toEqual({ system: 'http', level: 'debug' });
    await app.inject({ url: '/chatty' });
    expect(lines.some((l) => l.msg === 'detail')).toBe(true);
    const refused = await app.inject({ method: 'PUT', url: '/logs/levels/http', payload: { level: 'loud' } });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({
      code: 'WEFT_VALIDATION',
      issues: [{ pathText: '$.level', received: '"loud"' }],
    });
    await app.close();
  });
});

describe('trace context over HTTP', () => {
  it("continues the caller's trace: the answer's traceparent and the log lines carry its trace id", async () => {
    const app = buildApp({ checks: [] });
    app.get('/work', (request) => {
      request.log.info('working');
      return { ok: true };
    });
    lines.length = 0;
    const res = await app.inject({
      url: '/work',
      headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    });
    expect(res.headers.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(res.headers.traceparent).not.toContain('00f067aa0ba902b7');
    expect(lines.find((l) => l.msg === 'working')).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736' });
    const fresh = await app.inject({ url: '/work', headers: { traceparent: 'not-a-traceparent' } });
    expect(fresh.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(fresh.headers.traceparent).not.toContain('4bf92f3577b34da6a3ce929d0e0e4736');
    await app.close();
  });
});

describe('server configuration', () => {
  it('uses the embedded default and port 8080 when nothing is set', () => {
    expect(readServeConfig({})).toEqual({
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: 'sqlite:./data/weft.db',
      logLevel: 'info',
      corsOrigins: [],
      worldTickMs: 60_000,
      subscriptionLeaseMs: 5000,
      idempotencyRetentionHours: 24,
    });
  });

  it('names the setting, the value and what is accepted when a value is wrong', () => {
    expect(() => readServeConfig({ PORT: 'eighty' })).toThrow(
      'Invalid environment: setting PORT: must be an integer from 0 to 65535 (received: "eighty").',
    );
    expect(() => readServeConfig({ PORT: '70000' })).toThrow(/PORT/);
    expect(() => readServeConfig({ WEFT_DATABSE_URL: 'sqlite::memory:' })).toThrow(
      /^Unknown setting WEFT_DATABSE_URL; accepted: WEFT_ADMIN_PASSWORD, WEFT_ADMIN_TOKEN, .*WEFT_DATABASE_URL, .*WEFT_WORLD_TICK_MS\.$/,
    );
    expect(() => readServeConfig({ WEFT_LOG_LEVEL: 'loud' })).toThrow(
      /setting WEFT_LOG_LEVEL: is not a log level \(accepted: one of "fatal" \| "error" \| "warn" \| "info" \| "debug" \| "trace" \| "silent"; received: "loud"\)/,
    );
  });
});

describe('validation failures over HTTP', () => {
  it('answer 422 with every issue and its path in the problem document', async () => {
    const { z } = await import('zod');
    const { ValidationManager } = await import('weft/validation');
    const validation = new ValidationManager();
    validation.registerSchema('crafting.craft_request', z.object({ recipeId: z.string(), count: z.int().min(1) }));
    const app = buildApp({ checks: [] });
    app.post('/craft', (request) => validation.assertValid('crafting.craft_request', request.body));
    const res = await app.inject({ method: 'POST', url: '/craft', payload: { recipeId: 'sword', count: 0 } });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'WEFT_VALIDATION',
      issues: [{ pathText: '$.count', code: 'too_small', expected: 'number >= 1', received: 'number 0' }],
    });
    await app.close();
  });
});
