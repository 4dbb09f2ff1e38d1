import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConflictError } from 'weft';
import { createTestDatabase } from 'weft/testing';
import { buildApp, readServeConfig } from '../../src/server/index.js';

const logger = pino({ level: 'silent' });

describe('HTTP app', () => {
  it('answers /health with 200 and each check while the database answers, 503 once it is down', async () => {
    const db = await createTestDatabase();
    const app = buildApp({ logger, checks: [{ name: 'database', check: () => db.ping() }] });
    const up = await app.inject({ method: 'GET', url: '/health' });
    expect(up.statusCode).toBe(200);
    expect(up.json()).toMatchObject({ status: 'up', checks: { database: { status: 'up' } } });

    await db.close();
    const down = await app.inject({ method: 'GET', url: '/health' });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ status: 'down', checks: { database: { status: 'down' } } });
    expect(down.json<{ checks: { database: { error: string } } }>().checks.database.error).toMatch(/.+/);
    await app.close();
  });

  it('counts a check that hangs past its timeout as down', async () => {
    const app = buildApp({ logger, checks: [{ name: 'slow', timeoutMs: 20, check: () => new Promise(() => undefined) }] });
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ checks: { slow: { status: 'down', error: 'slow check took longer than 20 ms' } } });
    await app.close();
  });

  it('turns a Weft error into a problem document with its status and code, and hides other errors', async () => {
    const app = buildApp({ logger, checks: [] });
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
});

describe('server configuration', () => {
  it('uses the embedded default and port 8080 when nothing is set', () => {
    expect(readServeConfig({})).toEqual({ port: 8080, host: '127.0.0.1', databaseUrl: 'sqlite:./data/weft.db', logLevel: 'info' });
  });

  it('names the setting, the value and what is accepted when a value is wrong', () => {
    expect(() => readServeConfig({ PORT: 'eighty' })).toThrow('Invalid environment: setting PORT: must be an integer from 0 to 65535 (received: "eighty").');
    expect(() => readServeConfig({ PORT: '70000' })).toThrow(/PORT/);
    expect(() => readServeConfig({ WEFT_DATABSE_URL: 'sqlite::memory:' })).toThrow(
      'Unknown setting WEFT_DATABSE_URL; accepted: WEFT_DATABASE_URL, WEFT_LOG_LEVEL, WEFT_TEST_POSTGRES_URL.',
    );
    expect(() => readServeConfig({ WEFT_LOG_LEVEL: 'loud' })).toThrow(/setting WEFT_LOG_LEVEL: is not a log level \(accepted: one of "fatal" \| "error" \| "warn" \| "info" \| "debug" \| "trace" \| "silent"; received: "loud"\)/);
  });
});

describe('validation failures over HTTP', () => {
  it('answer 422 with every issue and its path in the problem document', async () => {
    const { z } = await import('zod');
    const { ValidationManager } = await import('weft/validation');
    const validation = new ValidationManager();
    validation.registerSchema('crafting.craft_request', z.object({ recipeId: z.string(), count: z.int().min(1) }));
    const app = buildApp({ logger, checks: [] });
    app.post('/craft', (request) => validation.assertValid('crafting.craft_request', request.body));
    const res = await app.inject({ method: 'POST', url: '/craft', payload: { recipeId: 'sword', count: 0 } });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'WEFT_VALIDATION', issues: [{ pathText: '$.count', code: 'too_small', expected: 'number >= 1', received: 'number 0' }] });
    await app.close();
  });
});
