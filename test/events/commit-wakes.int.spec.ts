import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  EventBus,
  MemoryTransport,
  Migrator,
  ValidationManager,
  defineEvent,
  eventMigrations,
  type TransportStream,
  type WeftLogger,
} from 'weft/internal';
import { createTestDatabase, type TestDatabase } from 'weft/testing';

// A commit tells the default transport which event types it wrote; a subscription whose pattern takes none of them is
// not woken (each wake reads the log). These tests turn the poll off, so only the commit's wake-up delivers.
const NO_POLL = 3_600_000;

const itemCrafted = defineEvent({
  type: 'crafting.item_crafted',
  version: 1,
  owner: 'crafting',
  durable: true,
  schema: z.object({ itemId: z.string() }),
});
const goldSpent = defineEvent({
  type: 'economy.gold_spent',
  version: 1,
  owner: 'economy',
  durable: true,
  schema: z.object({ gold: z.int() }),
});

const quiet = { warn: () => undefined, error: () => undefined, info: () => undefined } as unknown as WeftLogger['root'];

/** Resolves after the event loop's next turn, when a notice's wake-up has run. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('commit wake-ups of the default transport', () => {
  let db: TestDatabase<unknown>;

  beforeEach(async () => {
    db = await createTestDatabase({ file: true });
    await new Migrator(db).register('events', eventMigrations).up();
  });

  afterEach(async () => {
    await db.close();
  });

  it('wakes only the streams whose pattern takes a committed type, and every stream when the types are not given', async () => {
    const transport = new MemoryTransport({ db, pollIntervalMs: NO_POLL });
    const woken = new Map<string, number>();
    const streams: TransportStream[] = [];
    for (const [name, pattern] of [
      ['crafts', 'crafting.*'],
      ['spending', 'economy.gold_spent'],
      ['everything', '*'],
    ] as const) {
      const stream = transport.subscribe({ name, pattern, startFrom: 'now' });
      stream.onAvailable(() => woken.set(name, (woken.get(name) ?? 0) + 1));
      await stream.ready;
      streams.push(stream);
    }
    try {
      transport.committed(new Set(['economy.gold_spent']));
      await nextTurn();
      expect(Object.fromEntries(woken)).toEqual({ spending: 1, everything: 1 });
      transport.committed(new Set(['crafting.item_crafted', 'quest.accepted']));
      await nextTurn();
      expect(Object.fromEntries(woken)).toEqual({ spending: 1, everything: 2, crafts: 1 });
      // Another process's commits (the poll) come without types.
      transport.committed();
      await nextTurn();
      expect(Object.fromEntries(woken)).toEqual({ spending: 2, everything: 3, crafts: 2 });
    } finally {
      for (const stream of streams) await stream.close();
      await transport.close();
    }
  });

  it('delivers what a transaction published, a rolled-back savepoint and a publish outside a transaction included', async () => {
    const bus = new EventBus({ db, validation: new ValidationManager(), logger: quiet, pollIntervalMs: NO_POLL })
      .define(itemCrafted)
      .define(goldSpent);
    const crafted: string[] = [];
    const spent: number[] = [];
    let expected = 0;
    let allArrived: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => (allArrived = resolve));
    const seen = () => {
      if (crafted.length + spent.length === expected) allArrived();
    };
    bus.subscribe('crafting.*', (e) => void (crafted.push(e.data.itemId), seen()), { name: 'crafts' });
    bus.subscribe('economy.gold_spent', (e) => void (spent.push(e.data.gold), seen()), { name: 'spending' });
    try {
      await bus.ready();
      expected = 3;
      await db.transaction(async () => {
        await bus.publish('economy.gold_spent', { gold: 1 }, { source: 'economy' });
        // The types kept for the wake-up are dropped with this savepoint; the crafted event after it still wakes.
        await db
          .transaction(async () => {
            await bus.publish('crafting.item_crafted', { itemId: 'undone' }, { source: 'crafting' });
            throw new Error('rolled back');
          })
          .catch(() => undefined);
        await bus.publish('crafting.item_crafted', { itemId: 'sword' }, { source: 'crafting' });
      });
      await bus.publish('crafting.item_crafted', { itemId: 'shield' }, { source: 'crafting' });
      await arrived;
      expect(crafted).toEqual(['sword', 'shield']);
      expect(spent).toEqual([1]);
    } finally {
      await bus.close();
    }
  });

  it('lets the deliveries of a publisher that commits one event at a time take several events each', async () => {
    const reads = { count: 0 };
    // Commits without a flush to disk: the test counts deliveries, and the writer's queue must not outlast the wait
    // for it on a slow disk.
    const counted = await db.connectAgain({
      sqlite: { synchronous: 'NORMAL' },
      onQuery: (query) => void (/from "weft_event_log" where "seq" >/.test(query.sql) && reads.count++),
    });
    const bus = new EventBus({
      db: counted,
      validation: new ValidationManager(),
      logger: quiet,
      pollIntervalMs: NO_POLL,
    }).define(itemCrafted);
    const handled: string[] = [];
    let allArrived: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => (allArrived = resolve));
    bus.subscribe(
      'crafting.item_crafted',
      (e) => void (handled.push(e.data.itemId), handled.length === 100 && allArrived()),
      {
        name: 'crafts',
      },
    );
    try {
      await bus.ready();
      reads.count = 0;
      // Each publish is its own transaction, and the next waits for it: the delivery woken by one commit finds the
      // next publish queued for the one writer.
      for (let i = 0; i < 100; i++)
        await bus.publish('crafting.item_crafted', { itemId: `item-${i}` }, { source: 'crafting' });
      await arrived;
      expect(handled).toEqual(Array.from({ length: 100 }, (_, i) => `item-${i}`));
      // One read per delivery (woken on every commit, one event each, it read the log 100 times).
      expect(reads.count).toBeLessThan(50);
    } finally {
      await bus.close();
      await counted.close();
    }
  });

  it('does not hold a delivery back for long while the writer stays busy', async () => {
    const bus = new EventBus({
      db,
      validation: new ValidationManager(),
      logger: quiet,
      pollIntervalMs: NO_POLL,
    }).define(itemCrafted);
    let handledAt: number | undefined;
    bus.subscribe('crafting.item_crafted', () => void (handledAt = performance.now()), { name: 'crafts' });
    await db.transaction((tx) => tx.schema.createTable('busy').addColumn('n', 'integer').execute());
    try {
      await bus.ready();
      await bus.publish('crafting.item_crafted', { itemId: 'sword' }, { source: 'crafting' });
      const committedAt = performance.now();
      // Four writers in a loop for 300 ms: transactions are queued for the writer the whole time.
      let busy = true;
      const writers = Array.from({ length: 4 }, async () => {
        while (busy)
          await db.transaction((tx) =>
            tx
              .insertInto('busy' as never)
              .values({ n: 1 } as never)
              .execute(),
          );
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      busy = false;
      await Promise.all(writers);
      expect(handledAt).toBeDefined();
      expect(handledAt! - committedAt).toBeLessThan(100);
    } finally {
      await bus.close();
    }
  });
});
