import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { EventBus, Migrator, NatsTransport, ValidationManager, defineEvent, eventMigrations } from 'weft/internal';
import { createTestDatabase, postgresAvailableForTests, type TestDatabase } from 'weft/testing';
import {
  deleteStreams,
  natsAvailableForTests,
  natsTestUrl,
  natsTransportsPerTest,
  uniqueStream,
} from './nats-test-server.js';
import { subscriptionRebuildContract } from './subscription-rebuild.contract.js';

// On NATS the position is the broker's consumer: a replay makes it anew from the start of the stream, under the cursor
// row's fence, which every NATS delivery confirms in its transaction.
const nats = await natsAvailableForTests();

const noted = defineEvent({
  type: 'notes.noted',
  version: 1,
  owner: 'notes',
  durable: true,
  schema: z.object({ n: z.int() }),
});

describe.runIf(nats)('NATS JetStream transport, SQLite', () => {
  subscriptionRebuildContract('SQLite file, NATS', () => createTestDatabase({ file: true }), natsTransportsPerTest());
});

describe.runIf(nats && (await postgresAvailableForTests()))('NATS JetStream transport, PostgreSQL', () => {
  subscriptionRebuildContract(
    'PostgreSQL, NATS',
    () => createTestDatabase({ dialect: 'postgres' }),
    natsTransportsPerTest(),
  );
});

describe.runIf(nats)('NATS JetStream transport: a stream that lost the log’s start', () => {
  const names = uniqueStream();
  let db: TestDatabase<unknown>;
  let bus: { close(): Promise<void> };

  afterEach(async () => {
    await bus.close();
    await db.close();
    await deleteStreams([names.stream]);
  });

  it('refuses a replay that would miss the events the stream no longer holds, changing nothing', async () => {
    db = await createTestDatabase({ file: true });
    await new Migrator(db).register('events', eventMigrations).up();
    const transport = new NatsTransport({ url: natsTestUrl(), db, ...names, pollIntervalMs: 20, leaseMs: 200 });
    const events = new EventBus({ db, validation: new ValidationManager(), transport, pollIntervalMs: 20 }).define(
      noted,
    );
    bus = events;
    const seen: number[] = [];
    events.subscribe('notes.noted', (event) => void seen.push(event.data.n), {
      name: 'notes_seen',
      startFrom: 'beginning',
      reset: () => void seen.splice(0),
    });
    await events.ready();
    for (let n = 0; n < 3; n++) await events.publish('notes.noted', { n }, { source: 'notes' });
    await events.drain();
    await vi.waitFor(() => expect(seen).toEqual([0, 1, 2]));
    // A limit or a purge took the stream's first message.
    const nc = await connect({ servers: natsTestUrl() });
    try {
      await (await jetstreamManager(nc)).streams.deleteMessage(names.stream, 1);
    } finally {
      await nc.close();
    }
    await expect(events.rebuild('notes_seen')).rejects.toThrow(/no longer holds the start of the event log/);
    expect(seen).toEqual([0, 1, 2]);
    // Its consumer and lease are as they were: later events come, once each.
    await events.publish('notes.noted', { n: 3 }, { source: 'notes' });
    await vi.waitFor(() => expect(seen).toEqual([0, 1, 2, 3]), { timeout: 5000 });
  });
});
