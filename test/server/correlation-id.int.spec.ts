import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MonitoringManager } from 'weft/internal';
import { buildApp } from '../../src/server/index.js';

function build() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const app = buildApp({ monitoring: new MonitoringManager({ logger: { destination }, processMetrics: false }) });
  app.get('/work', (request) => {
    request.log.info('working');
    return {};
  });
  const working = () => lines.findLast((line) => line.msg === 'working');
  return { app, working };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('x-correlation-id', () => {
  it('is taken as given when it is 1 to 128 characters of letters, digits and . _ : -', async () => {
    const { app, working } = build();
    for (const id of ['req-42', 'a', 'trace:4bf9.span_01-x', 'Z'.repeat(128)]) {
      const res = await app.inject({ url: '/work', headers: { 'x-correlation-id': id } });
      expect(res.headers['x-correlation-id']).toBe(id);
      expect(working()).toMatchObject({ correlationId: id });
    }
    await app.close();
  });

  it('is replaced by a new one when it is too long, empty or carries other characters', async () => {
    const { app, working } = build();
    const html = `<script>alert(1)</script>${'<p>x</p>'.repeat(2000)}`;
    for (const id of [html, 'Z'.repeat(129), '', 'has space', 'semi;colon', 'new\\nline', 'ünïcode', 'a,b']) {
      const res = await app.inject({ url: '/work', headers: { 'x-correlation-id': id } });
      expect(res.headers['x-correlation-id'], JSON.stringify(id.slice(0, 20))).toMatch(UUID);
      expect(working()?.correlationId).toBe(res.headers['x-correlation-id']);
      expect(JSON.stringify(working())).not.toContain('<script>');
    }
    await app.close();
  });

  it('falls back to the caller’s x-request-id, under the same rules, and prefers x-correlation-id', async () => {
    const { app, working } = build();
    const fromProxy = await app.inject({ url: '/work', headers: { 'x-request-id': 'nginx-7f3a' } });
    expect(fromProxy.headers['x-request-id']).toBe('nginx-7f3a');
    expect(working()).toMatchObject({ correlationId: 'nginx-7f3a' });
    const both = await app.inject({ url: '/work', headers: { 'x-request-id': 'b', 'x-correlation-id': 'a' } });
    expect(both.headers['x-request-id']).toBe('a');
    const unsafe = await app.inject({ url: '/work', headers: { 'x-request-id': '<b>bold</b>' } });
    expect(unsafe.headers['x-request-id']).toMatch(UUID);
    await app.close();
  });

  it('is made time-ordered (UUIDv7) when the caller sends none, so the rows a request writes index it at the end', async () => {
    const { app } = build();
    const made: string[] = [];
    for (let i = 0; i < 20; i++) made.push(String((await app.inject({ url: '/work' })).headers['x-correlation-id']));
    for (const id of made) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...made].sort()).toEqual(made);
    await app.close();
  });
});
