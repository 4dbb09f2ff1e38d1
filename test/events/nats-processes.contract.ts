import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  EventBus,
  EventLog,
  Migrator,
  NatsTransport,
  ValidationManager,
  WeftMetrics,
  defineEvent,
  eventMigrations,
  uuidv7,
  type Database,
  type Transport,
  type WeftLogger,
} from 'weft/internal';
import type { TestDatabase } from 'weft/testing';
import { deleteStreams, natsTestUrl, uniqueStream } from './nats-test-server.js';

const entryPosted = defineEvent({
  type: 'ledger.entry_posted',
  version: 1,
  owner: 'ledger',
  durable: true,
  schema: z.object({ account: z.string(), n: z.int() }),
  partitionKey: (data) => data.account,
});

const quiet = { warn: () => undefined, error: () => undefined, info: () => undefined } as unknown as WeftLogger['root'];

/** One handled event: which process handled it, of which account, which one. */
interface Handled {
  readonly process: 'a' | 'b';
  readonly account: string;
  readonly id: string;
}

/** Appends `count` ledger entries of one account straight to the log, in one transaction; resolves their ids. */
async function appendEntries(db: Database<unknown>, count: number): Promise<string[]> {
  const log = new EventLog(db);
  const ids = Array.from({ length: count }, () => uuidv7());
  await db.transaction(async () => {
    for (const id of ids) {
      await log.append({
        id,
        type: 'ledger.entry_posted',
        version: 1,
        source: 'ledger',
        time: new Date().toISOString(),
        partitionKey: 'ann',
        correlationId: uuidv7(),
        causationId: undefined,
        traceparent: undefined,
        data: { account: 'ann', n: 1 },
      });
    }
  });
  return ids;
}

/** What the NATS transport does across processes and towards the stream, on one database backend. */
export function natsProcessesContract(name: string, open: () => Promise<TestDatabase<unknown>>): void {
  describe(`NATS transport across processes: ${name}`, () => {
    let db: TestDatabase<unknown>;
    let names: { stream: string; subjectPrefix: string };
    let closing: Array<() => Promise<void>>;

    const transportOver = (over: Database<unknown>, metrics?: WeftMetrics): NatsTransport => {
      const transport = new NatsTransport({
        url: natsTestUrl(),
        db: over,
        ...names,
        pollIntervalMs: 20,
        leaseMs: 200,
        ackWaitMs: 300,
        ...(metrics === undefined ? {} : { metrics }),
      });
      closing.push(() => transport.close());
      return transport;
    };

    /** A bus of its own connection and transport: another process sharing the database and the stream. */
    const processBus = async (): Promise<EventBus> => {
      const own = await db.connectAgain();
      const bus = new EventBus({
        db: own,
        validation: new ValidationManager(),
        logger: quiet,
        transport: transportOver(own),
      });
      closing.push(
        () => bus.close(),
        () => own.close(),
      );
      return bus;
    };

    beforeEach(async () => {
      closing = [];
      names = uniqueStream();
      db = await open();
      await new Migrator(db).register('events', eventMigrations).up();
    });

    afterEach(async () => {
      for (const close of closing.reverse()) await close();
      await db.close();
      await deleteStreams([names.stream]);
    });

    it('keeps each partition key in log order across two processes sharing a subscription, each event once', async () => {
      const handled: Handled[] = [];
      const busA = (await processBus()).define(entryPosted);
      const busB = (await processBus()).define(entryPosted);
      for (const [process, bus] of [
        ['a', busA],
        ['b', busB],
      ] as const) {
        bus.subscribe('ledger.entry_posted', (e) => void handled.push({ process, account: e.data.account, id: e.id }), {
          name: 'books',
          concurrency: 4,
        });
      }
      await Promise.all([busA.ready(), busB.ready()]);
      const accounts = ['ann', 'bob', 'cid', 'dee', 'eve'];
      const publish = async (bus: typeof busA, from: number, to: number): Promise<void> => {
        for (let n = from; n < to; n++) {
          const account = accounts[n % accounts.length] ?? 'ann';
          await bus.publish('ledger.entry_posted', { account, n }, { source: 'ledger' });
        }
      };
      // Both processes publish; one of them delivers at a time, and the other takes over when it stops.
      await Promise.all([publish(busA, 0, 60), publish(busB, 60, 120)]);
      await vi.waitFor(() => expect(handled.length).toBeGreaterThanOrEqual(40), { timeout: 20_000, interval: 10 });
      const holder = handled[0]?.process === 'a' ? busA : busB;
      const other = holder === busA ? busB : busA;
      await holder.close();
      await publish(other, 120, 200);
      await vi.waitFor(() => expect(handled.length).toBe(200), { timeout: 20_000, interval: 10 });

      expect(new Set(handled.map((h) => h.id)).size).toBe(200);
      expect(new Set(handled.map((h) => h.process))).toEqual(new Set(['a', 'b']));
      const log = await db
        .withTables<{ weft_event_log: { seq: number; id: string; partition_key: string | null } }>()
        .executor()
        .selectFrom('weft_event_log')
        .select(['id', 'partition_key'])
        .orderBy('seq')
        .execute();
      for (const account of accounts) {
        const inLog = log.filter((row) => row.partition_key === account).map((row) => row.id);
        expect(handled.filter((h) => h.account === account).map((h) => h.id)).toEqual(inLog);
      }
    });

    it('turns a redelivery after a crash between commit and ack into no second effect (the inbox)', async () => {
      await db
        .executor()
        .schema.createTable('effects')
        .addColumn('event_id', 'text', (c) => c.primaryKey())
        .execute();
      const effects = db.withTables<{ effects: { event_id: string } }>();
      const calls: string[] = [];
      const handler = async (e: { id: string }): Promise<void> => {
        calls.push(e.id);
        await effects.executor().insertInto('effects').values({ event_id: e.id }).execute();
      };
      // A process that commits its deliveries and dies before each acknowledgement.
      const dying = transportOver(db);
      const neverAcks: Transport = {
        rewindable: false,
        committed: () => dying.committed(),
        subscribe: (subscription) => {
          const stream = dying.subscribe(subscription);
          return {
            ready: stream.ready,
            onAvailable: (wake) => stream.onAvailable(wake),
            fetch: (max) => stream.fetch(max),
            record: (events) => stream.record(events),
            ack: () => Promise.reject(new Error('the process died before acknowledging')),
            fence: () => stream.fence(),
            close: () => stream.close(),
          };
        },
        close: () => dying.close(),
      };
      const first = new EventBus({ db, validation: new ValidationManager(), logger: quiet, transport: neverAcks });
      first.define(entryPosted).subscribe('ledger.entry_posted', handler, { name: 'effects' });
      await first.ready();
      for (let n = 0; n < 3; n++) {
        await first.define(entryPosted).publish('ledger.entry_posted', { account: 'ann', n }, { source: 'ledger' });
      }
      await vi.waitFor(() => expect(calls).toHaveLength(3), { timeout: 10_000, interval: 10 });
      await first.close();

      const second = new EventBus({
        db,
        validation: new ValidationManager(),
        logger: quiet,
        transport: transportOver(db),
      });
      closing.push(() => second.close());
      second.define(entryPosted).subscribe('ledger.entry_posted', handler, { name: 'effects' });
      await second.ready();
      await second.define(entryPosted).publish('ledger.entry_posted', { account: 'ann', n: 3 }, { source: 'ledger' });
      await vi.waitFor(() => expect(calls).toHaveLength(4), { timeout: 10_000, interval: 10 });
      const nc = await connect({ servers: natsTestUrl() });
      try {
        const consumer = async () => (await jetstreamManager(nc)).consumers.info(names.stream, 'effects');
        // Everything acknowledged in the end, the first three after being handed again.
        await vi.waitFor(async () => expect((await consumer()).num_ack_pending).toBe(0), { timeout: 10_000 });
        expect((await consumer()).delivered.consumer_seq).toBeGreaterThanOrEqual(7);
      } finally {
        await nc.close();
      }
      // Once everything is acknowledged: each handler called once, each effect once.
      expect(calls).toHaveLength(4);
      expect(new Set(calls).size).toBe(4);
      expect(await effects.executor().selectFrom('effects').selectAll().execute()).toHaveLength(4);
    });

    it('keeps the lease when the consumer hands acknowledged events again (its state lost in a crash)', async () => {
      // A nats-server killed while writing a consumer's state restarts with an older or empty one, and hands events
      // again that were acknowledged and mirrored to the cursor row: the holder must go on, not drop the subscription.
      const lost: unknown[] = [];
      const logger = {
        ...quiet,
        warn: (fields: unknown, message?: string) =>
          void (message === 'lost the subscription lease' && lost.push(fields)),
      } as unknown as WeftLogger['root'];
      const transport = new NatsTransport({
        url: natsTestUrl(),
        db,
        ...names,
        pollIntervalMs: 20,
        // One process: a lease that never runs out under load, so only a misread cursor move can lose it.
        leaseMs: 5000,
        ackWaitMs: 300,
        logger,
      });
      closing.push(() => transport.close());
      const stream = transport.subscribe({ name: 'books', pattern: '*', startFrom: 'beginning' });
      closing.push(() => stream.close());
      await stream.ready;
      /** Fetches, records and acknowledges until `count` events were handed; resolves their log positions. */
      const deliver = async (count: number): Promise<number[]> => {
        const seqs: number[] = [];
        for (const until = Date.now() + 10_000; seqs.length < count && Date.now() < until;) {
          const group = await stream.fetch(count - seqs.length);
          if (group.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
          else {
            await db.transaction(() => stream.record(group));
            await stream.ack(group);
            seqs.push(...group.map((event) => event.seq));
          }
        }
        return seqs;
      };
      const cursor = async (): Promise<number> =>
        Number(
          (
            await db
              .withTables<{ weft_event_cursors: { subscription: string; seq: number } }>()
              .executor()
              .selectFrom('weft_event_cursors')
              .select('seq')
              .where('subscription', '=', 'books')
              .executeTakeFirstOrThrow()
          ).seq,
        );
      await appendEntries(db, 10);
      transport.committed();
      expect(await deliver(10)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      await vi.waitFor(async () => expect(await cursor()).toBe(10), { timeout: 5000, interval: 10 });
      // The consumer starts over, as with the empty state file such a crash leaves.
      const nc = await connect({ servers: natsTestUrl() });
      try {
        const jsm = await jetstreamManager(nc);
        const { config } = await jsm.consumers.info(names.stream, 'books');
        await jsm.consumers.delete(names.stream, 'books');
        await jsm.consumers.add(names.stream, config);
      } finally {
        await nc.close();
      }
      expect(await deliver(4)).toEqual([1, 2, 3, 4]);
      await appendEntries(db, 5);
      transport.committed();
      expect(await deliver(11)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
      // Mirrors run in order: once the row is at the last one, the one for the events handed again was tried.
      await vi.waitFor(async () => expect(await cursor()).toBe(15), { timeout: 5000, interval: 10 });
      expect(lost).toEqual([]);
    });

    it('relays each event to the stream once, even when a relay publishes it again', async () => {
      const transport = transportOver(db);
      await transport.started;
      const ids = await appendEntries(db, 5);
      const stream = transport.subscribe({ name: 'counter', pattern: '*', startFrom: 'beginning' });
      await stream.ready;
      // As after a relay that died between publishing and moving its position: the next pass publishes them again.
      await db
        .withTables<{ weft_event_relay: { stream: string; seq: number } }>()
        .executor()
        .updateTable('weft_event_relay')
        .set({ seq: 0 })
        .where('stream', '=', names.stream)
        .execute();
      const handed = await stream.fetch(100);
      expect(handed.map((e) => e.envelope.id)).toEqual(ids);
      const nc = await connect({ servers: natsTestUrl() });
      try {
        const info = await (await jetstreamManager(nc)).streams.info(names.stream);
        expect(info.state.messages).toBe(ids.length);
      } finally {
        await nc.close();
      }
      await stream.close();
    });

    it('keeps a group acknowledged once ack resolves: the consumer has none of it pending', async () => {
      const transport = transportOver(db);
      const stream = transport.subscribe({ name: 'grouped', pattern: '*', startFrom: 'beginning' });
      await stream.ready;
      await appendEntries(db, 40);
      transport.committed();
      const group = await stream.fetch(40);
      expect(group).toHaveLength(40);
      await db.transaction(() => stream.record(group));
      const nc = await connect({ servers: natsTestUrl() });
      try {
        const pending = async () =>
          (await (await jetstreamManager(nc)).consumers.info(names.stream, 'grouped')).num_ack_pending;
        expect(await pending()).toBe(40);
        await stream.ack(group);
        expect(await pending()).toBe(0);
      } finally {
        await nc.close();
      }
      await stream.close();
    });

    it('reports each subscription lag as a gauge: what its consumer has not had acknowledged', async () => {
      const metrics = new WeftMetrics();
      const transport = transportOver(db, metrics);
      const stream = transport.subscribe({ name: 'slow', pattern: 'ledger.*', startFrom: 'beginning' });
      await stream.ready;
      const bus = new EventBus({
        db,
        validation: new ValidationManager(),
        logger: quiet,
        transport: transportOver(db),
      });
      closing.push(() => bus.close());
      for (let n = 0; n < 3; n++) {
        await bus.define(entryPosted).publish('ledger.entry_posted', { account: 'ann', n }, { source: 'ledger' });
      }
      const lag = async (): Promise<string | undefined> =>
        (await metrics.text()).split('\n').find((line) => line.startsWith('weft_nats_consumer_pending{'));
      await vi.waitFor(async () => expect(await lag()).toBe('weft_nats_consumer_pending{subscription="slow"} 3'), {
        timeout: 10_000,
        interval: 20,
      });
      await stream.close();
    });

    it('refuses a stream whose duplicate window is not longer than the relay retry horizon', async () => {
      const nc = await connect({ servers: natsTestUrl() });
      try {
        await (
          await jetstreamManager(nc)
        ).streams.add({ name: names.stream, subjects: [`${names.subjectPrefix}.>`], duplicate_window: 1_000_000_000 });
      } finally {
        await nc.close();
      }
      const attempt = NatsTransport.connect({ url: natsTestUrl(), db, ...names, relayRetryHorizonMs: 60_000 });
      await expect(attempt).rejects.toBeInstanceOf(ConfigError);
      await expect(attempt).rejects.toThrow(/drops duplicates for 1000 ms.*retry horizon \(60000 ms\)/);
    });

    it('refuses a stream of the same name that does not take the subject prefix', async () => {
      const nc = await connect({ servers: natsTestUrl() });
      try {
        await (await jetstreamManager(nc)).streams.add({ name: names.stream, subjects: [`${names.stream}.other`] });
      } finally {
        await nc.close();
      }
      const attempt = NatsTransport.connect({ url: natsTestUrl(), db, ...names });
      await expect(attempt).rejects.toBeInstanceOf(ConfigError);
      await expect(attempt).rejects.toThrow(`does not take subjects ${names.subjectPrefix}.>`);
    });

    it('stops a start on an unreachable server with one UnavailableError, and a bad URL with a ConfigError', async () => {
      await expect(NatsTransport.connect({ url: 'nats://127.0.0.1:1', db, ...names })).rejects.toThrow(
        /^NATS at nats:\/\/127\.0\.0\.1:1 is unreachable \(WEFT_EVENTS_TRANSPORT\)/,
      );
      expect(() => new NatsTransport({ url: 'http://127.0.0.1:4222', db })).toThrow(ConfigError);
    });
  });
}
