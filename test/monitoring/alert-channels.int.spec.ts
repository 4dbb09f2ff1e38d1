import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Alerting, WeftMetrics, builtinRules, webhookChannel, type Alert } from 'weft/internal';
import { createTestDatabase } from 'weft/testing';

const quiet = { warn: () => undefined, error: () => undefined, info: () => undefined };

describe('webhook channel against a real HTTP server', () => {
  let server: Server;
  let url: string;
  let answers: Array<number | 'hang'>;
  const bodies: unknown[] = [];

  beforeEach(async () => {
    bodies.length = 0;
    answers = [];
    server = createServer((request: IncomingMessage, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString()));
      request.on('end', () => {
        bodies.push({ contentType: request.headers['content-type'], body: JSON.parse(text) as unknown });
        const answer = answers.shift() ?? 200;
        if (answer === 'hang') return;
        response.writeHead(answer).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('POSTs the alert as JSON, retrying a 500 and a timeout until the server takes it', async () => {
    answers = [500, 'hang', 204];
    const alerting = new Alerting({
      metrics: new WeftMetrics(),
      logger: quiet,
      channels: [webhookChannel({ name: 'ops', url, timeoutMs: 200, backoffMs: 10 })],
    });
    const started = Date.now();
    alerting.alert('weft.database_unavailable', 'The database does not answer', { severity: 'critical' });
    expect(Date.now() - started).toBeLessThan(50); // evaluation never waits for the webhook
    await alerting.flush();
    expect(bodies).toHaveLength(3);
    expect(bodies[2]).toEqual({
      contentType: 'application/json',
      body: expect.objectContaining({
        name: 'weft.database_unavailable',
        state: 'firing',
        severity: 'critical',
        summary: 'The database does not answer',
      }) as Alert,
    });
  });

  it('gives up after its retries, logs and counts the failure', async () => {
    answers = [503, 503, 503];
    const metrics = new WeftMetrics();
    const errors: object[] = [];
    const alerting = new Alerting({
      metrics,
      logger: { ...quiet, error: (o: object) => void errors.push(o) },
      channels: [webhookChannel({ name: 'ops', url, retries: 2, backoffMs: 5 })],
    });
    alerting.alert('x', 'y');
    await alerting.flush();
    expect(bodies).toHaveLength(3);
    expect(errors).toEqual([expect.objectContaining({ channel: 'ops', alert: 'x' })]);
    expect(await metrics.text()).toContain('weft_alert_channel_failures_total{channel="ops"} 1');
  });
});

describe('built-in database rule on a real database', () => {
  it('fires once the database stops answering for its for duration', async () => {
    const db = await createTestDatabase();
    const metrics = new WeftMetrics();
    metrics.watchDatabase(db);
    let now = Date.parse('2026-11-26T10:00:00Z');
    const received: Alert[] = [];
    const alerting = new Alerting({
      metrics,
      logger: quiet,
      clock: { now: () => now },
      channels: [{ name: 'inbox', send: (a) => void received.push(a) }],
    });
    for (const rule of builtinRules()) alerting.addRule(rule);
    await alerting.evaluate();
    expect(alerting.list().find((r) => r.name === 'weft.database_unavailable')).toMatchObject({
      state: 'inactive',
      lastValue: 1,
    });
    await db.close();
    await alerting.evaluate();
    now += 31_000;
    await alerting.evaluate();
    await alerting.flush();
    expect(alerting.list().find((r) => r.name === 'weft.database_unavailable')).toMatchObject({
      state: 'firing',
      lastValue: 0,
    });
    expect(received).toEqual([expect.objectContaining({ name: 'weft.database_unavailable', severity: 'critical' })]);
  });
});
