import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, MonitoringManager, UnavailableError } from 'weft/internal';
import { readServeConfig, startServer } from '../../src/server/index.js';
import { natsAvailableForTests } from './nats-test-server.js';

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const quietMonitoring = (): MonitoringManager =>
  new MonitoringManager({ logger: { level: 'silent' }, processMetrics: false });

describe('WEFT_EVENTS_TRANSPORT', () => {
  it('takes database (the default) or nats://host:port, and refuses anything else naming the setting', () => {
    expect(readServeConfig({}).eventsTransport).toBeUndefined();
    expect(readServeConfig({ WEFT_EVENTS_TRANSPORT: 'database' }).eventsTransport).toBeUndefined();
    expect(readServeConfig({ WEFT_EVENTS_TRANSPORT: 'nats://nats.internal:4222' }).eventsTransport).toBe(
      'nats://nats.internal:4222',
    );
    for (const wrong of ['nats://127.0.0.1', 'http://127.0.0.1:4222', 'nats://127.0.0.1:99999', 'redis']) {
      expect(() => readServeConfig({ WEFT_EVENTS_TRANSPORT: wrong })).toThrow(ConfigError);
      expect(() => readServeConfig({ WEFT_EVENTS_TRANSPORT: wrong })).toThrow(
        /WEFT_EVENTS_TRANSPORT.*nats:\/\/host:port/,
      );
    }
  });
});

describe.runIf(await natsAvailableForTests())('weft serve on NATS', () => {
  let folder: string;
  let nats: ChildProcess | undefined;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'weft-nats-serve-'));
  });

  afterAll(async () => {
    nats?.kill();
    await rm(folder, { recursive: true, force: true });
  });

  const configFor = (url: string, name: string) =>
    readServeConfig({
      PORT: '0',
      WEFT_DATABASE_URL: `sqlite:${join(folder, `${name}.db`)}`,
      WEFT_LOG_LEVEL: 'silent',
      WEFT_ADMIN_PASSWORD: 'admin-password-of-the-tests',
      WEFT_WORLD_TICK_MS: 'off',
      WEFT_EVENTS_TRANSPORT: url,
    });

  it('stops the start with one UnavailableError when NATS does not answer', async () => {
    const url = `nats://127.0.0.1:${await freePort()}`;
    const start = startServer(configFor(url, 'unreachable'), quietMonitoring());
    await expect(start).rejects.toBeInstanceOf(UnavailableError);
    await expect(start).rejects.toThrow(`NATS at ${url} is unreachable (WEFT_EVENTS_TRANSPORT)`);
  });

  it('is ready while its NATS server answers, and not ready once it is gone', { timeout: 60_000 }, async () => {
    // A NATS server of this test's own, so stopping it disturbs no other test.
    const port = await freePort();
    nats = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(folder, 'js')], {
      stdio: 'ignore',
    });
    const server = await vi.waitFor(
      () => startServer(configFor(`nats://127.0.0.1:${port}`, 'ready'), quietMonitoring()),
      {
        timeout: 20_000,
        interval: 100,
      },
    );
    try {
      const ready = async (): Promise<number> => (await fetch(`${server.url}/health/ready`)).status;
      expect(await ready()).toBe(200);
      // The start's own durable events (the first admin's account) went through the relay to the stream.
      const nc = await connect({ servers: `nats://127.0.0.1:${port}` });
      try {
        const relayed = async () => (await (await jetstreamManager(nc)).streams.info('WEFT_EVENTS')).state.messages;
        await vi.waitFor(async () => expect(await relayed()).toBeGreaterThan(0), { timeout: 10_000, interval: 20 });
      } finally {
        await nc.close();
      }
      nats.kill();
      await vi.waitFor(async () => expect(await ready()).toBe(503), { timeout: 20_000, interval: 50 });
    } finally {
      await server.close();
    }
  });
});
