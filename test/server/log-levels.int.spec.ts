import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MonitoringManager } from 'weft/internal';
import { buildApp } from '../../src/server/index.js';

function build() {
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  const monitoring = new MonitoringManager({ logger: { level: 'info', destination: discard }, processMetrics: false });
  monitoring.logger('crafting');
  return { app: buildApp({ monitoring }), logging: monitoring.logging };
}

describe('PUT /logs/levels/:system', () => {
  it("changes '*', Weft's own parts and registered systems", async () => {
    const { app, logging } = build();
    for (const system of ['*', 'http', 'alerting', 'crafting']) {
      const res = await app.inject({ method: 'PUT', url: `/logs/levels/${system}`, payload: { level: 'warn' } });
      expect(res.statusCode, system).toBe(200);
      expect(res.json()).toEqual({ system, level: 'warn' });
    }
    expect(logging.forSystem('crafting').level).toBe('warn');
    await app.close();
  });

  it('refuses a name that is not snake_case with 422 and an unknown one with 404, and keeps nothing', async () => {
    const { app, logging } = build();
    const known = logging.knownSystems();
    for (const name of ['__proto__', 'toString', '..%2F..%2Fetc%2Fpasswd', 'Crafting', 'a-b', '%20']) {
      const res = await app.inject({ method: 'PUT', url: `/logs/levels/${name}`, payload: { level: 'silent' } });
      expect(res.statusCode, name).toBe(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'WEFT_VALIDATION', issues: [{ pathText: '$.system' }] });
    }
    for (const name of ['constructor', ...Array.from({ length: 500 }, (_, i) => `ghost_${i}`)]) {
      const res = await app.inject({ method: 'PUT', url: `/logs/levels/${name}`, payload: { level: 'silent' } });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'WEFT_NOT_FOUND' });
    }
    expect(logging.knownSystems()).toEqual(known);
    expect(logging.forSystem('http').level).toBe('info');
    await app.close();
  });

  it('answers 400 to a body that is not a JSON object and 422 to one whose level is not a level', async () => {
    const { app, logging } = build();
    const json = { 'content-type': 'application/json' };
    const bad = [
      { headers: json, payload: 'null' },
      { headers: json, payload: '' },
      { headers: json, payload: '{"level":' },
      { headers: json, payload: '["debug"]' },
      { headers: json, payload: '"debug"' },
      { headers: {}, payload: undefined },
    ];
    for (const body of bad) {
      const res = await app.inject({ method: 'PUT', url: '/logs/levels/http', ...body });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    for (const level of ['loud', 10, null, ['debug']]) {
      const res = await app.inject({ method: 'PUT', url: '/logs/levels/http', payload: { level } });
      expect(res.statusCode, JSON.stringify(level)).toBe(422);
      expect(res.json()).toMatchObject({ code: 'WEFT_VALIDATION', issues: [{ pathText: '$.level' }] });
    }
    // Unknown fields are refused, as the game's strict schemas refuse them, and the level stays as it was.
    const extra = await app.inject({
      method: 'PUT',
      url: '/logs/levels/http',
      payload: { level: 'debug', levle: 'trace' },
    });
    expect(extra.statusCode).toBe(422);
    expect(extra.json()).toMatchObject({ code: 'WEFT_VALIDATION', issues: [{ path: ['levle'] }] });
    expect(logging.forSystem('http').level).toBe('info');
    // The API speaks JSON only: a text body is refused before any route sees it.
    const text = await app.inject({
      method: 'PUT',
      url: '/logs/levels/http',
      headers: { 'content-type': 'text/plain' },
      payload: 'debug',
    });
    expect(text.statusCode).toBe(415);
    await app.close();
  });
});
