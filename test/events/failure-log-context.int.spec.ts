import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createIntegration, runWithContext } from 'weft';
import { MonitoringManager } from 'weft/internal';

/**
 * A durable handler's failures are logged by the delivery engine, after the handler's own context has ended. The
 * warning of a retry and the error of a dead letter still carry the event's correlation id and the event as cause, so
 * an operator reading `/logs/recent` (or the log) can open the trace of the request that led to the failure.
 */
describe('the log lines of a failing durable handler', () => {
  it('carry the correlation id of the event and the event as causationId, in the log and in /logs/recent', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n'))
          if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const monitoring = new MonitoringManager({ logger: { level: 'info', destination }, processMetrics: false });
    await using weft = await createIntegration({ database: 'sqlite::memory:', monitoring });
    const shop = weft.system('shop');
    const sold = shop.events.define({ name: 'sold', durable: true, schema: z.object({ itemId: z.string() }) });
    shop.events.subscribe('shop.sold', () => Promise.reject(new Error('the till is jammed')), {
      name: 'till',
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
    });
    await weft.events.ready();

    await runWithContext({ correlationId: 'req-sale-1' }, () =>
      weft.transaction(() => shop.events.publish(sold, { itemId: 'sword' })),
    );
    await expect.poll(() => lines.some((line) => line.msg === 'event dead-lettered')).toBe(true);

    const [letter] = await weft.events.deadLetters.list({ subscription: 'shop.till' });
    const retrying = lines.find((line) => line.msg === 'event handler failed; retrying');
    const dead = lines.find((line) => line.msg === 'event dead-lettered');
    for (const line of [retrying, dead]) {
      expect(line).toMatchObject({ correlationId: 'req-sale-1', causationId: letter?.eventId });
    }
    const recent = monitoring.logging.recent().filter((line) => line.system === 'events');
    expect(recent.map((line) => [line.msg, line.correlationId])).toEqual([
      ['event handler failed; retrying', 'req-sale-1'],
      ['event dead-lettered', 'req-sale-1'],
    ]);
  });
});
