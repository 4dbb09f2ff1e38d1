import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import helmet from 'helmet';
import { describe, expect, it } from 'vitest';
import { MonitoringManager } from 'weft/internal';
import { buildApp } from '../../src/server/index.js';

/** What helmet's default middleware sets on a real response: the app must send the same on every answer. */
function helmetOnRealResponse(): Record<string, string> {
  const response = new ServerResponse(new IncomingMessage(new Socket()));
  helmet()(response.req, response, () => undefined);
  return Object.fromEntries(Object.entries(response.getHeaders()).map(([name, value]) => [name, String(value)]));
}

describe('security headers', () => {
  it("sends helmet's default headers, with helmet's values, on answers, refusals and errors", async () => {
    const expected = helmetOnRealResponse();
    expect(Object.keys(expected).length).toBeGreaterThanOrEqual(10);
    expect(expected['content-security-policy']).toContain("default-src 'self'");
    const monitoring = new MonitoringManager({ logger: { level: 'silent' }, processMetrics: false });
    monitoring.health.register({ name: 'broken', check: () => Promise.reject(new Error('down')) });
    const app = buildApp({ monitoring });
    try {
      const answers = await Promise.all([
        app.inject({ method: 'GET', url: '/health' }),
        app.inject({ method: 'GET', url: '/no/such/route' }),
        app.inject({ method: 'DELETE', url: '/health' }),
        app.inject({ method: 'GET', url: '/metrics' }),
      ]);
      expect(answers.map((answer) => answer.statusCode)).toEqual([503, 404, 405, 200]);
      for (const answer of answers) {
        for (const [name, value] of Object.entries(expected)) expect(answer.headers[name], name).toBe(value);
        expect(answer.headers['x-powered-by']).toBeUndefined();
      }
    } finally {
      await app.close();
    }
  });
});
