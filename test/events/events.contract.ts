import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  EventBus,
  EventLog,
  ForbiddenError,
  MemoryTransport,
  Migrator,
  ValidationError,
  ValidationManager,
  WeftMetrics,
  defineEvent,
  eventMigrations,
  currentContext,
  runWithContext,
  uuidv7,
  type Database,
  type EventEnvelope,
  type Transport,
  type WeftLogger,
} from 'weft/internal';
import type { TestDatabase } from 'weft/testing';

const itemCrafted = defineEvent({
  type: 'crafting.item_crafted',
  version: 1,
  owner: 'crafting',
  durable: true,
  schema: z.object({ itemId: z.string(), playerId: z.string(), count: z.int().min(1) }),
  partitionKey: (data) => data.playerId,
});
const goldSpent = defineEvent({
  type: 'economy.gold_spent',
  version: 1,
  owner: 'economy',
  durable: true,
  schema: z.object({ playerId: z.string(), gold: z.int() }),
});
const worldTick = defineEvent({
  type: 'world_state.tick',
  version: 1,
  owner: 'world_state',
  durable: false,
  schema: z.object({ n: z.int() }),
});

const entryPosted = defineEvent({
  type: 'ledger.entry_posted',
  version: 1,
  owner: 'ledger',
  durable: true,
  schema: z.object({ account: z.string(), amount: z.int() }),
  partitionKey: (data) => data.account,
});
const entryReverted = defineEvent({
  type: 'ledger.entry_reverted',
  version: 1,
  owner: 'ledger',
  durable: true,
  schema: z.object({ account: z.string(), amount: z.int() }),
  partitionKey: (data) => data.account,
});

/** A ledger event as another process sharing the database writes it: straight to the log, with no wake-up here. */
function ledgerEnvelope(type: 'ledger.entry_posted' | 'ledger.entry_reverted', account: string): EventEnvelope {
  return {
    id: uuidv7(),
    type,
    version: 1,
    source: 'ledger',
    time: new Date().toISOString(),
    partitionKey: account,
    correlationId: uuidv7(),
    causationId: undefined,
    traceparent: undefined,
    data: { account, amount: 1 },
  };
}

interface Effects {
  effects: { id: string; event_id: string };
}

const quiet = { warn: () => undefined, error: () => undefined, info: () => undefined } as unknown as WeftLogger['root'];

/**
 * The same behaviour on every database backend, and on every transport: `transport` makes the buses' transport over
 * their database (default: each bus's own MemoryTransport).
 */
export function eventsContract(
  name: string,
  open: () => Promise<TestDatabase<unknown>>,
  transport?: (db: Database<unknown>) => Transport,
): void {
  describe(`events contract: ${name}`, () => {
    let db: TestDatabase<unknown>;
    let buses: Array<{ close(): Promise<void> }>;

    const newBus = () => {
      const bus = new EventBus({
        db,
        validation: new ValidationManager(),
        metrics: new WeftMetrics(),
        logger: quiet,
        retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
        pollIntervalMs: 20,
        ...(transport === undefined ? {} : { transport: transport(db) }),
      })
        .define(itemCrafted)
        .define(goldSpent)
        .define(worldTick);
      buses.push(bus);
      return bus;
    };

    beforeEach(async () => {
      buses = [];
      db = await open();
      await new Migrator(db).register('events', eventMigrations).up();
      await db
        .executor()
        .schema.createTable('effects')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('event_id', 'text')
        .execute();
    });

    afterEach(async () => {
      for (const bus of buses) await bus.close();
      await db.close();
    });

    it('types handlers from the event map', () => {
      const bus = newBus();
      bus.subscribe('world_state.tick', (e) => {
        expectTypeOf(e.data.n).toEqualTypeOf<number>();
      });
      bus.subscribe(
        'crafting.*',
        (e) => {
          expectTypeOf(e.data.itemId).toEqualTypeOf<string>();
        },
        { name: 'typed' },
      );
    });

    it('refuses invalid data and a publisher that does not own the type, storing nothing', async () => {
      const bus = newBus();
      await expect(
        bus.publish('crafting.item_crafted', { itemId: 'sword', playerId: 'ann', count: 0 }, { source: 'crafting' }),
      ).rejects.toBeInstanceOf(ValidationError);
      await expect(
        bus.publish('crafting.item_crafted', { itemId: 'sword', playerId: 'ann', count: 1 }, { source: 'economy' }),
      ).rejects.toBeInstanceOf(ForbiddenError);
      await expect(
        bus.publish('crafting.item_crafted', { itemId: 'sword', playerId: 'ann', count: 1 }),
      ).rejects.toThrow(/unnamed publisher/);
      expect(await bus.log.lastSeq()).toBe(0);
    });

    it('stamps envelopes with a UUIDv7, the context, and the handled event as cause', async () => {
      const bus = newBus();
      const seen: EventEnvelope[] = [];
      bus.subscribe(
        'crafting.item_crafted',
        async (e) => {
          seen.push(e);
          await bus.publish('economy.gold_spent', { playerId: e.data.playerId, gold: 5 }, { source: 'economy' });
        },
        { name: 'economy-charger' },
      );
      bus.subscribe('economy.gold_spent', (e) => void seen.push(e), { name: 'ledger' });
      await bus.ready();
      const crafted = await runWithContext({ correlationId: 'req-1', system: 'crafting' }, () =>
        bus.publish('crafting.item_crafted', { itemId: 'sword', playerId: 'ann', count: 1 }),
      );
      await bus.drain();
      await bus.drain();
      expect(crafted.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(crafted).toMatchObject({
        type: 'crafting.item_crafted',
        version: 1,
        source: 'crafting',
        correlationId: 'req-1',
        partitionKey: 'ann',
      });
      const spent = seen.find((e) => e.type === 'economy.gold_spent');
      expect(spent).toMatchObject({ correlationId: 'req-1', causationId: crafted.id, source: 'economy' });
      const tree = await bus.log.trace('req-1');
      expect(tree).toHaveLength(1);
      expect(tree[0]?.event.id).toBe(crafted.id);
      expect(tree[0]?.caused.map((n) => n.event.type)).toEqual(['economy.gold_spent']);
    });

    it('carries the trace of the publishing context to the envelope and the handlers, and none when there is none', async () => {
      const bus = newBus();
      const traces: Array<string | undefined> = [];
      bus.subscribe('world_state.tick', () => void traces.push(currentContext()?.traceId));
      const traced = await runWithContext(
        { correlationId: 'req-9', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' },
        () => bus.publishAndWait('world_state.tick', { n: 1 }, { source: 'world_state' }),
      );
      expect(traced.traceparent).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
      const untraced = await runWithContext({ correlationId: 'job-1' }, () =>
        bus.publishAndWait('world_state.tick', { n: 2 }, { source: 'world_state' }),
      );
      expect(untraced.traceparent).toBeUndefined();
      expect(traces).toEqual(['4bf92f3577b34da6a3ce929d0e0e4736', undefined]);
    });

    it('delivers volatile events by pattern, filter, priority and once; one failing handler stops no other', async () => {
      const bus = newBus();
      const order: string[] = [];
      bus.subscribe('world_state.tick', () => void order.push('low'), { priority: -1 });
      bus.subscribe('world_state.*', () => void order.push('high'), { priority: 10 });
      bus.subscribe(
        '*',
        () => {
          order.push('throws');
          throw new Error('broken handler');
        },
        { name: 'catch-all' },
      );
      bus.subscribe('world_state.tick', () => void order.push('once'), { once: true });
      bus.subscribe('world_state.tick', (e) => void order.push(`even ${e.data.n}`), {
        filter: (e) => e.data.n % 2 === 0,
      });
      const stop = bus.subscribe('world_state.tick', () => void order.push('stopped'), { name: 'stoppable' });
      await bus.publishAndWait('world_state.tick', { n: 1 }, { source: 'world_state' });
      expect(order[0]).toBe('high');
      expect(order.at(-1)).toBe('low');
      expect(order).toEqual(expect.arrayContaining(['throws', 'once', 'stopped']));
      order.length = 0;
      await stop();
      await bus.publishAndWait('world_state.tick', { n: 2 }, { source: 'world_state' });
      expect(order.sort()).toEqual(['even 2', 'high', 'low', 'throws']);
    });

    it('delivers events of a transaction only after it commits, and none of a rolled-back one', async () => {
      const bus = newBus();
      const got: string[] = [];
      bus.subscribe('world_state.tick', (e) => void got.push(`tick ${e.data.n}`));
      bus.subscribe('crafting.item_crafted', (e) => void got.push(`crafted ${e.data.itemId}`), { name: 'inventory' });
      await bus.ready();
      await expect(
        db.transaction(async () => {
          await bus.publish(
            'crafting.item_crafted',
            { itemId: 'lost', playerId: 'ann', count: 1 },
            { source: 'crafting' },
          );
          await bus.publish('world_state.tick', { n: 0 }, { source: 'world_state' });
          throw new Error('craft failed');
        }),
      ).rejects.toThrow('craft failed');
      await db.transaction(async () => {
        await bus.publish(
          'crafting.item_crafted',
          { itemId: 'sword', playerId: 'ann', count: 1 },
          { source: 'crafting' },
        );
        await bus.publish('world_state.tick', { n: 1 }, { source: 'world_state' });
        await sleep(30);
        expect(got).toEqual([]);
      });
      await bus.drain();
      expect(got.sort()).toEqual(['crafted sword', 'tick 1']);
      const rows = await bus.log.readAfter(0, '*', 10);
      expect(rows.map((r) => (r.envelope.data as { itemId: string }).itemId)).toEqual(['sword']);
    });

    it('resumes a durable subscription from its cursor after a restart, from now or from the beginning', async () => {
      const first = newBus();
      const seen: string[] = [];
      first.subscribe('crafting.item_crafted', (e) => void seen.push(e.data.itemId), { name: 'inventory' });
      await first.ready();
      await first.publish('crafting.item_crafted', { itemId: 'a', playerId: 'ann', count: 1 }, { source: 'crafting' });
      await first.drain();
      await first.close();
      await newBus().publish(
        'crafting.item_crafted',
        { itemId: 'b', playerId: 'ann', count: 1 },
        { source: 'crafting' },
      ); // while the subscriber is down

      const second = newBus();
      second.subscribe('crafting.item_crafted', (e) => void seen.push(e.data.itemId), { name: 'inventory' });
      const late: string[] = [];
      second.subscribe('crafting.*', (e) => void late.push(e.data.itemId), { name: 'newcomer' });
      const all: string[] = [];
      second.subscribe('*', (e) => void all.push(e.type), { name: 'auditor', startFrom: 'beginning' });
      await second.ready();
      await second.publish('crafting.item_crafted', { itemId: 'c', playerId: 'ann', count: 1 }, { source: 'crafting' });
      await second.drain();
      expect(seen).toEqual(['a', 'b', 'c']);
      expect(late).toEqual(['c']);
      expect(all).toEqual(['crafting.item_crafted', 'crafting.item_crafted', 'crafting.item_crafted']);
    });

    it('has no second effect when an event comes again: the inbox remembers it', async () => {
      const bus = newBus();
      const typed = db.withTables<Effects>();
      let calls = 0;
      bus.subscribe(
        'crafting.item_crafted',
        async (e) => {
          calls++;
          await typed
            .executor()
            .insertInto('effects')
            .values({ id: `effect-${e.id}`, event_id: e.id })
            .execute();
        },
        { name: 'effects' },
      );
      await bus.ready();
      await bus.publish(
        'crafting.item_crafted',
        { itemId: 'sword', playerId: 'ann', count: 1 },
        { source: 'crafting' },
      );
      await bus.drain();
      await bus.close();
      // As after a crash between the handler's commit and the cursor's move: the cursor goes back.
      await db
        .withTables<{ weft_event_cursors: { subscription: string; seq: number } }>()
        .executor()
        .updateTable('weft_event_cursors')
        .set({ seq: 0 })
        .where('subscription', '=', 'effects')
        .execute();
      const again = newBus();
      again.subscribe(
        'crafting.item_crafted',
        () => {
          calls++;
        },
        { name: 'effects' },
      );
      await again.ready();
      await again.drain();
      expect(calls).toBe(1);
      expect(await typed.executor().selectFrom('effects').selectAll().execute()).toHaveLength(1);
    });

    it("retries a failing handler, then dead-letters the event with its error and goes on; the handler's writes roll back", async () => {
      const bus = newBus();
      const typed = db.withTables<Effects>();
      let attempts = 0;
      const handled: string[] = [];
      bus.subscribe(
        'crafting.item_crafted',
        async (e) => {
          if (e.data.itemId === 'cursed') {
            attempts++;
            await typed
              .executor()
              .insertInto('effects')
              .values({ id: `try-${attempts}`, event_id: e.id })
              .execute();
            throw new Error('cannot store a cursed item');
          }
          handled.push(e.data.itemId);
        },
        { name: 'inventory' },
      );
      await bus.ready();
      await bus.publish(
        'crafting.item_crafted',
        { itemId: 'cursed', playerId: 'ann', count: 1 },
        { source: 'crafting' },
      );
      await bus.publish(
        'crafting.item_crafted',
        { itemId: 'sword', playerId: 'ann', count: 1 },
        { source: 'crafting' },
      );
      await bus.drain();
      expect(attempts).toBe(3);
      expect(handled).toEqual(['sword']);
      expect(await typed.executor().selectFrom('effects').selectAll().execute()).toEqual([]);
      const dead = await db
        .withTables<{
          weft_dead_letters: {
            subscription: string;
            type: string;
            error: string;
            attempts: number;
            correlation_id: string;
            envelope: string;
          };
        }>()
        .executor()
        .selectFrom('weft_dead_letters')
        .selectAll()
        .execute();
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({ subscription: 'inventory', type: 'crafting.item_crafted', attempts: 3 });
      expect(dead[0]?.error).toContain('cannot store a cursed item');
      expect(JSON.parse(dead[0]?.envelope ?? '{}')).toMatchObject({ data: { itemId: 'cursed' } });
    });

    it('lists dead letters, redrives them once the cause is fixed, and discards others', async () => {
      const bus = newBus();
      let broken = true;
      const handled: string[] = [];
      bus.subscribe(
        'crafting.item_crafted',
        (e) => {
          if (broken) throw new Error(`no room for ${e.data.itemId}`);
          handled.push(e.data.itemId);
        },
        { name: 'inventory' },
      );
      await bus.ready();
      const a = await runWithContext({ correlationId: 'req-a' }, () =>
        bus.publish('crafting.item_crafted', { itemId: 'a', playerId: 'ann', count: 1 }, { source: 'crafting' }),
      );
      await bus.publish('crafting.item_crafted', { itemId: 'b', playerId: 'bob', count: 1 }, { source: 'crafting' });
      await bus.drain();
      const letters = await bus.deadLetters.list({ subscription: 'inventory' });
      expect(letters.map((l) => l.envelope.data)).toEqual([
        expect.objectContaining({ itemId: 'a' }),
        expect.objectContaining({ itemId: 'b' }),
      ]);
      expect(letters[0]).toMatchObject({
        eventId: a.id,
        correlationId: 'req-a',
        attempts: 3,
        type: 'crafting.item_crafted',
      });
      expect(await bus.deadLetters.list({ correlationId: 'req-a' })).toHaveLength(1);

      expect(await bus.deadLetters.redrive([letters[0]!.id])).toEqual([]);
      expect((await bus.deadLetters.list())[0]).toMatchObject({ attempts: 4 });
      broken = false;
      expect(await bus.deadLetters.redrive([letters[0]!.id])).toEqual([letters[0]!.id]);
      expect(handled).toEqual(['a']);
      expect(await bus.deadLetters.discard([letters[1]!.id])).toBe(1);
      expect(await bus.deadLetters.list()).toEqual([]);
      // An id that is not (or no longer) a dead letter is skipped: a second operator's redrive of the same ids does
      // nothing.
      expect(await bus.deadLetters.redrive(['nope'])).toEqual([]);
    });

    it('replays history through a subscription or a handler, marked as a replay, leaving cursors alone', async () => {
      const bus = newBus();
      const live: string[] = [];
      bus.subscribe('crafting.item_crafted', (e) => void live.push(e.data.itemId), { name: 'inventory' });
      await bus.ready();
      for (const itemId of ['a', 'b', 'c'])
        await bus.publish('crafting.item_crafted', { itemId, playerId: 'ann', count: 1 }, { source: 'crafting' });
      await bus.publish('economy.gold_spent', { playerId: 'ann', gold: 3 }, { source: 'economy' });
      await bus.drain();
      const replayed: Array<{ type: string; replay: boolean | undefined }> = [];
      const count = await bus.replay({
        from: 2,
        types: ['crafting.*', 'economy.gold_spent'],
        handler: (e) => void replayed.push({ type: e.type, replay: currentContext()?.replay }),
      });
      expect(count).toBe(3);
      expect(replayed.every((r) => r.replay === true)).toBe(true);
      expect(await bus.replay({ subscription: 'inventory', to: 2 })).toBe(2);
      expect(live).toEqual(['a', 'b', 'c', 'a', 'b']);
    });

    it('hands batch subscribers arrays: volatile by size or wait, durable from what is waiting, each event once', async () => {
      const bus = newBus();
      const volatileBatches: number[][] = [];
      bus.subscribe('world_state.tick', (events) => void volatileBatches.push(events.map((e) => e.data.n)), {
        batch: { maxSize: 3, maxWaitMs: 20 },
      });
      const waits = [1, 2, 3, 4, 5, 6, 7].map((n) =>
        bus.publishAndWait('world_state.tick', { n }, { source: 'world_state' }),
      );
      await Promise.all(waits);
      expect(volatileBatches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);

      for (let count = 1; count <= 5; count++)
        await bus.publish('crafting.item_crafted', { itemId: 'ore', playerId: 'ann', count }, { source: 'crafting' });
      const durableBatches: number[][] = [];
      bus.subscribe(
        'crafting.item_crafted',
        (events) => {
          expectTypeOf(events[0]?.data.itemId).toEqualTypeOf<string | undefined>();
          durableBatches.push(events.map((e) => e.data.count));
        },
        { name: 'analytics', startFrom: 'beginning', batch: { maxSize: 2, maxWaitMs: 0 } },
      );
      await bus.ready();
      await bus.drain();
      expect(durableBatches).toEqual([[1, 2], [3, 4], [5]]);
      const inbox = await db
        .withTables<{ weft_event_inbox: { subscription: string } }>()
        .executor()
        .selectFrom('weft_event_inbox')
        .selectAll()
        .where('subscription', '=', 'analytics')
        .execute();
      expect(inbox).toHaveLength(5);
    });

    it('keeps publish order per partition key while other keys run alongside', async () => {
      const bus = newBus();
      const byKey = new Map<string, number[]>();
      let running = 0;
      let most = 0;
      const tick = defineEvent({
        type: 'world_state.cell_tick',
        version: 1,
        owner: 'world_state',
        durable: false,
        schema: z.object({ cell: z.string(), n: z.int() }),
        partitionKey: (d) => d.cell,
      });
      const typed = bus.define(tick);
      typed.subscribe(
        'world_state.cell_tick',
        async (e) => {
          running++;
          most = Math.max(most, running);
          await sleep(Math.random() * 3);
          byKey.set(e.data.cell, [...(byKey.get(e.data.cell) ?? []), e.data.n]);
          running--;
        },
        { concurrency: 4 },
      );
      const published: Array<Promise<unknown>> = [];
      for (let n = 0; n < 20; n++)
        for (const cell of ['a', 'b', 'c'])
          published.push(typed.publishAndWait('world_state.cell_tick', { cell, n }, { source: 'world_state' }));
      await Promise.all(published);
      for (const cell of ['a', 'b', 'c']) expect(byKey.get(cell)).toEqual([...Array(20).keys()]);
      expect(most).toBeGreaterThan(1);
      expect(most).toBeLessThanOrEqual(3);
    });
    it('delivers durable events per partition key in log order, several keys at once up to concurrency, each once', async () => {
      const bus = newBus();
      const typed = db.withTables<Effects>();
      const byPlayer = new Map<string, number[]>();
      let running = 0;
      let most = 0;
      bus.subscribe(
        'crafting.item_crafted',
        async (e) => {
          running++;
          most = Math.max(most, running);
          // A try can end early (on SQLite, one that waits leaves its commit group and is tried again): count it out.
          try {
            await sleep(Math.random() * 3);
            await typed
              .executor()
              .insertInto('effects')
              .values({ id: `effect-${e.id}`, event_id: e.id })
              .execute();
            byPlayer.set(e.data.playerId, [...(byPlayer.get(e.data.playerId) ?? []), e.data.count]);
          } finally {
            running--;
          }
        },
        { name: 'lanes', concurrency: 3 },
      );
      await bus.ready();
      await db.transaction(async () => {
        for (let count = 1; count <= 15; count++)
          for (const playerId of ['ann', 'bob', 'cid', 'dee'])
            await bus.publish('crafting.item_crafted', { itemId: 'sword', playerId, count }, { source: 'crafting' });
      });
      await bus.drain();
      for (const playerId of ['ann', 'bob', 'cid', 'dee'])
        expect(byPlayer.get(playerId)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      expect(await typed.executor().selectFrom('effects').selectAll().execute()).toHaveLength(60);
      expect(most).toBeLessThanOrEqual(3);
      // SQLite has one writer: handlers that run inside their transactions take turns there.
      if (db.capabilities.concurrentWriters) expect(most).toBeGreaterThan(1);
      expect(() =>
        bus.subscribe('economy.gold_spent', () => undefined, {
          name: 'both',
          concurrency: 2,
          batch: { maxSize: 10, maxWaitMs: 0 },
        }),
      ).toThrow(/concurrency/);
      expect(() => bus.subscribe('economy.gold_spent', () => undefined, { name: 'zero', concurrency: 0 })).toThrow(
        /concurrency/,
      );
    });
    it('counts what waits per durable subscription and per partition-key prefix, and the dead letters, in three statements', async () => {
      const statements: string[] = [];
      let counting = false;
      const watched = await db.connectAgain({ onQuery: (query) => void (counting && statements.push(query.sql)) });
      // No poll during the test: what another process appends waits until drain() fetches it.
      const bus = new EventBus({
        db: watched,
        validation: new ValidationManager(),
        logger: quiet,
        retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
        pollIntervalMs: 3_600_000,
      })
        .define(entryPosted)
        .define(entryReverted)
        .define(itemCrafted);
      try {
        bus.subscribe(
          'ledger.*',
          (e) => {
            if (e.data.amount < 0) throw new Error('the books refuse a negative entry');
          },
          { name: 'books' },
        );
        bus.subscribe('ledger.entry_posted', () => undefined, { name: 'audit' });
        bus.subscribe('crafting.item_crafted', () => undefined, { name: 'crafter' });
        for (const copy of [1, 2, 3, 4]) bus.subscribe('ledger.*', () => undefined, { name: `copy-${copy}` });
        await bus.ready();
        await bus.publish('ledger.entry_posted', { account: 'economy:ann', amount: 5 }, { source: 'ledger' });
        await bus.publish('ledger.entry_posted', { account: 'character.items:bob', amount: -1 }, { source: 'ledger' });
        await bus.publish('ledger.entry_reverted', { account: 'economy:ann', amount: 5 }, { source: 'ledger' });
        await bus.drain();
        // Now books and the copies stand after the reversal, audit (posted entries only) after bob's entry.
        const elsewhere = new EventLog(db);
        await db.transaction(async () => {
          await elsewhere.append(ledgerEnvelope('ledger.entry_posted', 'economy:cid'));
          await elsewhere.append(ledgerEnvelope('ledger.entry_reverted', 'character.items:dee'));
          await elsewhere.append({ ...ledgerEnvelope('ledger.entry_posted', 'x'), type: 'crafting.item_crafted' });
        });
        const query = {
          types: ['ledger.entry_posted', 'ledger.entry_reverted'],
          prefixes: ['economy:', 'character.items:', 'quest:'],
        };

        counting = true;
        const waiting = await bus.backlog(query);
        counting = false;
        expect(waiting).toEqual({
          subscriptions: [
            { subscription: 'books', undelivered: 2 },
            { subscription: 'audit', undelivered: 1 },
            ...[1, 2, 3, 4].map((copy) => ({ subscription: `copy-${copy}`, undelivered: 2 })),
          ],
          prefixes: [
            // Ann's reversal is past audit's cursor, but audit does not take reversals: it waits for no one.
            { prefix: 'economy:', undelivered: 1, deadLetters: 0 },
            { prefix: 'character.items:', undelivered: 1, deadLetters: 1 },
            { prefix: 'quest:', undelivered: 0, deadLetters: 0 },
          ],
        });
        expect(statements).toHaveLength(3);

        await bus.drain();
        statements.length = 0;
        counting = true;
        const drained = await bus.backlog(query);
        counting = false;
        expect(drained.subscriptions.map((s) => s.undelivered)).toEqual([0, 0, 0, 0, 0, 0]);
        expect(drained.prefixes).toEqual([
          { prefix: 'economy:', undelivered: 0, deadLetters: 0 },
          { prefix: 'character.items:', undelivered: 0, deadLetters: 1 },
          { prefix: 'quest:', undelivered: 0, deadLetters: 0 },
        ]);
        expect(statements).toHaveLength(3);
        expect(await bus.backlog({ types: ['world_state.tick'] })).toEqual({ subscriptions: [], prefixes: [] });
      } finally {
        await bus.close();
        await watched.close();
      }
    });

    it('taps durable and volatile events live, in this process right after they commit, at most once, with no name, cursor, inbox or dead letter', async () => {
      const bus = newBus();
      const tapped: string[] = [];
      bus.subscribe(
        '*',
        (e) => void tapped.push(`tap ${e.type === 'crafting.item_crafted' ? e.data.itemId : e.type}`),
        {
          live: true,
        },
      );
      bus.subscribe('crafting.*', (e) => void tapped.push(`first ${e.data.itemId}`), { live: true, priority: 10 });
      bus.subscribe('crafting.item_crafted', (e) => void tapped.push(`once ${e.data.itemId}`), {
        live: true,
        once: true,
      });
      bus.subscribe('crafting.item_crafted', (e) => void tapped.push(`several ${e.data.itemId}`), {
        live: true,
        filter: (e) => e.data.count > 1,
      });
      bus.subscribe(
        'economy.gold_spent',
        () => {
          throw new Error('a broken tap');
        },
        { live: true },
      );
      const durable: string[] = [];
      bus.subscribe('crafting.item_crafted', (e) => void durable.push(e.data.itemId), { name: 'inventory' });
      await bus.ready();
      expect(bus.durableSubscriptionsOf('crafting.item_crafted')).toEqual(['inventory']);

      await expect(
        db.transaction(async () => {
          await bus.publish(
            'crafting.item_crafted',
            { itemId: 'lost', playerId: 'ann', count: 1 },
            { source: 'crafting' },
          );
          throw new Error('craft failed');
        }),
      ).rejects.toThrow('craft failed');
      await db.transaction(async () => {
        await bus.publish(
          'crafting.item_crafted',
          { itemId: 'sword', playerId: 'ann', count: 1 },
          { source: 'crafting' },
        );
        await bus.publish('world_state.tick', { n: 7 }, { source: 'world_state' });
        await bus.publish(
          'crafting.item_crafted',
          { itemId: 'bow', playerId: 'bob', count: 2 },
          { source: 'crafting' },
        );
        expect(tapped).toEqual([]);
      });
      // Once the transaction has committed, before any durable delivery: in publish order, the higher priority first.
      expect(durable).toEqual([]);
      expect(tapped).toEqual([
        'first sword',
        'tap sword',
        'once sword',
        'tap world_state.tick',
        'first bow',
        'tap bow',
        'several bow',
      ]);
      await bus.publish('economy.gold_spent', { playerId: 'ann', gold: 3 }, { source: 'economy' });
      expect(tapped.at(-1)).toBe('tap economy.gold_spent');
      await bus.drain();
      expect(durable).toEqual(['sword', 'bow']);

      // Another process's commit reaches the durable subscription here, never the taps.
      const other = await db.connectAgain();
      const elsewhere = new EventBus({ db: other, validation: new ValidationManager(), logger: quiet }).define(
        itemCrafted,
      );
      await elsewhere.publish(
        'crafting.item_crafted',
        { itemId: 'axe', playerId: 'cid', count: 3 },
        { source: 'crafting' },
      );
      await elsewhere.close();
      await other.close();
      const seen = tapped.length;
      await bus.drain();
      expect(durable).toEqual(['sword', 'bow', 'axe']);
      expect(tapped).toHaveLength(seen);

      // Nothing kept for the taps: no cursor, no inbox row, no dead letter for the broken one.
      const tables = db.withTables<{
        weft_event_cursors: { subscription: string };
        weft_event_inbox: { subscription: string };
      }>();
      const cursors = await tables.executor().selectFrom('weft_event_cursors').select('subscription').execute();
      expect(cursors.map((row) => row.subscription)).toEqual(['inventory']);
      const inbox = await tables.executor().selectFrom('weft_event_inbox').select('subscription').distinct().execute();
      expect(inbox.map((row) => row.subscription)).toEqual(['inventory']);
      expect(await bus.deadLetters.list()).toEqual([]);
      expect(() => bus.subscribe('crafting.*', () => undefined, { live: true, startFrom: 'beginning' })).toThrow(
        /live subscription keeps no cursor.*startFrom/,
      );
    });

    it('delivers durable events through the transport it is given', async () => {
      const inner = new MemoryTransport({ db, pollIntervalMs: 20 });
      const seen = { committed: 0, streams: [] as string[] };
      const transport: Transport = {
        rewindable: true,
        committed: () => {
          seen.committed++;
          inner.committed();
        },
        subscribe: (subscription) => {
          seen.streams.push(subscription.name);
          return inner.subscribe(subscription);
        },
        close: () => inner.close(),
      };
      const bus = new EventBus({ db, validation: new ValidationManager(), logger: quiet, transport }).define(goldSpent);
      buses.push(bus);
      const spent: number[] = [];
      bus.subscribe('economy.gold_spent', (e) => void spent.push(e.data.gold), { name: 'ledger' });
      await bus.ready();
      await db.transaction(async () => {
        await bus.publish('economy.gold_spent', { playerId: 'ann', gold: 5 }, { source: 'economy' });
        await bus.publish('economy.gold_spent', { playerId: 'ann', gold: 7 }, { source: 'economy' });
      });
      await bus.drain();
      expect(spent).toEqual([5, 7]);
      expect(seen.streams).toEqual(['ledger']);
      // One transaction, one cue to the transport.
      expect(seen.committed).toBe(1);
    });
  });
}
