import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  ConflictError,
  EventBus,
  MemoryTransport,
  Migrator,
  NotFoundError,
  ValidationManager,
  defineEvent,
  eventMigrations,
  type Database,
  type EventTables,
  type Transport,
  type WeftLogger,
} from 'weft/internal';
import type { TestDatabase } from 'weft/testing';

const itemCrafted = defineEvent({
  type: 'crafting.item_crafted',
  version: 1,
  owner: 'crafting',
  durable: true,
  schema: z.object({ itemId: z.string(), n: z.int() }),
});

const worldTick = defineEvent({
  type: 'world_state.tick',
  version: 1,
  owner: 'world_state',
  durable: false,
  schema: z.object({ n: z.int() }),
});

const quiet = { warn: () => undefined, error: () => undefined, info: () => undefined } as unknown as WeftLogger['root'];

/** A tally of the crafted items without a key: an event counted twice is two rows. */
interface Tallied {
  tallied: { n: number };
}

interface Projection {
  /** One row per event the projection counted: a second count of one event breaks the key. */
  projected: { event_id: string; n: number };
}

/**
 * Replaying a durable subscription from the start (`bus.rebuild`) on every database and transport: its reset clears
 * what it built, every event comes through it again exactly once, and a delivery in flight in another process is
 * fenced. `transportFor` makes each process's transport (none: the bus's own, over the event log).
 */
export function subscriptionRebuildContract(
  name: string,
  open: () => Promise<TestDatabase<unknown>>,
  transportFor?: (db: Database<unknown>) => Transport,
): void {
  describe(`subscription rebuild: ${name}`, () => {
    let db: TestDatabase<unknown>;
    let closing: Array<() => Promise<void>>;

    /** A bus of its own over `on` (another process's connection, or the test's). */
    const busOn = (on: Database<unknown>, transport: Transport | undefined = transportFor?.(on)) => {
      const bus = new EventBus({
        db: on,
        validation: new ValidationManager(),
        logger: quiet,
        pollIntervalMs: 20,
        leaseMs: 1000,
        retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
        ...(transport === undefined ? {} : { transport }),
      })
        .define(itemCrafted)
        .define(worldTick);
      closing.push(() => bus.close());
      return bus;
    };

    /** A projection of the crafted items: a row per event, cleared by its reset. */
    const project = (
      bus: ReturnType<typeof busOn>,
      on: Database<unknown>,
      options: { readonly before?: (n: number) => Promise<void> | void; readonly reset?: boolean } = {},
    ) => {
      const rows = on.withTables<Projection>();
      let calls = 0;
      bus.subscribe(
        'crafting.item_crafted',
        async (event) => {
          calls++;
          await options.before?.(event.data.n);
          await rows.executor().insertInto('projected').values({ event_id: event.id, n: event.data.n }).execute();
        },
        {
          name: 'projection',
          startFrom: 'beginning',
          ...(options.reset === false
            ? {}
            : {
                reset: () =>
                  rows
                    .executor()
                    .deleteFrom('projected')
                    .execute()
                    .then(() => undefined),
              }),
        },
      );
      return { calls: () => calls };
    };

    const publish = async (bus: ReturnType<typeof busOn>, from: number, count: number): Promise<void> => {
      for (let n = from; n < from + count; n++)
        await bus.publish('crafting.item_crafted', { itemId: `item-${n}`, n }, { source: 'crafting' });
    };

    const projected = async (): Promise<number[]> => {
      const rows = await db.withTables<Projection>().executor().selectFrom('projected').select('n').execute();
      return rows.map((row) => Number(row.n)).sort((a, b) => a - b);
    };

    const until = async (check: () => Promise<boolean>, ms = 10_000): Promise<void> => {
      for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (await check()) return;
      throw new Error(`not reached within ${ms} ms`);
    };

    const range = (count: number): number[] => Array.from({ length: count }, (_, n) => n);

    beforeEach(async () => {
      closing = [];
      db = await open();
      await new Migrator(db).register('events', eventMigrations).up();
      await db
        .executor()
        .schema.createTable('projected')
        .addColumn('event_id', 'text', (c) => c.primaryKey())
        .addColumn('n', 'integer')
        .execute();
    });

    afterEach(async () => {
      for (const close of closing.reverse()) await close().catch(() => undefined);
      await db.close();
    });

    it('a replayable subscription takes only what the log holds: a volatile event its pattern matches does not reach it', async () => {
      const bus = busOn(db);
      const seen: string[] = [];
      const reset = () => void seen.splice(0);
      bus.subscribe('*', (event) => void seen.push(event.type), { name: 'everything', startFrom: 'beginning', reset });
      await bus.ready();
      await bus.publishAndWait('world_state.tick', { n: 1 }, { source: 'world_state' });
      await publish(bus, 0, 1);
      await bus.drain();
      // The tick would be lost to a replay, and the projection would differ from what it was before the replay.
      expect(seen).toEqual(['crafting.item_crafted']);
      await bus.rebuild('everything');
      await bus.drain();
      // On NATS the consumer made anew may hand its first events a poll later than the drain asks.
      await until(() => Promise.resolve(seen.length > 0));
      await sleep(100);
      expect(seen).toEqual(['crafting.item_crafted']);
    });

    it('replays from the start: the reset clears, every event comes once more, dead letters go with it', async () => {
      const bus = busOn(db);
      let broken = true;
      const projection = project(bus, db, {
        before: (n) => {
          if (broken && n === 3) throw new Error('the projection cannot read item 3 yet');
        },
      });
      await bus.ready();
      await publish(bus, 0, 6);
      await bus.drain();
      expect(await projected()).toEqual([0, 1, 2, 4, 5]);
      expect(await bus.deadLetters.list({ subscription: 'projection' })).toHaveLength(1);

      // The projection's code is fixed; a replay builds it again from the log, item 3 included.
      broken = false;
      const callsBefore = projection.calls();
      // Inside a transaction the rewind would wait for a commit it does not own.
      await expect(db.transaction(() => bus.rebuild('projection'))).rejects.toThrow(/outside a transaction/);
      const rebuilt = await bus.rebuild('projection');
      expect(rebuilt).toEqual({ subscription: 'projection', throughSeq: 6 });
      await bus.drain();
      await until(async () => (await projected()).length >= 6);
      expect(await projected()).toEqual(range(6));
      // Once each on the log's own transport; a broker's may hand an event again after a delivery it fenced (the
      // projection's key shows it was applied once).
      if (transportFor === undefined) expect(projection.calls() - callsBefore).toBe(6);
      expect(await bus.deadLetters.list({ subscription: 'projection' })).toEqual([]);
      // Later events go on from there, once each.
      await publish(bus, 6, 2);
      await bus.drain();
      expect(await projected()).toEqual(range(8));
    });

    it('refuses what it cannot replay, changing nothing', async () => {
      const bus = busOn(db);
      project(bus, db, { reset: false });
      await bus.ready();
      await publish(bus, 0, 2);
      await bus.drain();
      // Where it stands: what a rewind moves (its lease may change hands meanwhile, a short lease under load).
      const cursor = () =>
        db
          .withTables<EventTables>()
          .executor()
          .selectFrom('weft_event_cursors')
          .select(['subscription', 'seq'])
          .execute();
      // On NATS the row mirrors the broker's position after the acknowledgement, and may land after the drain.
      await until(async () => Number((await cursor())[0]?.seq) === 2);
      const cursorBefore = await cursor();
      await expect(bus.rebuild('projection')).rejects.toThrow(ConflictError);
      await expect(bus.rebuild('projection')).rejects.toThrow(/declares no reset/);
      await expect(bus.rebuild('nobody')).rejects.toThrow(NotFoundError);
      expect(await cursor()).toEqual(cursorBefore);
      expect(await projected()).toEqual([0, 1]);
      // A replay needs a cursor row it can rewind: a reset on a live tap or on lanes is a mistake caught at subscribe.
      expect(() => bus.subscribe('crafting.*', () => undefined, { live: true, reset: () => undefined })).toThrow(
        ConfigError,
      );
      expect(() =>
        bus.subscribe('crafting.*', () => undefined, { name: 'lanes', concurrency: 4, reset: () => undefined }),
      ).toThrow(/drop concurrency/);
    });

    it('refuses on a transport whose positions are the broker’s', async () => {
      const inner = new MemoryTransport({ db, pollIntervalMs: 20, logger: quiet });
      const broker: Transport = {
        rewindable: false,
        committed: (types) => inner.committed(types),
        subscribe: (subscription) => inner.subscribe(subscription),
        close: () => inner.close(),
      };
      const bus = busOn(db, broker);
      project(bus, db);
      await bus.ready();
      await publish(bus, 0, 2);
      await bus.drain();
      await expect(bus.rebuild('projection')).rejects.toThrow(/cannot be replayed on this transport/);
      expect(await projected()).toEqual([0, 1]);
      // What GET /admin/systems and the console's replay button read: not replayable here, whatever its reset.
      expect(bus.wiring().subscriptions.find((s) => s.name === 'projection')?.replayable).toBe(false);
    });

    it('a redrive racing a replay in another process: its event counted once', async () => {
      // A tally with no key: an event counted twice shows as two rows.
      await db.executor().schema.createTable('tallied').addColumn('n', 'integer').execute();
      const tallied = async (): Promise<number[]> => {
        const rows = await db.withTables<Tallied>().executor().selectFrom('tallied').select('n').execute();
        return rows.map((row) => Number(row.n)).sort((a, b) => a - b);
      };
      const holderDb = await db.connectAgain();
      closing.push(() => holderDb.close());
      const operatorDb = await db.connectAgain();
      closing.push(() => operatorDb.close());
      let broken = true;
      let reached: () => void = () => undefined;
      const inReset = new Promise<void>((resolve) => (reached = resolve));
      let goOn: () => void = () => undefined;
      const released = new Promise<void>((resolve) => (goOn = resolve));
      const tally = (bus: ReturnType<typeof busOn>, on: Database<unknown>, gated: boolean) => {
        const rows = on.withTables<Tallied>();
        bus.subscribe(
          'crafting.item_crafted',
          async (event) => {
            if (broken && event.data.n === 3) throw new Error('the tally cannot read item 3 yet');
            await rows.executor().insertInto('tallied').values({ n: event.data.n }).execute();
          },
          {
            name: 'projection',
            startFrom: 'beginning',
            reset: async () => {
              await rows.executor().deleteFrom('tallied').execute();
              // The rewind's transaction stays open after its reset here while the redrive runs.
              if (gated) {
                reached();
                await released;
              }
            },
          },
        );
      };
      const holder = busOn(holderDb);
      tally(holder, holderDb, false);
      await holder.ready();
      await publish(holder, 0, 6);
      await holder.drain();
      const [letter] = await holder.deadLetters.list({ subscription: 'projection' });
      expect(letter).toBeDefined();
      const operator = busOn(operatorDb);
      tally(operator, operatorDb, true);
      await operator.ready();

      // The code is fixed; one operator replays the subscription while another redrives its dead letter.
      broken = false;
      const rebuild = operator.rebuild('projection');
      await inReset;
      const redriven = holder.deadLetters.redrive([letter?.id ?? '']);
      await sleep(200);
      goOn();
      await rebuild;
      await redriven;
      await until(async () => (await tallied()).length >= 6);
      await sleep(500);
      expect(await tallied()).toEqual(range(6));
      expect(await operator.deadLetters.list()).toEqual([]);
    });

    it('two redrives of one dead letter at once, in two processes: its handler runs once', async () => {
      await db.executor().schema.createTable('tallied').addColumn('n', 'integer').execute();
      let broken = true;
      const tally = (bus: ReturnType<typeof busOn>, on: Database<unknown>) => {
        const rows = on.withTables<Tallied>();
        bus.subscribe(
          'crafting.item_crafted',
          async (event) => {
            if (event.data.n === 3) {
              if (broken) throw new Error('the tally cannot read item 3 yet');
              await sleep(100);
            }
            await rows.executor().insertInto('tallied').values({ n: event.data.n }).execute();
          },
          { name: 'projection', startFrom: 'beginning' },
        );
      };
      const [oneDb, otherDb] = [await db.connectAgain(), await db.connectAgain()];
      closing.push(
        () => oneDb.close(),
        () => otherDb.close(),
      );
      const [one, other] = [busOn(oneDb), busOn(otherDb)];
      tally(one, oneDb);
      tally(other, otherDb);
      await Promise.all([one.ready(), other.ready()]);
      await publish(one, 0, 6);
      // Whichever of the two holds the subscription delivers it.
      await until(async () => (await one.deadLetters.list({ subscription: 'projection' })).length === 1);
      const [letter] = await one.deadLetters.list({ subscription: 'projection' });
      broken = false;
      const done = await Promise.all([
        one.deadLetters.redrive([letter?.id ?? '']),
        other.deadLetters.redrive([letter?.id ?? '']),
      ]);
      expect(done.flat()).toEqual([letter?.id]);
      // The events after the dead letter may still be on their way (a broker's consumer hands them a poll later).
      await until(
        async () => (await db.withTables<Tallied>().executor().selectFrom('tallied').select('n').execute()).length >= 6,
      );
      await sleep(200);
      const rows = await db.withTables<Tallied>().executor().selectFrom('tallied').select('n').execute();
      expect(rows.map((row) => Number(row.n)).sort((a, b) => a - b)).toEqual(range(6));
    });

    it('fences a delivery in flight in another process: each event counted once after the replay', async () => {
      const holderDb = await db.connectAgain();
      closing.push(() => holderDb.close());
      const operatorDb = await db.connectAgain();
      closing.push(() => operatorDb.close());
      // The process delivering the subscription: its handler stops on item 7 until the test lets it go on.
      const holder = busOn(holderDb);
      let reached: () => void = () => undefined;
      const atSeven = new Promise<void>((resolve) => (reached = resolve));
      let goOn: () => void = () => undefined;
      const released = new Promise<void>((resolve) => (goOn = resolve));
      let firstTime = true;
      project(holder, holderDb, {
        before: async (n) => {
          if (n !== 7 || !firstTime) return;
          firstTime = false;
          reached();
          await released;
        },
      });
      await holder.ready();
      await publish(holder, 0, 5);
      await holder.drain();
      expect(await projected()).toEqual(range(5));
      // The operator's process: the same subscription, which it cannot take while the holder renews its lease.
      const operator = busOn(operatorDb);
      project(operator, operatorDb);
      await operator.ready();
      // One commit, so the holder's delivery starts after it (its transaction holds SQLite's one writer meanwhile).
      await holderDb.transaction(() => publish(holder, 5, 5));
      // Its round may end in an error once fenced (on SQLite the rewind holds the file's lock while NATS makes the
      // consumer anew, and the holder's next claim finds the file busy): what counts is the projection below.
      const holderRound = holder.drain().catch((error: unknown) => error);
      await atSeven;
      // A replay while the holder is inside the transaction that handles items 5 to 9.
      const rebuild = operator.rebuild('projection');
      await sleep(100);
      goOn();
      await rebuild;
      await publish(operator, 10, 3);
      // Whoever claims it next delivers everything again; nothing is counted twice (the key would refuse it, and the
      // event would be dead-lettered) and nothing is missing.
      await until(async () => (await projected()).length === 13);
      await sleep(300);
      expect(await projected()).toEqual(range(13));
      expect(await operator.deadLetters.list()).toEqual([]);
      await holderRound;
    });
  });
}
