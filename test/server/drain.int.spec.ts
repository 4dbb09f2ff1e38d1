import { Agent, request } from 'node:http';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MonitoringManager } from 'weft/internal';
import { buildApp, drainConnections } from '../../src/server/index.js';

async function start(options: { idleGraceMs: number; requestGraceMs: number }) {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const app = buildApp({ monitoring: new MonitoringManager({ logger: { destination }, processMetrics: false }) });
  app.get('/slow', () => new Promise((resolve) => setTimeout(() => resolve({ done: true }), 300)));
  app.get('/hang', () => new Promise(() => undefined));
  const drain = drainConnections(app, options);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { app, drain, lines, url: `http://127.0.0.1:${port}` };
}

function get(url: string, agent: Agent): Promise<{ status: number; connection?: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          ...(res.headers.connection === undefined ? {} : { connection: res.headers.connection }),
        }),
      );
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end();
  });
}

describe('draining connections at shutdown', () => {
  it('lets a running request finish, answered with Connection: close, then refuses new connections', async () => {
    const { app, drain, url } = await start({ idleGraceMs: 5000, requestGraceMs: 5000 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const slow = get(`${url}/slow`, agent);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    const closed = drain.close();
    expect(await slow).toEqual({ status: 200, connection: 'close' });
    await closed;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await get(`${url}/health/live`, agent)).toEqual({ error: 'ECONNREFUSED' });
    agent.destroy();
    await app.close();
  });

  it('closes a keep-alive connection that stays idle past the grace, without waiting longer', async () => {
    const { app, drain, url } = await start({ idleGraceMs: 200, requestGraceMs: 5000 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    expect(await get(`${url}/health/live`, agent)).toMatchObject({ status: 200 });
    const started = Date.now();
    await drain.close();
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(2000);
    agent.destroy();
    await app.close();
  });

  it('cuts a request still running past both graces, and logs it', async () => {
    const { app, drain, url, lines } = await start({ idleGraceMs: 50, requestGraceMs: 200 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const hung = get(`${url}/hang`, agent);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await drain.close();
    expect(await hung).toEqual({ error: 'ECONNRESET' });
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 40, connections: 1, msg: 'requests still running after 200 ms: cut' }),
    );
    agent.destroy();
    await app.close();
  });
});
