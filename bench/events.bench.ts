import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import Emittery from 'emittery';
import { pino } from 'pino';
import { z } from 'zod';
import {
  EventBus,
  Migrator,
  ValidationManager,
  WeftMetrics,
  createDatabase,
  defineEvent,
  eventMigrations,
  runWithContext,
} from '../src/integration/internal.js';
import type { BenchSuite } from './suite.js';

const tick = defineEvent({
  type: 'world_state.tick',
  version: 1,
  owner: 'world_state',
  durable: false,
  schema: z.object({ n: z.int() }),
});
const crafted = defineEvent({
  type: 'crafting.item_crafted',
  version: 1,
  owner: 'crafting',
  durable: true,
  schema: z.object({ itemId: z.string(), count: z.int() }),
});

/**
 * The peers' side of the durable suites: raw better-sqlite3 on its own file, whose event log table
 * (same columns and indexes) is made by the same migration, so both sides write the same rows.
 */
async function rawEventLog(folder: string, synchronous: 'NORMAL' | 'FULL') {
  const setup = await createDatabase(`sqlite:${join(folder, 'raw.db')}`);
  await new Migrator(setup).register('events', eventMigrations).up();
  await setup.close();
  const raw = new BetterSqlite3(join(folder, 'raw.db'));
  raw.pragma('journal_mode = WAL');
  raw.pragma(`synchronous = ${synchronous}`);
  const insert = raw.prepare(
    'insert into weft_event_log (id, type, version, source, time, partition_key, correlation_id, causation_id, traceparent, data) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  return { raw, insert };
}

/**
 * Volatile publish awaited until every handler ran, with 1 and 10 async subscribers: Weft against emittery and a bare
 * Promise.all loop.
 */
export async function volatileEventsSuite(): Promise<BenchSuite> {
  const db = await createDatabase('sqlite::memory:');
  const silent = pino({ level: 'silent' });
  const buses = [1, 10].map((subscribers) => {
    const bus = new EventBus({
      db,
      validation: new ValidationManager(),
      metrics: new WeftMetrics(),
      logger: silent,
    }).define(tick);
    for (let i = 0; i < subscribers; i++) bus.subscribe('world_state.tick', async () => {});
    return bus;
  });
  const emitters = [1, 10].map((subscribers) => {
    const emitter = new Emittery<{ tick: { n: number } }>();
    for (let i = 0; i < subscribers; i++) emitter.on('tick', async () => {});
    return emitter;
  });
  const loops = [1, 10].map((subscribers) =>
    Array.from({ length: subscribers }, () => async (_payload: { n: number }) => {}),
  );
  let n = 0;
  const [bus1, bus10] = buses;
  const [emitter1, emitter10] = emitters;
  const [loop1, loop10] = loops;
  if (
    bus1 === undefined ||
    bus10 === undefined ||
    emitter1 === undefined ||
    emitter10 === undefined ||
    loop1 === undefined ||
    loop10 === undefined
  )
    throw new Error('setup');
  return {
    name: 'volatile publish, awaited until every handler ran (envelope, validation, context and metrics on)',
    tasks: {
      'bare Promise.all loop, 1 subscriber': async () => {
        await Promise.all(loop1.map((h) => h({ n: ++n })));
      },
      'emittery await emit, 1 subscriber': async () => {
        await emitter1.emit('tick', { n: ++n });
      },
      'Weft publishAndWait, 1 subscriber': async () => {
        await bus1.publishAndWait('world_state.tick', { n: ++n }, { source: 'world_state' });
      },
      'bare Promise.all loop, 10 subscribers': async () => {
        await Promise.all(loop10.map((h) => h({ n: ++n })));
      },
      'emittery await emit, 10 subscribers': async () => {
        await emitter10.emit('tick', { n: ++n });
      },
      'Weft publishAndWait, 10 subscribers': async () => {
        await bus10.publishAndWait('world_state.tick', { n: ++n }, { source: 'world_state' });
      },
    },
    ratios: [
      {
        label: 'Weft throughput / emittery, 1 subscriber',
        task: 'emittery await emit, 1 subscriber',
        baseline: 'Weft publishAndWait, 1 subscriber',
        atLeast: 1,
      },
      {
        label: 'Weft throughput / emittery, 10 subscribers',
        task: 'emittery await emit, 10 subscribers',
        baseline: 'Weft publishAndWait, 10 subscribers',
        atLeast: 1,
      },
      {
        label: 'Weft / bare loop, 1 subscriber',
        task: 'Weft publishAndWait, 1 subscriber',
        baseline: 'bare Promise.all loop, 1 subscriber',
      },
      {
        label: 'Weft / bare loop, 10 subscribers',
        task: 'Weft publishAndWait, 10 subscribers',
        baseline: 'bare Promise.all loop, 10 subscribers',
      },
    ],
    around: (run) => runWithContext({ correlationId: 'bench' }, run),
    async close() {
      for (const bus of buses) await bus.close();
      await db.close();
    },
  };
}

/**
 * 1,000 durable events published in one transaction, against the same rows through raw better-sqlite3 in one
 * transaction.
 */
export async function durablePublishSuite(): Promise<BenchSuite> {
  const folder = await mkdtemp(join(tmpdir(), 'weft-bench-'));
  const db = await createDatabase({ url: `sqlite:${join(folder, 'weft.db')}`, sqlite: { synchronous: 'NORMAL' } });
  await new Migrator(db).register('events', eventMigrations).up();
  const bus = new EventBus({
    db,
    validation: new ValidationManager(),
    metrics: new WeftMetrics(),
    logger: pino({ level: 'silent' }),
  }).define(crafted);
  const { raw, insert } = await rawEventLog(folder, 'NORMAL');
  const insertMany = raw.transaction((count: number, base: number) => {
    for (let i = 0; i < count; i++) {
      insert.run(
        `raw-${base}-${i}`,
        'crafting.item_crafted',
        1,
        'crafting',
        new Date().toISOString(),
        null,
        'corr',
        null,
        null,
        JSON.stringify({ itemId: 'sword', count: i }),
      );
    }
  });
  let batch = 0;
  return {
    name: 'durable publish: 1,000 events in one transaction (SQLite file, synchronous=NORMAL)',
    tasks: {
      'raw better-sqlite3, the same 1,000 rows in one transaction': () => insertMany(1000, ++batch),
      'Weft publish x1,000 in db.transaction': async () => {
        await db.transaction(async () => {
          for (let i = 0; i < 1000; i++)
            await bus.publish('crafting.item_crafted', { itemId: 'sword', count: i }, { source: 'crafting' });
        });
      },
    },
    ratios: [
      {
        label: 'Weft throughput / raw better-sqlite3',
        task: 'raw better-sqlite3, the same 1,000 rows in one transaction',
        baseline: 'Weft publish x1,000 in db.transaction',
        atLeast: 0.5,
      },
    ],
    async close() {
      await bus.close();
      await db.close();
      raw.close();
      await rm(folder, { recursive: true, force: true });
    },
  };
}

/**
 * Durable end to end at synchronous=FULL: 100 events, each published in its own transaction, all
 * handled by one durable subscriber; against 100 raw one-row autocommit inserts at FULL (the
 * disk's flush rate is the limit for both).
 */
export async function durableEndToEndSuite(): Promise<BenchSuite> {
  const folder = await mkdtemp(join(tmpdir(), 'weft-bench-'));
  const db = await createDatabase({ url: `sqlite:${join(folder, 'weft.db')}`, sqlite: { synchronous: 'FULL' } });
  await new Migrator(db).register('events', eventMigrations).up();
  const bus = new EventBus({
    db,
    validation: new ValidationManager(),
    metrics: new WeftMetrics(),
    logger: pino({ level: 'silent' }),
  }).define(crafted);
  let handled = 0;
  let waiting: (() => void) | undefined;
  bus.subscribe(
    'crafting.item_crafted',
    () => {
      handled++;
      waiting?.();
    },
    { name: 'counter' },
  );
  await bus.ready();
  const { raw, insert } = await rawEventLog(folder, 'FULL');
  let n = 0;
  return {
    name: 'durable end to end, one event per transaction, SQLite file at synchronous=FULL',
    tasks: {
      'raw better-sqlite3, the same 100 event rows as autocommit inserts (FULL)': () => {
        for (let i = 0; i < 100; i++)
          insert.run(
            `raw-${++n}`,
            'crafting.item_crafted',
            1,
            'crafting',
            new Date().toISOString(),
            null,
            'corr',
            null,
            null,
            JSON.stringify({ itemId: 'sword', count: n }),
          );
      },
      'Weft, 100 events each in its own transaction, all handled by a durable subscriber (FULL)': async () => {
        const target = handled + 100;
        const done = new Promise<void>((resolve) => (waiting = () => handled >= target && resolve()));
        for (let i = 0; i < 100; i++)
          await bus.publish('crafting.item_crafted', { itemId: 'sword', count: ++n }, { source: 'crafting' });
        await done;
      },
    },
    ratios: [
      {
        label: 'Weft throughput / raw autocommit inserts',
        task: 'raw better-sqlite3, the same 100 event rows as autocommit inserts (FULL)',
        baseline: 'Weft, 100 events each in its own transaction, all handled by a durable subscriber (FULL)',
        atLeast: 0.6,
      },
    ],
    async close() {
      await bus.close();
      await db.close();
      raw.close();
      await rm(folder, { recursive: true, force: true });
    },
  };
}
