// Two deployments (two databases) on one NATS server: each handles its own events only, once each deployment has a
// namespace. A QA pass found two deployments without one consuming each other's events (a wallet opened for a
// character of the other database, analytics counting the other's events) and no setting to keep them apart.
import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  EventBus,
  Migrator,
  NatsTransport,
  ValidationManager,
  defineEvent,
  eventMigrations,
  type Database,
  type WeftLogger,
} from 'weft/internal';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createTestDatabase } from 'weft/testing';
import { readServeConfig } from '../../src/server/index.js';
import { natsNamesOf } from '../../src/integration/events/nats/names.js';
import { deleteStreams, natsAvailableForTests, natsTestUrl } from './nats-test-server.js';

const entryPosted = defineEvent({
  type: 'ledger.entry_posted',
  version: 1,
  owner: 'ledger',
  durable: true,
  schema: z.object({ deployment: z.string(), n: z.int() }),
});

const quiet = { warn: () => undefined, error: () => undefined, info: () => undefined } as unknown as WeftLogger['root'];

describe('WEFT_NATS_NAMESPACE', () => {
  it('names a stream and subjects of its own, never overlapping another deployment’s', () => {
    expect(natsNamesOf()).toEqual({ stream: 'WEFT_EVENTS', subjectPrefix: 'weft.events' });
    expect(natsNamesOf('eu-1')).toEqual({ stream: 'WEFT_EVENTS_eu-1', subjectPrefix: 'weft.ns.eu-1' });
    // JetStream refuses two streams whose subjects overlap: `weft.events.>` and `weft.ns.events.>` do not.
    expect(natsNamesOf('events').subjectPrefix.startsWith('weft.events')).toBe(false);
    expect(() => natsNamesOf('eu.1')).toThrow(ConfigError);
  });

  it('is read with the NATS transport only, and checked', () => {
    const nats = { WEFT_EVENTS_TRANSPORT: 'nats://127.0.0.1:4222' };
    expect(readServeConfig({ ...nats, WEFT_NATS_NAMESPACE: 'eu1' }).natsNamespace).toBe('eu1');
    expect(readServeConfig(nats).natsNamespace).toBeUndefined();
    expect(() => readServeConfig({ ...nats, WEFT_NATS_NAMESPACE: 'eu 1' })).toThrow(/WEFT_NATS_NAMESPACE/);
    expect(() => readServeConfig({ WEFT_NATS_NAMESPACE: 'eu1' })).toThrow(/WEFT_NATS_NAMESPACE.*WEFT_EVENTS_TRANSPORT/);
  });
});

describe.runIf(await natsAvailableForTests())('two deployments on one NATS server', () => {
  it('each handles its own events only, under a subscription of the same name', { timeout: 30_000 }, async () => {
    const namespaces = ['a', 'b'].map((name) => `${name}_${randomBytes(4).toString('hex')}`);
    const closing: Array<() => Promise<void>> = [];
    try {
      const deployments = await Promise.all(
        namespaces.map(async (namespace) => {
          const db = await createTestDatabase({ file: true });
          await new Migrator(db).register('events', eventMigrations).up();
          const transport = new NatsTransport({ url: natsTestUrl(), db, namespace, pollIntervalMs: 20 });
          const bus = new EventBus({ db, validation: new ValidationManager(), logger: quiet, transport });
          closing.push(
            () => bus.close(),
            () => transport.close(),
            () => db.close(),
          );
          const handled: string[] = [];
          const typed = bus.define(entryPosted);
          typed.subscribe('ledger.entry_posted', (e) => void handled.push(e.data.deployment), { name: 'books' });
          await bus.ready();
          return { namespace, bus: typed, handled };
        }),
      );
      for (const [index, { namespace, bus }] of deployments.entries()) {
        for (let n = 0; n < 3 + index; n++) {
          await bus.publish('ledger.entry_posted', { deployment: namespace, n }, { source: 'ledger' });
        }
      }
      const [a, b] = deployments;
      await vi.waitFor(() => {
        expect(a?.handled).toHaveLength(3);
        expect(b?.handled).toHaveLength(4);
      });
      // A while longer, for anything of the other deployment's that would arrive late.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(a?.handled).toEqual(Array(3).fill(a?.namespace));
      expect(b?.handled).toEqual(Array(4).fill(b?.namespace));
    } finally {
      for (const close of closing.reverse()) await close();
      await deleteStreams(namespaces.map((namespace) => natsNamesOf(namespace).stream));
    }
  });
  it('refuses a second deployment on a stream another marked, and lets the first one’s processes in', async () => {
    const namespace = `shared_${randomBytes(4).toString('hex')}`;
    const { stream } = natsNamesOf(namespace);
    const closing: Array<() => Promise<void>> = [];
    const start = async (db: Pick<Database<unknown>, 'withTables'>): Promise<NatsTransport> => {
      const transport = new NatsTransport({ url: natsTestUrl(), db, namespace, pollIntervalMs: 20 });
      closing.push(() => transport.close());
      await transport.started;
      return transport;
    };
    try {
      const first = await createTestDatabase({ file: true });
      closing.push(() => first.close());
      await new Migrator(first).register('events', eventMigrations).up();
      await start(first);
      // Another process of the same deployment (the same database) shares the stream.
      const again = await first.connectAgain();
      closing.push(() => again.close());
      await start(again);

      // A deployment on another database, with the same namespace by mistake, is stopped at start.
      const other = await createTestDatabase({ file: true });
      closing.push(() => other.close());
      await new Migrator(other).register('events', eventMigrations).up();
      const refused = start(other);
      await expect(refused).rejects.toBeInstanceOf(ConfigError);
      await expect(refused).rejects.toThrow(
        new RegExp(`stream "${stream}" carries the events of another Weft deployment.*WEFT_NATS_NAMESPACE`),
      );
    } finally {
      for (const close of closing.reverse()) await close().catch(() => undefined);
      await deleteStreams([stream]);
    }
  });

  it('marks a stream made without a mark as the first deployment’s to start on it', async () => {
    const namespace = `unmarked_${randomBytes(4).toString('hex')}`;
    const { stream, subjectPrefix } = natsNamesOf(namespace);
    const nc = await connect({ servers: natsTestUrl() });
    const jsm = await jetstreamManager(nc);
    const db = await createTestDatabase({ file: true });
    try {
      // As a Weft of before the mark made it.
      await jsm.streams.add({ name: stream, subjects: [`${subjectPrefix}.>`], duplicate_window: 600_000_000_000 });
      await new Migrator(db).register('events', eventMigrations).up();
      const transport = new NatsTransport({ url: natsTestUrl(), db, namespace, pollIntervalMs: 20 });
      await transport.started;
      await transport.close();
      expect((await jsm.streams.info(stream)).config.description).toMatch(/^weft deployment [0-9a-f-]{36}$/);
    } finally {
      await db.close();
      await jsm.streams.delete(stream).catch(() => undefined);
      await nc.close();
    }
  });
});
