import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EventLog,
  Migrator,
  eventMigrations,
  uuidv7,
  type Database,
  type EventEnvelope,
  type LoggedEvent,
  type Transport,
  type TransportStream,
  type TransportSubscription,
} from 'weft/internal';
import type { TestDatabase } from 'weft/testing';

/**
 * Makes a transport over a database. Called more than once per test: on another connection to the
 * same database for "another process", and again after a "crash".
 */
export type TransportFactory = (db: Database<unknown>) => Transport;

/** An event to append: its type and partition key. */
interface Spec {
  readonly type: string;
  readonly key?: string;
}

/** Each stream's wake-ups, awaited one at a time. */
class Wakes {
  #waiting: Array<() => void> = [];

  constructor(stream: TransportStream) {
    stream.onAvailable(() => {
      const waiting = this.#waiting;
      this.#waiting = [];
      for (const resolve of waiting) resolve();
    });
  }

  /** Resolves at the next wake-up after this call. */
  next(): Promise<void> {
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
}

const ids = (events: readonly LoggedEvent[]): string[] => events.map((event) => event.envelope.id);

/**
 * What every Transport must do, driven through the interface alone, as the delivery engine drives
 * it: events are appended to the event log with EventLog in a transaction and `committed()` is
 * called; a stream is fetched, `record`ed inside a transaction, and acknowledged after it commits.
 */
export function transportContract(
  name: string,
  open: () => Promise<TestDatabase<unknown>>,
  transportOver: TransportFactory,
): void {
  describe(`transport contract: ${name}`, () => {
    let db: TestDatabase<unknown>;
    let log: EventLog;
    let transport: Transport;
    let closing: Array<() => Promise<void>>;

    /** A transport of its own, as another process (or the same one after a restart) would make. */
    const anotherTransport = async (): Promise<{ transport: Transport; db: Database<unknown> }> => {
      const again = await db.connectAgain();
      const made = transportOver(again);
      closing.push(
        () => made.close(),
        () => again.close(),
      );
      return { transport: made, db: again };
    };

    /** The database each stream's transport works on: where an engine would handle its events. */
    const homes = new Map<TransportStream, Database<unknown>>();

    /** Opens a stream and waits until it knows where it stands. */
    const subscribe = async (
      subscription: TransportSubscription,
      on: { transport: Transport; db: Database<unknown> } = { transport, db },
    ): Promise<TransportStream> => {
      const stream = on.transport.subscribe(subscription);
      homes.set(stream, on.db);
      closing.push(() => stream.close());
      await stream.ready;
      return stream;
    };

    /** Appends events in one transaction, through `through`'s log, then tells its transport. */
    const append = async (
      specs: readonly Spec[],
      through: { transport: Transport; db: Database<unknown> } = { transport, db },
    ): Promise<EventEnvelope[]> => {
      const envelopes = specs.map((spec): EventEnvelope => ({
        id: uuidv7(),
        type: spec.type,
        version: 1,
        source: spec.type.split('.')[0] ?? 'test',
        time: new Date().toISOString(),
        partitionKey: spec.key,
        correlationId: uuidv7(),
        causationId: undefined,
        traceparent: undefined,
        data: { key: spec.key },
      }));
      const appending = through.db === db ? log : new EventLog(through.db);
      await through.db.transaction(async () => {
        for (const envelope of envelopes) await appending.append(envelope);
      });
      through.transport.committed(new Set(specs.map((spec) => spec.type)));
      return envelopes;
    };

    /** What an engine does with a batch: handle it in a transaction that records it, then acknowledge. */
    const settle = async (stream: TransportStream, events: readonly LoggedEvent[]): Promise<void> => {
      await (homes.get(stream) ?? db).transaction(() => stream.record(events));
      await stream.ack(events);
    };

    /** Fetches and settles until nothing is waiting; returns what was handed, in order. */
    const drain = async (stream: TransportStream, max = 3): Promise<LoggedEvent[]> => {
      const handed: LoggedEvent[] = [];
      for (let batch = await stream.fetch(max); batch.length > 0; batch = await stream.fetch(max)) {
        handed.push(...batch);
        await settle(stream, batch);
      }
      return handed;
    };

    /**
     * Fetches and settles until `count` events were handed, waiting for wake-ups in between (a
     * broker redelivers what a dead consumer held once its acknowledgement is overdue), then checks
     * that nothing else is waiting.
     */
    const collect = async (stream: TransportStream, count: number): Promise<LoggedEvent[]> => {
      const wakes = new Wakes(stream);
      const handed: LoggedEvent[] = [];
      while (handed.length < count) {
        const woken = wakes.next();
        const batch = await stream.fetch(3);
        handed.push(...batch);
        if (batch.length > 0) await settle(stream, batch);
        else await woken;
      }
      expect(await stream.fetch(10)).toEqual([]);
      return handed;
    };

    /** Waits for wake-ups until a fetch (of up to `max`) finds something. */
    const fetchWhenWoken = async (stream: TransportStream, wakes: Wakes, max = 100): Promise<LoggedEvent[]> => {
      for (;;) {
        const woken = wakes.next();
        const events = await stream.fetch(max);
        if (events.length > 0) return events;
        await woken;
      }
    };

    beforeEach(async () => {
      closing = [];
      db = await open();
      await new Migrator(db).register('events', eventMigrations).up();
      log = new EventLog(db);
      transport = transportOver(db);
    });

    afterEach(async () => {
      for (const close of closing.reverse()) await close();
      await transport.close();
      await db.close();
    });

    it('hands every committed event, in order per partition key, and nothing once acknowledged', async () => {
      const stream = await subscribe({ name: 'all', pattern: '*', startFrom: 'beginning' });
      const published: EventEnvelope[] = [];
      for (let round = 0; round < 4; round++)
        published.push(
          ...(await append([
            { type: 'crafting.item_crafted', key: 'ann' },
            { type: 'economy.gold_spent', key: 'bob' },
            { type: 'crafting.item_crafted', key: 'bob' },
            { type: 'world_state.tick' },
          ])),
        );
      const handed = await drain(stream);
      expect(new Set(ids(handed))).toEqual(new Set(published.map((e) => e.id)));
      expect(handed).toHaveLength(published.length);
      for (const key of ['ann', 'bob']) {
        const inOrder = published.filter((e) => e.partitionKey === key).map((e) => e.id);
        expect(ids(handed.filter((e) => e.envelope.partitionKey === key))).toEqual(inOrder);
      }
      // Each event as it was appended, with its place in the log.
      const first = handed.find((e) => e.envelope.id === published[0]?.id);
      expect(first?.envelope).toEqual(published[0]);
      expect(first?.seq).toBeGreaterThan(0);
      expect(await stream.fetch(10)).toEqual([]);
    });

    it('hands a subscription only the types its pattern takes', async () => {
      const exact = await subscribe({ name: 'exact', pattern: 'crafting.item_crafted', startFrom: 'beginning' });
      const system = await subscribe({ name: 'system', pattern: 'crafting.*', startFrom: 'beginning' });
      const all = await subscribe({ name: 'all', pattern: '*', startFrom: 'beginning' });
      await append([
        { type: 'crafting.item_crafted', key: 'ann' },
        { type: 'crafting.recipe_learned', key: 'ann' },
        { type: 'economy.gold_spent', key: 'ann' },
        { type: 'crafting_guild.joined', key: 'ann' },
      ]);
      const types = async (stream: TransportStream) => (await drain(stream)).map((e) => e.envelope.type);
      expect(await types(exact)).toEqual(['crafting.item_crafted']);
      expect(await types(system)).toEqual(['crafting.item_crafted', 'crafting.recipe_learned']);
      expect(await types(all)).toHaveLength(4);
    });

    it('hands events again until they are acknowledged after commit: not before, not after a rollback', async () => {
      const stream = await subscribe({ name: 'careful', pattern: '*', startFrom: 'beginning' });
      const published = await append([
        { type: 'crafting.item_crafted', key: 'ann' },
        { type: 'crafting.item_crafted', key: 'ann' },
        { type: 'crafting.item_crafted', key: 'ann' },
      ]);
      const first = await stream.fetch(2);
      expect(ids(first)).toEqual(published.slice(0, 2).map((e) => e.id));
      // Fetched again before any acknowledgement: the same ones.
      expect(ids(await stream.fetch(2))).toEqual(ids(first));
      // Handled in a transaction that rolled back: the same ones.
      await expect(
        db.transaction(async () => {
          await stream.record(first);
          throw new Error('the handler failed');
        }),
      ).rejects.toThrow('the handler failed');
      expect(ids(await stream.fetch(2))).toEqual(ids(first));
      // Committed but not yet acknowledged: still the same ones.
      await db.transaction(() => stream.record(first));
      expect(ids(await stream.fetch(2))).toEqual(ids(first));
      // The first acknowledged alone: from the second on.
      await stream.ack(first.slice(0, 1));
      expect(ids(await stream.fetch(2))).toEqual(published.slice(1, 3).map((e) => e.id));
      await settle(stream, await stream.fetch(2));
      expect(await stream.fetch(2)).toEqual([]);
    });

    it('after a crash, a new transport on the same database hands again what was not acknowledged, and nothing that was', async () => {
      const dying = await anotherTransport();
      const stream = await subscribe({ name: 'survivor', pattern: '*', startFrom: 'beginning' }, dying);
      const published = await append(
        Array.from({ length: 6 }, (_, n) => ({ type: 'crafting.item_crafted', key: n % 2 === 0 ? 'ann' : 'bob' })),
      );
      // Another process (this test's own transport) may be the one relaying, so the first fetch may come before the
      // stream holds the events, or hold only the first of them: what was acknowledged is what the rest is checked by.
      const handed = await fetchWhenWoken(stream, new Wakes(stream), 2);
      await settle(stream, handed);
      // Fetched, and handled in a transaction that rolled back: never acknowledged.
      const lost = await stream.fetch(2);
      await expect(
        dying.db.transaction(async () => {
          await stream.record(lost);
          throw new Error('killed');
        }),
      ).rejects.toThrow('killed');
      // The process dies here: its connection goes, and the first stream is never closed or acknowledged again.
      await dying.db.close();
      const restarted = await anotherTransport();
      const after = await subscribe({ name: 'survivor', pattern: '*', startFrom: 'now' }, restarted);
      const again = await collect(after, published.length - handed.length);
      expect(ids(handed)).toEqual(published.slice(0, handed.length).map((e) => e.id));
      expect(ids(again)).toEqual(published.slice(handed.length).map((e) => e.id));
      expect(ids(again)).not.toContain(handed[0]?.envelope.id);
    });

    it('resumes a closed stream where it stopped: nothing lost, nothing acknowledged handed twice', async () => {
      const first = await subscribe({ name: 'resumer', pattern: 'crafting.*', startFrom: 'beginning' });
      const before = await append([
        { type: 'crafting.item_crafted', key: 'ann' },
        { type: 'crafting.item_crafted', key: 'bob' },
      ]);
      expect(ids(await drain(first))).toEqual(before.map((e) => e.id));
      const pending = await append([{ type: 'crafting.item_crafted', key: 'ann' }]);
      // Fetched, not acknowledged, then the stream stops.
      expect(ids(await first.fetch(10))).toEqual(pending.map((e) => e.id));
      await first.close();
      const during = await append([
        { type: 'crafting.item_crafted', key: 'cid' },
        { type: 'economy.gold_spent', key: 'cid' },
      ]);
      // startFrom is for a name seen for the first time; this one continues.
      const second = await subscribe({ name: 'resumer', pattern: 'crafting.*', startFrom: 'beginning' });
      const later = await append([{ type: 'crafting.item_crafted', key: 'dee' }]);
      const expected = [...pending, during[0], ...later].map((e) => e?.id);
      expect(ids(await collect(second, expected.length))).toEqual(expected);
    });

    it('starts a new subscription from now or from the beginning', async () => {
      const earlier = await append([
        { type: 'crafting.item_crafted', key: 'ann' },
        { type: 'crafting.item_crafted', key: 'bob' },
      ]);
      const fromNow = await subscribe({ name: 'from-now', pattern: '*', startFrom: 'now' });
      const fromStart = await subscribe({ name: 'from-start', pattern: '*', startFrom: 'beginning' });
      expect(await fromNow.fetch(10)).toEqual([]);
      const later = await append([{ type: 'crafting.item_crafted', key: 'cid' }]);
      expect(ids(await drain(fromNow))).toEqual(later.map((e) => e.id));
      expect(ids(await drain(fromStart))).toEqual([...earlier, ...later].map((e) => e.id));
    });

    it('wakes a stream when events may be waiting: after a commit in this process, and in another', async () => {
      const stream = await subscribe({ name: 'sleeper', pattern: '*', startFrom: 'now' });
      const wakes = new Wakes(stream);
      let woken = wakes.next();
      const here = await append([{ type: 'crafting.item_crafted', key: 'ann' }]);
      await woken;
      const fromHere = await fetchWhenWoken(stream, wakes);
      expect(ids(fromHere)).toEqual(here.map((e) => e.id));
      await settle(stream, fromHere);

      const other = await anotherTransport();
      woken = wakes.next();
      const there = await append([{ type: 'economy.gold_spent', key: 'bob' }], other);
      await woken;
      expect(ids(await fetchWhenWoken(stream, wakes))).toEqual(there.map((e) => e.id));
    });
  });
}
