import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  EventBus,
  MemoryTransport,
  Migrator,
  ValidationManager,
  WeftMetrics,
  defineEvent,
  eventMigrations,
} from 'weft/internal';
import { createTestDatabase, type TestDatabase } from 'weft/testing';

const itemCrafted = defineEvent({
  type: 'crafting.item_crafted',
  version: 1,
  owner: 'crafting',
  durable: true,
  schema: z.object({ itemId: z.string() }),
});

describe('a durable subscription refused at subscribe', () => {
  let db: TestDatabase<unknown>;

  beforeEach(async () => {
    db = await createTestDatabase({ file: true });
    await new Migrator(db).register('events', eventMigrations).up();
  });

  afterEach(async () => {
    await db.close();
  });

  it('names what is wrong and leaves nothing behind: no subscription, no queue-depth gauge', async () => {
    const metrics = new WeftMetrics();
    const bus = new EventBus({ db, validation: new ValidationManager(), metrics }).define(itemCrafted);
    const handler = () => undefined;
    // No name (a durable subscription's consumer id), then batches in several lanes.
    expect(() => bus.subscribe('crafting.*', handler)).toThrow(ConfigError);
    expect(() => bus.subscribe('crafting.*', handler)).toThrow(/needs a stable name/);
    expect(() =>
      bus.subscribe('crafting.*', handler, { name: 'tally', batch: { maxSize: 10, maxWaitMs: 5 }, concurrency: 2 }),
    ).toThrow(/one batch at a time/);
    // A misspelt option, or one of the wrong kind, is refused, not ignored (a mistyped startFrom started from now).
    for (const [options, message] of [
      [{ name: 'tally', startFrom: 'begining' }, /startFrom must be 'now' or 'beginning'; received "begining"/],
      [{ name: 'tally', startfrom: 'beginning' }, /Unknown subscribe option "startfrom"/],
      [{ name: 'tally', priority: 'high' }, /priority must be a finite number/],
      [{ name: 'tally', retry: { maxAttempts: -1 } }, /retry.maxAttempts must be an integer >= 1/],
      [{ name: 'tally', retry: { maxDelayMs: Number.NaN } }, /retry.maxDelayMs must be an integer/],
      [{ name: 'tally', once: 'yes' }, /once must be true or false/],
      [{ name: 'tally', filter: 'crafted' }, /filter must be a function/],
      [{ name: '' }, /name must be a non-empty string/],
    ] as const) {
      expect(() => bus.subscribe('crafting.*', handler, options as never)).toThrow(message);
    }
    expect(bus.wiring().subscriptions).toEqual([]);
    expect(await metrics.text()).not.toMatch(/weft_event_queue_depth\{/);
    await bus.close();
  });

  it('refuses a lease or poll interval that is no integer in range, as the environment’s settings are', () => {
    for (const options of [
      { leaseMs: Number.NaN },
      { leaseMs: -1 },
      { pollIntervalMs: 0 },
      { pollIntervalMs: 2 ** 31 },
    ])
      expect(() => new MemoryTransport({ db, ...options })).toThrow(/must be an integer from/);
    expect(() => new EventBus({ db, validation: new ValidationManager(), leaseMs: 1.5 })).toThrow(ConfigError);
  });
});
