import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MonitoringManager } from 'weft/internal';
import { createTestIntegration, postgresAvailableForTests } from 'weft/testing';
import { gameSystems } from '../../src/game/index.js';
import { readServeConfig, startServer } from '../../src/server/index.js';
import { startWorldTicker } from '../../src/server/world-ticker.js';

/** Resolves once `check` answers true, asking again after each turn of the event loop's timers. */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** A monitoring manager whose log records land in `lines`. */
function capturing(): { monitoring: MonitoringManager; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { monitoring: new MonitoringManager({ logger: { destination }, processMetrics: false }), lines };
}

/** The value of `weft_world_ticks_total{outcome}` as /metrics shows it (0 before the first). */
async function ticksCounted(monitoring: MonitoringManager, outcome: 'ok' | 'failed'): Promise<number> {
  const line = (await monitoring.metrics.text())
    .split('\n')
    .find((l) => l.startsWith(`weft_world_ticks_total{outcome="${outcome}"}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

const postgres = await postgresAvailableForTests();

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe.runIf(dialect === 'sqlite' || postgres)(`the world ticker on ${dialect}`, () => {
    it('advances the world clock through world_state.tick and counts each tick', async () => {
      const { monitoring } = capturing();
      await using weft = await createTestIntegration({ dialect, file: true, monitoring });
      await weft.install(...gameSystems());
      const ticker = startWorldTicker(weft, monitoring, 100);
      await until(async () => (await weft.execute('world_state.world', {})).clock.tick >= 3);
      await ticker.stop();
      const { clock } = await weft.execute('world_state.world', {});
      expect(clock.at).not.toBeNull();
      expect(await ticksCounted(monitoring, 'ok')).toBe(clock.tick);
      expect(await ticksCounted(monitoring, 'failed')).toBe(0);
      // The admin route's command continues the same clock.
      expect(await weft.execute('world_state.tick', {})).toMatchObject({ tick: clock.tick + 1 });
    });
  });
}

describe('a failing world tick', () => {
  it('is logged and counted, and the ticker keeps trying rather than crashing', async () => {
    const { monitoring, lines } = capturing();
    // No game installed: world_state.tick is an unknown command, so every tick fails.
    await using weft = await createTestIntegration({ monitoring });
    const ticker = startWorldTicker(weft, monitoring, 100);
    await until(async () => (await ticksCounted(monitoring, 'failed')) >= 2);
    await ticker.stop();
    const failures = lines.filter((line) => line.msg === 'world tick failed; the next one runs on schedule');
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures[0]).toMatchObject({ system: 'world_state' });
    expect((failures[0]?.err as { message?: string } | undefined)?.message).toContain('world_state.tick');
    expect(await ticksCounted(monitoring, 'ok')).toBe(0);
  });
});

describe('weft serve with WEFT_WORLD_TICK_MS', () => {
  let folder: string;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'weft-tick-'));
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('ticks the world on its own: GET /world shows the clock moving', { timeout: 30_000 }, async () => {
    const config = readServeConfig({
      PORT: '0',
      WEFT_DATABASE_URL: `sqlite:${join(folder, 'weft.db')}`,
      WEFT_LOG_LEVEL: 'silent',
      WEFT_ADMIN_PASSWORD: 'admin-password-of-the-tests',
      WEFT_WORLD_TICK_MS: '100',
    });
    const { monitoring } = capturing();
    const server = await startServer(config, monitoring);
    const clockOf = async (): Promise<{ tick: number; at: string | null }> => {
      const response = await fetch(`${server.url}/world`);
      expect(response.status).toBe(200);
      return ((await response.json()) as { clock: { tick: number; at: string | null } }).clock;
    };
    try {
      const first = await clockOf();
      await until(async () => (await clockOf()).tick >= first.tick + 2);
      expect((await clockOf()).at).not.toBeNull();
    } finally {
      await server.close();
    }
    expect(await ticksCounted(monitoring, 'failed')).toBe(0);
    expect(await ticksCounted(monitoring, 'ok')).toBeGreaterThanOrEqual(2);
  });
});
