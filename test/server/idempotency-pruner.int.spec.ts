import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSystem } from 'weft';
import { MonitoringManager } from 'weft/internal';
import { createTestIntegration } from 'weft/testing';
import { startIdempotencyPruner } from '../../src/server/idempotency-pruner.js';

const counter = defineSystem({
  name: 'counter',
  setup(sys) {
    const counts = sys.state.slice('counts', { schema: z.object({ n: z.int() }) });
    sys.command(
      'bump',
      { input: z.object({ id: z.string() }), output: z.object({ n: z.int() }), idempotent: true },
      async ({ id }) => (await counts.upsert(id, (c) => ({ n: (c?.n ?? 0) + 1 }))).value,
    );
  },
});

/**
 * The server forgets idempotency keys past their retention, on its own schedule: a key within it still replays the
 * first answer; one past it is a new request. A failing prune is counted and logged, and the next one runs.
 */
describe('the idempotency pruner of weft serve', () => {
  it('deletes stored answers past the retention and keeps the newer ones', async () => {
    await using weft = await createTestIntegration({ file: true });
    await weft.install(counter);
    const monitoring = new MonitoringManager({ logger: { level: 'silent' }, processMetrics: false });
    await weft.execute('counter.bump', { id: 'a' }, { idempotencyKey: 'old' });
    await sleep(300);
    await weft.execute('counter.bump', { id: 'a' }, { idempotencyKey: 'new' });
    const pruner = startIdempotencyPruner(weft, monitoring, { retentionMs: 200, intervalMs: 60_000 });
    await pruner.stop();

    // Within the retention: replayed, nothing bumped.
    expect(await weft.execute('counter.bump', { id: 'a' }, { idempotencyKey: 'new' })).toEqual({ n: 2 });
    // Past it: forgotten, so the same key runs again.
    expect(await weft.execute('counter.bump', { id: 'a' }, { idempotencyKey: 'old' })).toEqual({ n: 3 });
    const metrics = await monitoring.metrics.registry.metrics();
    expect(metrics).toContain('weft_idempotency_records_pruned_total 1');
    expect(metrics).toContain('weft_idempotency_prunes_total{outcome="ok"} 1');
  });

  it('counts a failed prune, and tries again on the next interval', async () => {
    const monitoring = new MonitoringManager({ logger: { level: 'silent' }, processMetrics: false });
    let calls = 0;
    const records = {
      prune: () => {
        calls++;
        return calls === 1 ? Promise.reject(new Error('database unavailable')) : Promise.resolve(0);
      },
    };
    const pruner = startIdempotencyPruner({ commands: { records } } as never, monitoring, {
      retentionMs: 1000,
      intervalMs: 20,
    });
    await expect.poll(() => calls).toBeGreaterThanOrEqual(2);
    await pruner.stop();
    const metrics = await monitoring.metrics.registry.metrics();
    expect(metrics).toContain('weft_idempotency_prunes_total{outcome="failed"} 1');
    expect(metrics).toMatch(/weft_idempotency_prunes_total\{outcome="ok"\} [1-9]/);
  });
});
