import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  EventBus,
  EventLog,
  EventLogQueries,
  MemoryTransport,
  Migrator,
  SubscriptionLeaseLostError,
  ValidationManager,
  defineEvent,
  eventMigrations,
  uuidv7,
  type Database,
  type EventEnvelope,
  type EventTables,
  type LoggedEvent,
  type TransportStream,
  type WeftLogger,
} from 'weft/internal';
import type { TestDatabase } from 'weft/testing';
import { SubscriptionLease } from '../../src/integration/events/subscription-lease.js';

const goldMoved = defineEvent({
  type: 'economy.gold_moved',
  version: 1,
  owner: 'economy',
  durable: true,
  schema: z.object({ wallet: z.string(), n: z.int() }),
  partitionKey: (data) => data.wallet,
});

const quiet = { warn: () => undefined, error: () => undefined, info: () => undefined } as unknown as WeftLogger['root'];

const LEASE_MS = 300;

/**
 * Many processes on one database, with the default transport: one process at a time delivers a
 * durable subscription (the holder of its lease), another takes over when the holder dies, and a
 * holder that lost its lease cannot move the cursor. "Processes" here are connections of their own
 * to one database, each with its own transport or bus.
 */
export function subscriptionLeaseContract(name: string, open: () => Promise<TestDatabase<unknown>>): void {
  describe(`subscription leases: ${name}`, () => {
    let db: TestDatabase<unknown>;
    let closing: Array<() => Promise<void>>;

    /** Another process's connection to the same database. */
    const connection = async (): Promise<Database<unknown>> => {
      const again = await db.connectAgain();
      closing.push(() => again.close());
      return again;
    };

    const stream = (on: Database<unknown>, leaseMs = LEASE_MS): TransportStream => {
      const transport = new MemoryTransport({ db: on, pollIntervalMs: 20, leaseMs, logger: quiet });
      const made = transport.subscribe({ name: 'ledger', pattern: '*', startFrom: 'beginning' });
      closing.push(
        () => made.close(),
        () => transport.close(),
      );
      return made;
    };

    const append = async (count: number): Promise<void> => {
      const log = new EventLog(db);
      await db.transaction(async () => {
        for (let n = 0; n < count; n++) {
          const envelope: EventEnvelope = {
            id: uuidv7(),
            type: 'economy.gold_moved',
            version: 1,
            source: 'economy',
            time: new Date().toISOString(),
            partitionKey: 'ann',
            correlationId: uuidv7(),
            causationId: undefined,
            traceparent: undefined,
            data: { wallet: 'ann', n },
          };
          await log.append(envelope);
        }
      });
    };

    const cursor = async (): Promise<number> => {
      const row = await db
        .withTables<{ weft_event_cursors: { subscription: string; seq: number } }>()
        .executor()
        .selectFrom('weft_event_cursors')
        .select('seq')
        .where('subscription', '=', 'ledger')
        .executeTakeFirstOrThrow();
      return Number(row.seq);
    };

    /** The subscription's cursor row, as a stream's start makes it, for tests that drive a lease alone. */
    const cursorRow = () =>
      db
        .withTables<EventTables>()
        .executor()
        .insertInto('weft_event_cursors')
        .values({ subscription: 'ledger', seq: 0, updated_at: new Date().toISOString() })
        .execute();

    /** A lease of its own over `on` (`queries` compiled with `on`'s builder), given up when the test ends. */
    const leaseOver = (on: Database<EventTables>, queries = new EventLogQueries(() => on.executor())) => {
      const made = new SubscriptionLease({ db: on, queries, subscription: 'ledger', leaseMs: LEASE_MS, logger: quiet });
      closing.push(() => made.release());
      return made;
    };

    beforeEach(async () => {
      closing = [];
      db = await open();
      await new Migrator(db).register('events', eventMigrations).up();
    });

    afterEach(async () => {
      for (const close of closing.reverse()) await close().catch(() => undefined);
      await db.close();
    });

    it('lets one process deliver while it holds the lease; another takes over when it dies, from its cursor', async () => {
      await append(10);
      const firstDb = await connection();
      const first = stream(firstDb);
      const second = stream(await connection());
      await Promise.all([first.ready, second.ready]);
      const handed = await first.fetch(4);
      expect(handed.map((event) => event.seq)).toEqual([1, 2, 3, 4]);
      // Held: the other process's stream hands nothing, however often it asks.
      for (let n = 0; n < 5; n++) expect(await second.fetch(4)).toEqual([]);
      await firstDb.transaction(() => first.record(handed));
      await first.ack(handed);
      // The holder dies: its connection goes, so nothing renews its lease; the other waits it out and goes on.
      await firstDb.close();
      const resumed = await fetchOnceHeld(second, 5000);
      expect(resumed.map((event) => event.seq)).toEqual([5, 6, 7, 8, 9]);
      expect(await cursor()).toBe(4);
    });

    it('refuses the cursor move of a holder whose lease ran out, rolling its whole delivery back', async () => {
      await append(6);
      const staleDb = await connection();
      // A lease far longer than the test, so that no renewal of the stalled holder's comes between the lease running
      // out below and the other process's claim (with a short one it renewed first now and then, under load).
      const stale = stream(staleDb, 60_000);
      const takerDb = await connection();
      const taker = stream(takerDb);
      await Promise.all([stale.ready, taker.ready]);
      const handed = await stale.fetch(3);
      expect(handed).toHaveLength(3);
      // The holder stalls (a long pause, a cut network) past its lease; the other process takes over meanwhile.
      await db.withTables<EventTables>().executor().updateTable('weft_event_cursors').set({ lease_until: 0 }).execute();
      const taken = await fetchOnceHeld(taker, 5000);
      expect(taken.map((event) => event.seq)).toEqual([1, 2, 3, 4, 5]);
      const effects = db.withTables<{ effects: { id: string } }>();
      await db
        .executor()
        .schema.createTable('effects')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .execute();
      // The stalled holder wakes and commits what it handled: refused, with its handler's writes.
      await expect(
        staleDb.transaction(async () => {
          await staleDb
            .withTables<{ effects: { id: string } }>()
            .executor()
            .insertInto('effects')
            .values({ id: 'stale' })
            .execute();
          await stale.record(handed);
        }),
      ).rejects.toBeInstanceOf(SubscriptionLeaseLostError);
      expect(await effects.executor().selectFrom('effects').selectAll().execute()).toEqual([]);
      expect(await cursor()).toBe(0);
      // It knows it lost: lanes stop before handling, and its fetches hand nothing while the other holds.
      expect(() => stale.fence()).toThrow(SubscriptionLeaseLostError);
      expect(await stale.fetch(3)).toEqual([]);
      // The new holder moves the cursor; it never moves backwards, even for its own older events.
      await takerDb.transaction(() => taker.record(taken));
      expect(await cursor()).toBe(5);
      await expect(takerDb.transaction(() => taker.record(taken.slice(0, 2)))).rejects.toBeInstanceOf(
        SubscriptionLeaseLostError,
      );
      expect(await cursor()).toBe(5);
    });

    it('hands the subscription over at once when its holder stops cleanly', async () => {
      await append(3);
      // A lease far longer than the test: only the release lets the other process in.
      const first = stream(await connection(), 60_000);
      const second = stream(await connection(), 60_000);
      await Promise.all([first.ready, second.ready]);
      expect(await first.fetch(1)).toHaveLength(1);
      expect(await second.fetch(1)).toEqual([]);
      await first.close();
      // What the first fetched and never acknowledged comes to the second, well before the lease would have run out.
      expect(await fetchOnceHeld(second, 5000)).toHaveLength(3);
    });

    it('tells a holder whether it took the subscription back with nobody holding it in between', async () => {
      const tables = db.withTables<EventTables>();
      await cursorRow();
      const lease = (on: Database<unknown>): SubscriptionLease => leaseOver(on.withTables<EventTables>());
      const claimed = async (holder: SubscriptionLease): Promise<boolean> => {
        for (const until = Date.now() + 5 * LEASE_MS; Date.now() < until; await sleep(10)) {
          if ((await holder.claim()) !== undefined) return true;
        }
        return false;
      };
      // The holder's lease runs out and its renewals are refused (so none revives it), and no claim comes between.
      const runOut = () =>
        tables.executor().updateTable('weft_event_cursors').set({ holder: 'cut off', lease_until: 0 }).execute();
      const a = lease(await connection());
      const b = lease(await connection());
      expect(await claimed(a)).toBe(true);
      expect(a.continued).toBe(false);
      await runOut();
      expect(await claimed(a)).toBe(true);
      expect(a.continued).toBe(true);
      await runOut();
      expect(await claimed(b)).toBe(true);
      expect(b.continued).toBe(false);
      await runOut();
      expect(await claimed(a)).toBe(true);
      expect(a.continued).toBe(false);
    });

    it('keeps a newer claim when a cursor move of the claim before it comes back refused', async () => {
      const tables = db.withTables<EventTables>();
      await cursorRow();
      const on = (await connection()).withTables<EventTables>();
      // The cursor move's answer is held back until the test lets it through: the move ran, its result is in flight.
      let letThrough: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (letThrough = resolve));
      const slowAnswers = {
        ...on,
        executor: () => {
          const executor = on.executor();
          return new Proxy(executor, {
            get: (target, key) => {
              if (key === 'executeQuery')
                return async (query: Parameters<typeof executor.executeQuery>[0]) => {
                  const result = await target.executeQuery(query);
                  await held;
                  return result;
                };
              // Kysely's builders keep private fields: their methods run on the real executor.
              const value: unknown = Reflect.get(target, key, target);
              return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
            },
          });
        },
      } as Database<EventTables>;
      const lease = leaseOver(slowAnswers, new EventLogQueries(() => on.executor()));
      expect(await lease.claim()).toBe(0);
      // Its lease is lost (cut off past it), so the move it starts now finds the row under another claim...
      await tables.executor().updateTable('weft_event_cursors').set({ holder: 'cut off', lease_until: 0 }).execute();
      const move = lease.moveCursor(1);
      // ...and while that answer is on its way, the same process claims the subscription again.
      await sleep(LEASE_MS / 5 + 20);
      expect(await lease.claim()).toBe(0);
      letThrough();
      await expect(move).rejects.toBeInstanceOf(SubscriptionLeaseLostError);
      // The refusal was about the old claim: the new one holds, and moves the cursor.
      expect(lease.held).toBe(true);
      await lease.moveCursor(2);
      expect(await cursor()).toBe(2);
    });

    it('forgets, after a replay in its process, only a claim made before the rewind', async () => {
      const tables = db.withTables<EventTables>();
      await cursorRow();
      const on = (await connection()).withTables<EventTables>();
      const lease = leaseOver(on);
      const epochOf = async () =>
        Number(
          (await tables.executor().selectFrom('weft_event_cursors').select('epoch').executeTakeFirstOrThrow()).epoch,
        );
      const rewind = async (): Promise<number> => {
        await tables.executor().updateTable('weft_event_cursors').set({ holder: null, lease_until: 0 }).execute();
        await tables
          .executor()
          .updateTable('weft_event_cursors')
          .set((eb) => ({ epoch: eb('epoch', '+', 1) }))
          .execute();
        return epochOf();
      };
      expect(await lease.claim()).toBe(0);
      // A rewind, then this process claims again before it is told of the rewind: the new claim is kept.
      const rewoundAt = await rewind();
      await sleep(LEASE_MS / 5 + 20);
      expect(await lease.claim()).toBe(0);
      lease.forget('a replay', rewoundAt);
      expect(lease.held).toBe(true);
      // Told of a rewind after its claim: the claim goes, and the next one comes at once.
      lease.forget('a replay', await rewind());
      expect(lease.held).toBe(false);
      expect(await lease.claim()).toBe(0);
      expect(lease.held).toBe(true);
    });

    it('calls each handler once per event with two processes running one subscription', async () => {
      const calls = new Map<string, number>();
      const buses = await Promise.all(
        [0, 1].map(async () => {
          const bus = new EventBus({
            db: await connection(),
            validation: new ValidationManager(),
            logger: quiet,
            pollIntervalMs: 20,
          }).define(goldMoved);
          closing.push(() => bus.close());
          bus.subscribe('economy.gold_moved', (event) => void calls.set(event.id, (calls.get(event.id) ?? 0) + 1), {
            name: 'ledger',
            startFrom: 'beginning',
          });
          await bus.ready();
          return bus;
        }),
      );
      const published: string[] = [];
      for (let n = 0; n < 300; n++) {
        const bus = buses[n % 2];
        if (bus === undefined) throw new Error('no bus');
        const envelope = await bus.publish('economy.gold_moved', { wallet: `w${n % 7}`, n }, { source: 'economy' });
        published.push(envelope.id);
      }
      for (let tries = 0; tries < 500 && calls.size < published.length; tries++)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(calls.size).toBe(published.length);
      expect([...calls.values()].filter((count) => count !== 1)).toEqual([]);
    });
  });
}

/**
 * Fetches until the stream hands something (it claims the lease on a fetch once the holder's ran out or was given
 * up), for at most `ms`.
 */
async function fetchOnceHeld(on: TransportStream, ms: number): Promise<LoggedEvent[]> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const events = await on.fetch(5);
    if (events.length > 0) return events;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return [];
}
