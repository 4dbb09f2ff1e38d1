import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  EventBus,
  Migrator,
  NatsTransport,
  ValidationManager,
  defineEvent,
  eventMigrations,
  type WeftLogger,
} from 'weft/internal';
import { createTestDatabase, type TestDatabase } from 'weft/testing';
import { deleteStreams, natsAvailableForTests, natsTestUrl, uniqueStream } from './nats-test-server.js';

const nats = await natsAvailableForTests();

const noted = defineEvent({
  type: 'notes.noted',
  version: 1,
  owner: 'notes',
  durable: true,
  schema: z.object({ n: z.int() }),
});

const quiet = { warn: () => undefined, error: () => undefined, info: () => undefined } as unknown as WeftLogger['root'];

describe.runIf(nats)('NATS replay after a consumer made again by its holder', () => {
  const names = uniqueStream();
  const closing: Array<() => Promise<void>> = [];
  let db: TestDatabase<unknown>;

  afterEach(async () => {
    for (const close of closing.reverse()) await close().catch(() => undefined);
    await db.close();
    await deleteStreams([names.stream]);
  });

  it('a replay from another process is not skipped by what the holder’s earlier recovery acknowledged', async () => {
    db = await createTestDatabase({ file: true });
    await new Migrator(db).register('events', eventMigrations).up();
    const seen: number[] = [];
    const busOn = async () => {
      const on = await db.connectAgain();
      const transport = new NatsTransport({
        url: natsTestUrl(),
        db: on,
        ...names,
        pollIntervalMs: 20,
        leaseMs: 3000,
        ackWaitMs: 2000,
      });
      const bus = new EventBus({
        db: on,
        validation: new ValidationManager(),
        transport,
        logger: quiet,
        pollIntervalMs: 20,
      }).define(noted);
      bus.subscribe('notes.noted', (event) => void seen.push(event.data.n), {
        name: 'notes_seen',
        startFrom: 'beginning',
        reset: () => void seen.splice(0),
      });
      closing.push(
        () => bus.close(),
        () => on.close(),
      );
      await bus.ready();
      return bus;
    };
    const holder = await busOn();
    for (let n = 0; n < 3; n++) await holder.publish('notes.noted', { n }, { source: 'notes' });
    await vi.waitFor(() => expect(seen).toEqual([0, 1, 2]), { timeout: 5000 });
    // The cursor row mirrors the acknowledged position.
    await vi.waitFor(async () => {
      const row = await db
        .executor()
        .selectFrom('weft_event_cursors' as never)
        .select('seq' as never)
        .executeTakeFirst();
      expect(Number((row as { seq: number } | undefined)?.seq)).toBe(3);
    });
    // A replay that deleted the consumer and could not add it again: the holder's next pull makes it again.
    const nc = await connect({ servers: natsTestUrl() });
    const jsm = await jetstreamManager(nc);
    const [consumer] = await jsm.consumers.list(names.stream).next();
    await jsm.consumers.delete(names.stream, consumer?.name ?? '');
    await vi.waitFor(
      async () => expect((await jsm.consumers.info(names.stream, consumer?.name ?? '')).num_ack_pending).toBe(0),
      { timeout: 15_000, interval: 200 },
    );
    await sleep(300);
    await nc.close();
    expect(seen).toEqual([0, 1, 2]);

    // Another process replays while the holder still holds the subscription.
    const operator = await busOn();
    await operator.rebuild('notes_seen');
    // Every event comes again, once.
    await vi.waitFor(() => expect(seen).toEqual([0, 1, 2]), { timeout: 15_000 });
  }, 60_000);
});
