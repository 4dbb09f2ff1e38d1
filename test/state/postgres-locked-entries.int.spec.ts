import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  EventBus,
  Migrator,
  StateStore,
  ValidationManager,
  createDatabase,
  eventMigrations,
  stateMigrations,
  type Database,
} from 'weft/internal';
import { dropSchema, postgresAvailableForTests, postgresTestUrl } from 'weft/testing';
import { RoundTripCounter } from '../database/round-trip-counter.js';

const Wallet = z.object({ gold: z.int() });
type Wallet = z.infer<typeof Wallet>;

/**
 * On PostgreSQL a transaction keeps the entries it holds locked (read for update, or written): nothing else can change
 * them before it ends, so reading one again costs no statement, and a write of one cannot fail its version check and
 * goes with the transaction's next statement instead of a round trip of its own.
 */
describe.runIf(process.env.CI === 'true' || (await postgresAvailableForTests()))(
  'PostgreSQL: entries a transaction holds locked',
  () => {
    let counter: RoundTripCounter;
    let schema: string;
    let db: Database;
    let events: EventBus;
    let state: StateStore;

    /** A database on `url` (the counting proxy's, or the server's own) with the state and events parts set up. */
    async function open(url: string, connections: number) {
      const opened = await createDatabase({ url, postgres: { schema, pool: { max: connections } } });
      const validation = new ValidationManager();
      const bus = new EventBus({ db: opened, validation });
      const store = new StateStore({ db: opened, validation, events: bus });
      store.registerStateSync('economy', { schema: Wallet });
      return { db: opened, events: bus, state: store };
    }

    beforeEach(async () => {
      schema = `weft_test_${randomBytes(6).toString('hex')}`;
      const started = await RoundTripCounter.start(new URL(postgresTestUrl()));
      counter = started.counter;
      const url = new URL(postgresTestUrl());
      url.hostname = '127.0.0.1';
      url.port = String(started.port);
      // One connection: every transaction meets the statements the first one prepared.
      ({ db, events, state } = await open(url.toString(), 1));
      await new Migrator(db).register('events', eventMigrations).register('state', stateMigrations).up();
      await state.set('economy', 'ann', { gold: 5 });
      await state.set('economy', 'bob', { gold: 5 });
    });

    afterEach(async () => {
      await events.close();
      await db.close();
      await counter.close();
      await dropSchema(schema);
    });

    const move = (from: string, to: string, gold: number) =>
      state.transaction(async (tx) => {
        await tx.update<Wallet>('economy', from, (w) => ({ gold: (w?.gold ?? 0) - gold }));
        await tx.update<Wallet>('economy', to, (w) => ({ gold: (w?.gold ?? 0) + gold }));
      });

    const roundTrips = (work: () => Promise<unknown>) => counter.roundTripsOf(work);

    it('writes two entries it read for update in three round trips, and reads them back from what it holds', async () => {
      // The first transfer prepares the statements on the connection.
      await move('ann', 'bob', 1);
      const trips = await roundTrips(() =>
        state.transaction(async (tx) => {
          await tx.update<Wallet>('economy', 'ann', (w) => ({ gold: (w?.gold ?? 0) - 1 }));
          await tx.update<Wallet>('economy', 'bob', (w) => ({ gold: (w?.gold ?? 0) + 1 }));
          // Held locked by this transaction: read without a statement, with its own writes.
          expect(await tx.get<Wallet>('economy', 'ann')).toMatchObject({ value: { gold: 3 }, version: 3 });
          expect(await tx.get<Wallet>('economy', 'bob')).toMatchObject({ value: { gold: 7 }, version: 3 });
        }),
      );
      // BEGIN with ann's read; bob's read with ann's write; COMMIT with bob's write and the change events.
      expect(trips).toBe(3);
      expect(await state.get('economy', 'ann')).toMatchObject({ value: { gold: 3 }, version: 3 });
      expect(await state.get('economy', 'bob')).toMatchObject({ value: { gold: 7 }, version: 3 });
      expect((await state.history('economy', 'ann')).map((h) => h.version)).toEqual([1, 2, 3]);
      expect((await state.history('economy', 'bob')).map((h) => h.version)).toEqual([1, 2, 3]);
    });

    it('holds two entries in one statement: read, two writes and the COMMIT are two round trips', async () => {
      const transfer = () =>
        state.transaction(async (tx) => {
          await tx.hold('economy', ['bob', 'ann']);
          await tx.update<Wallet>('economy', 'ann', (w) => ({ gold: (w?.gold ?? 0) - 1 }));
          await tx.update<Wallet>('economy', 'bob', (w) => ({ gold: (w?.gold ?? 0) + 1 }));
        });
      await transfer();
      // BEGIN with the read of both; COMMIT with both writes and the change events.
      expect(await roundTrips(transfer)).toBe(2);
      expect(await state.get('economy', 'ann')).toMatchObject({ value: { gold: 3 }, version: 3 });
      expect(await state.get('economy', 'bob')).toMatchObject({ value: { gold: 7 }, version: 3 });
    });

    it('fails the whole transaction when a write sent with a later statement fails, and writes nothing', async () => {
      await sql`alter table weft_state_entries add constraint no_666 check (value not like '%666%')`.execute(
        db.executor(),
      );
      const changed = await db.executor().selectFrom('weft_event_log').select('seq').execute();
      await expect(
        state.transaction(async (tx) => {
          await tx.update<Wallet>('economy', 'ann', () => ({ gold: 666 }));
          await tx.update<Wallet>('economy', 'bob', (w) => ({ gold: (w?.gold ?? 0) + 1 }));
        }),
      ).rejects.toMatchObject({ code: expect.stringMatching(/^WEFT_/) as unknown });
      expect(await state.get('economy', 'ann')).toMatchObject({ value: { gold: 5 }, version: 1 });
      expect(await state.get('economy', 'bob')).toMatchObject({ value: { gold: 5 }, version: 1 });
      expect(await state.history('economy', 'ann')).toHaveLength(1);
      expect(await db.executor().selectFrom('weft_event_log').select('seq').execute()).toEqual(changed);
      // The connection is fine afterwards.
      await move('ann', 'bob', 2);
      expect(await state.get('economy', 'ann')).toMatchObject({ value: { gold: 3 }, version: 2 });
    });

    it('reads again an entry after a savepoint that wrote it rolled back', async () => {
      await state.transaction(async (tx) => {
        await tx.update<Wallet>('economy', 'ann', (w) => ({ gold: (w?.gold ?? 0) + 1 }));
        await expect(
          db.transaction(async () => {
            await tx.update<Wallet>('economy', 'ann', (w) => ({ gold: (w?.gold ?? 0) + 100 }));
            throw new Error('undone');
          }),
        ).rejects.toThrow('undone');
        expect(await tx.get<Wallet>('economy', 'ann')).toMatchObject({ value: { gold: 6 }, version: 2 });
        await tx.update<Wallet>('economy', 'ann', (w) => ({ gold: (w?.gold ?? 0) + 1 }));
      });
      expect(await state.get('economy', 'ann')).toMatchObject({ value: { gold: 7 }, version: 3 });
      expect((await state.history('economy', 'ann')).map((h) => h.version)).toEqual([1, 2, 3]);
    });

    it('keeps the sum and every version under 200 transfers both ways on eight connections', async () => {
      const direct = await open(postgresTestUrl(), 8);
      try {
        await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            direct.state.transaction(async (tx) => {
              // Each in one order of locks (by key), as a caller that avoids deadlocks does; every third holds both
              // first, in that same order.
              const [from, to] = i % 2 === 0 ? ['ann', 'bob'] : ['bob', 'ann'];
              if (i % 3 === 0) await tx.hold('economy', [to, from]);
              const first = from < to ? from : to;
              const second = first === from ? to : from;
              await tx.update<Wallet>('economy', first, (w) => ({ gold: (w?.gold ?? 0) + (first === from ? -1 : 1) }));
              await tx.update<Wallet>('economy', second, (w) => ({
                gold: (w?.gold ?? 0) + (second === from ? -1 : 1),
              }));
            }),
          ),
        );
      } finally {
        await direct.events.close();
        await direct.db.close();
      }
      const ann = await state.get<Wallet>('economy', 'ann');
      const bob = await state.get<Wallet>('economy', 'bob');
      expect((ann?.value.gold ?? 0) + (bob?.value.gold ?? 0)).toBe(10);
      expect([ann?.version, bob?.version]).toEqual([201, 201]);
      expect((await state.history('economy', 'ann')).map((h) => h.version)).toEqual(
        Array.from({ length: 201 }, (_, i) => i + 1),
      );
    });
  },
);
