import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { LoggedEvent } from 'weft/internal';
import { DeliveryEngine, type DeliveryEngineOptions } from '../../src/integration/events/delivery/delivery-engine.js';
import type { TransportStream } from '../../src/integration/events/transport.js';

/** A stream with nothing waiting that counts its fetches: what `drain` must do is look again. */
function emptyStream(): TransportStream & { fetches: number } {
  return {
    fetches: 0,
    ready: Promise.resolve(),
    onAvailable: () => undefined,
    fetch(): Promise<LoggedEvent[]> {
      this.fetches++;
      return Promise.resolve([]);
    },
    record: () => Promise.resolve(),
    ack: () => Promise.resolve(),
    fence: () => undefined,
    close: () => Promise.resolve(),
  };
}

/** An engine over `stream`; the database and queries are never reached while the stream hands nothing. */
function engineOver(stream: TransportStream): DeliveryEngine {
  return new DeliveryEngine({
    stream,
    subscription: { name: 'probe', pattern: '*', concurrency: 1, batchSize: 1 },
    db: {},
    queries: {},
    metrics: undefined,
    logger: pino({ level: 'silent' }),
  } as unknown as DeliveryEngineOptions);
}

/** Resolves after `steps` hops of the microtask queue. */
async function after(steps: number): Promise<void> {
  for (let i = 0; i < steps; i++) await Promise.resolve();
}

describe('DeliveryEngine.drain', () => {
  // A test (or a start-up) commits an event, then drains: if that drain joins a round that already made its last
  // fetch, it resolves with the event undelivered (test/game/economy.contract.ts saw it as "has no wallet (yet)").
  it('looks at the stream again for a drain called at any step of a round, its very end included', async () => {
    const missed: number[] = [];
    for (let steps = 0; steps < 24; steps++) {
      const stream = emptyStream();
      const engine = engineOver(stream);
      await engine.ready;
      const round = engine.drain();
      await after(steps);
      const before = stream.fetches;
      await engine.drain();
      if (stream.fetches <= before) missed.push(steps);
      await round;
      await engine.stop();
    }
    expect(missed).toEqual([]);
  });
});
