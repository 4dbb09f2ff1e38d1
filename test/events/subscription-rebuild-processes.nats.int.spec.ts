import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  EventBus,
  Migrator,
  NatsTransport,
  ValidationManager,
  defineEvent,
  eventMigrations,
  type Database,
  type WeftLogger,
} from 'weft/internal';
import { createTestDatabase, postgresAvailableForTests, type TestDatabase } from 'weft/testing';
import { NatsServerProcess } from '../chaos/nats-server-process.js';
import { deleteStreams, natsAvailableForTests, natsTestUrl, uniqueStream } from './nats-test-server.js';

// Replays of a NATS subscription while several processes (a bus, a transport and a connection each) deliver it under
// continuous publishing: every event of the log counted exactly once afterwards, in order per key, no dead letters.
const ready = (await natsAvailableForTests()) && (await postgresAvailableForTests());

const scored = defineEvent({
  type: 'scores.scored',
  version: 1,
  owner: 'scores',
  durable: true,
  schema: z.object({ key: z.string(), n: z.int() }),
  partitionKey: (data) => data.key,
});

const quiet = { warn: () => undefined, error: () => undefined, info: () => undefined } as unknown as WeftLogger['root'];

interface Tables {
  /** One row per event the projection counted, with how many times: 1 each once the replay is done. */
  counted: { event_id: string; n: number; times: number };
  /** The order the projection applied each key's events in (the serial id). */
  applied: { id?: number; key: string; n: number };
}

const KEYS = 4;

interface ProjectOptions {
  /** Runs before the handler counts event `n`. */
  readonly before?: (n: number) => Promise<void> | void;
  /** Runs first in the reset (a throw fails the replay). */
  readonly reset?: () => void;
}

describe.runIf(ready)('replaying a NATS subscription while several processes deliver it (PostgreSQL)', () => {
  let db: TestDatabase<unknown>;
  let names: { stream: string; subjectPrefix: string };
  let closing: Array<() => Promise<void>>;
  /** The NATS server the processes use: the shared one, or a test's own that it kills. */
  let server: NatsServerProcess | undefined;

  beforeEach(async () => {
    closing = [];
    server = undefined;
    names = uniqueStream();
    db = await createTestDatabase({ dialect: 'postgres' });
    await new Migrator(db).register('events', eventMigrations).up();
    await db
      .executor()
      .schema.createTable('counted')
      .addColumn('event_id', 'text', (c) => c.primaryKey())
      .addColumn('n', 'integer')
      .addColumn('times', 'integer')
      .execute();
    await db
      .executor()
      .schema.createTable('applied')
      .addColumn('id', 'serial', (c) => c.primaryKey())
      .addColumn('key', 'text')
      .addColumn('n', 'integer')
      .execute();
  });

  afterEach(async () => {
    for (const close of closing.reverse()) await close().catch(() => undefined);
    await db.close();
    if (server === undefined) await deleteStreams([names.stream]);
    await server?.dispose();
  });

  /** A process: its own connection, transport and bus, delivering the projection. */
  const processOn = async (options: ProjectOptions = {}) => {
    const on = await db.connectAgain();
    const transport = new NatsTransport({
      url: server?.url ?? natsTestUrl(),
      db: on,
      ...names,
      pollIntervalMs: 20,
      leaseMs: 600,
      ackWaitMs: 400,
      logger: quiet,
    });
    const bus = new EventBus({
      db: on,
      validation: new ValidationManager(),
      logger: quiet,
      pollIntervalMs: 20,
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
      transport,
    }).define(scored);
    closing.push(async () => {
      await bus.close();
      await on.close();
    });
    project(bus, on, options);
    return bus;
  };

  const project = (
    bus: EventBus<{ 'scores.scored': { key: string; n: number } }>,
    on: Database<unknown>,
    options: ProjectOptions,
  ) => {
    const rows = on.withTables<Tables>();
    bus.subscribe(
      'scores.scored',
      async (event) => {
        await options.before?.(event.data.n);
        await rows
          .executor()
          .insertInto('counted')
          .values({ event_id: event.id, n: event.data.n, times: 1 })
          .onConflict((oc) => oc.column('event_id').doUpdateSet((eb) => ({ times: eb('counted.times', '+', 1) })))
          .execute();
        await rows.executor().insertInto('applied').values({ key: event.data.key, n: event.data.n }).execute();
      },
      {
        name: 'scores',
        startFrom: 'beginning',
        reset: async () => {
          options.reset?.();
          await rows.executor().deleteFrom('counted').execute();
          await rows.executor().deleteFrom('applied').execute();
        },
      },
    );
  };

  const countedRows = async () => db.withTables<Tables>().executor().selectFrom('counted').selectAll().execute();

  const logged = async (): Promise<number> => {
    const row = await db
      .executor()
      .selectFrom('weft_event_log' as never)
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  };

  /** Publishes from `bus` until `stop` is set, one key after another; resolves how many it published. */
  const publishing = (bus: EventBus<{ 'scores.scored': { key: string; n: number } }>) => {
    let stop = false;
    const done = (async () => {
      let n = 0;
      while (!stop) {
        await bus.publish('scores.scored', { key: `k${n % KEYS}`, n }, { source: 'scores' });
        n++;
        if (n % 10 === 0) await sleep(5);
      }
      return n;
    })();
    // A test that fails part way stops it before the buses close.
    closing.push(async () => {
      stop = true;
      await done.catch(() => undefined);
    });
    return {
      stop: () => {
        stop = true;
        return done;
      },
    };
  };

  const until = async (what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> => {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (await check()) return;
    throw new Error(`${what}: not reached within ${ms} ms`);
  };

  /** Every event of the log counted exactly once, each key's in publishing order, no dead letters. */
  const settled = async (bus: EventBus<{ 'scores.scored': { key: string; n: number } }>, published: number) => {
    expect(await logged()).toBe(published);
    await until(`all ${published} events counted`, async () => (await countedRows()).length >= published, 60_000);
    await sleep(1500);
    const rows = await countedRows();
    const twice = rows.filter((row) => Number(row.times) !== 1).map((row) => [Number(row.n), Number(row.times)]);
    expect(twice).toEqual([]);
    expect(rows.length).toBe(published);
    const applied = await db.withTables<Tables>().executor().selectFrom('applied').selectAll().orderBy('id').execute();
    for (let k = 0; k < KEYS; k++) {
      const order = applied.filter((row) => row.key === `k${k}`).map((row) => Number(row.n));
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
    expect(await bus.deadLetters.list()).toEqual([]);
  };

  it('a replay from one of three delivering processes under continuous publishing: each event counted once', async () => {
    const [one, two, three] = [await processOn(), await processOn(), await processOn()];
    await Promise.all([one.ready(), two.ready(), three.ready()]);
    const load = publishing(one);
    await until('200 counted before the replay', async () => (await countedRows()).length >= 200);
    await two.rebuild('scores');
    const after = await logged();
    await until('the replay past the rewind', async () => (await countedRows()).length >= after + 100);
    const published = await load.stop();
    await settled(three, published);
  });

  it('two replays at once from two processes: each event counted once', async () => {
    const [one, two, three] = [await processOn(), await processOn(), await processOn()];
    await Promise.all([one.ready(), two.ready(), three.ready()]);
    const load = publishing(three);
    await until('200 counted before the replays', async () => (await countedRows()).length >= 200);
    const results = await Promise.allSettled([one.rebuild('scores'), two.rebuild('scores')]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled']);
    const after = await logged();
    await until('the replays past the rewind', async () => (await countedRows()).length >= after + 100);
    const published = await load.stop();
    await settled(three, published);
  });

  /**
   * A holder in the middle of a long backlog (its handler stopped on event 50 of 500, a group pulled ahead) while
   * another process replays, and the replay fails after its consumer was made anew (`fail`): the replay rolls back.
   * Then later events still come, and every event is counted once.
   */
  const failedReplay = async (fail: { readonly armed: (on: boolean) => void; readonly reset?: () => void }) => {
    let reached: () => void = () => undefined;
    const atFifty = new Promise<void>((resolve) => (reached = resolve));
    let goOn: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (goOn = resolve));
    let firstTime = true;
    const holder = await processOn({
      before: async (n) => {
        if (n !== 50 || !firstTime) return;
        firstTime = false;
        reached();
        await released;
      },
    });
    await holder.ready();
    await db.transaction(async () => {
      for (let n = 0; n < 500; n++)
        await holder.publish('scores.scored', { key: `k${n % KEYS}`, n }, { source: 'scores' });
    });
    await atFifty;
    const operator = await processOn(fail.reset === undefined ? {} : { reset: fail.reset });
    await operator.ready();
    fail.armed(true);
    await expect(operator.rebuild('scores')).rejects.toThrow();
    fail.armed(false);
    goOn();
    for (let n = 500; n < 505; n++)
      await operator.publish('scores.scored', { key: `k${n % KEYS}`, n }, { source: 'scores' });
    await settled(operator, 505);
  };

  it('a replay whose reset fails after the consumer was made anew: the subscription goes on, once each', async () => {
    let armed = false;
    await failedReplay({
      armed: (on) => (armed = on),
      reset: () => {
        if (armed) throw new Error('the reset cannot run now');
      },
    });
  });

  it('a replay whose consumer add fails after the delete: the subscription goes on, once each', async () => {
    const nc = await connect({ servers: natsTestUrl() });
    closing.push(() => nc.close());
    const consumers = Object.getPrototypeOf((await jetstreamManager(nc)).consumers) as {
      add: (...args: unknown[]) => Promise<unknown>;
    };
    let armed = false;
    const add = consumers.add;
    const spy = vi.spyOn(consumers, 'add').mockImplementation(function (this: unknown, ...args: unknown[]) {
      if (armed) return Promise.reject(new Error('NATS went away'));
      return add.apply(this, args);
    });
    closing.push(() => Promise.resolve(spy.mockRestore()));
    await failedReplay({ armed: (on) => (armed = on) });
  });

  it('NATS killed during a replay, between its consumer made anew and its commit, then back: once each', async () => {
    server = await NatsServerProcess.start();
    let killing: Promise<void> | undefined;
    const [one, two] = [await processOn(), await processOn()];
    const operator = await processOn({
      reset: () => {
        killing ??= server?.kill();
      },
    });
    await Promise.all([one.ready(), two.ready(), operator.ready()]);
    const load = publishing(one);
    await until('200 counted before the replay', async () => (await countedRows()).length >= 200);
    await operator.rebuild('scores');
    await killing;
    const during = await countedRows();
    await server.restart();
    const after = await logged();
    await until('the replay past the outage', async () => (await countedRows()).length >= after + 100, 60_000);
    const published = await load.stop();
    expect(during.length).toBeLessThan(published);
    await settled(two, published);
  }, 120_000);

  it('NATS killed as a replay deletes its consumer, then back: once each', async () => {
    server = await NatsServerProcess.start();
    const monitor = await connect({ servers: server.url, maxReconnectAttempts: -1 });
    closing.push(() => monitor.close());
    let killing: Promise<void> | undefined;
    monitor.subscribe('$JS.API.CONSUMER.DELETE.>', { callback: () => void (killing ??= server?.kill()) });
    await monitor.flush();
    const [one, two, operator] = [await processOn(), await processOn(), await processOn()];
    await Promise.all([one.ready(), two.ready(), operator.ready()]);
    const load = publishing(one);
    await until('200 counted before the replay', async () => (await countedRows()).length >= 200);
    const outcome = await operator.rebuild('scores').then(
      () => 'replayed',
      (error: unknown) => String(error),
    );
    await killing;
    await server.restart();
    const after = await logged();
    await until(
      `the subscription past the outage (the replay: ${outcome})`,
      async () => (await countedRows()).length >= after + 100,
      60_000,
    );
    const published = await load.stop();
    await settled(two, published);
  }, 120_000);
});
