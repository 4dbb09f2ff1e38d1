import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  EventBus,
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

  it('leaves nothing behind: no subscription, no queue-depth gauge', async () => {
    const metrics = new WeftMetrics();
    const bus = new EventBus({ db, validation: new ValidationManager(), metrics }).define(itemCrafted);
    const handler = () => undefined;
    // No name (a durable subscription's consumer id), then batches in several lanes.
    expect(() => bus.subscribe('crafting.*', handler)).toThrow(ConfigError);
    expect(() => bus.subscribe('crafting.*', handler)).toThrow(/needs a stable name/);
    expect(() =>
      bus.subscribe('crafting.*', handler, { name: 'tally', batch: { maxSize: 10, maxWaitMs: 5 }, concurrency: 2 }),
    ).toThrow(/one batch at a time/);
    expect(bus.wiring().subscriptions).toEqual([]);
    expect(await metrics.text()).not.toMatch(/weft_event_queue_depth\{/);
    await bus.close();
  });
});
