import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { LoggedEvent } from 'weft/internal';
import { DeliveryEngine, type DeliveryEngineOptions } from '../../src/integration/events/delivery/delivery-engine.js';
import type { TransportStream } from '../../src/integration/events/transport.js';

describe('DeliveryEngine wake-ups', () => {
  // Under load, every commit wakes the engine while a round runs; those wake-ups join the round. One failed round
  // (a database error, or a lease a replay took away twice) was logged once per wake-up that joined it: 50 identical
  // warnings in 2 ms from one round in a QA pass with replays under load.
  it('logs a failed round once, however many wake-ups joined it', async () => {
    let wake: () => void = () => undefined;
    let fail: (error: Error) => void = () => undefined;
    const failing = new Promise<LoggedEvent[]>((_, reject) => (fail = reject));
    const stream: TransportStream = {
      ready: Promise.resolve(),
      onAvailable: (w) => (wake = w),
      fetch: () => failing,
      record: () => Promise.resolve(),
      ack: () => Promise.resolve(),
      fence: () => undefined,
      close: () => Promise.resolve(),
    };
    const logged: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void logged.push(line) });
    const engine = new DeliveryEngine({
      stream,
      subscription: { name: 'probe', pattern: '*', concurrency: 1, batchSize: 1 },
      db: {},
      queries: {},
      metrics: undefined,
      logger,
    } as unknown as DeliveryEngineOptions);
    await engine.ready;
    // The round the ready wake-up started is waiting on its fetch; twenty commits wake the engine meanwhile.
    for (let i = 0; i < 20; i++) wake();
    fail(new Error('the database went away'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(logged.filter((line) => line.includes('durable delivery failed'))).toHaveLength(1);
    await engine.stop();
  });
});
