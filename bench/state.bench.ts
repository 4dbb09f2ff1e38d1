import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { pino } from 'pino';
import { z } from 'zod';
import {
  EventBus,
  Migrator,
  StateStore,
  ValidationManager,
  WeftMetrics,
  createDatabase,
  defineEvent,
  eventMigrations,
  stateMigrations,
  type Database,
} from '../src/integration/internal.js';
import type { BenchSuite } from './suite.js';

const crafted = defineEvent({
  type: 'crafting.item_crafted',
  version: 1,
  owner: 'crafting',
  durable: true,
  schema: z.object({ playerId: z.string(), itemId: z.string() }),
});
const wallet = z.object({ gold: z.int().min(0) });
const inventory = z.object({ crafted: z.int().min(0) });

const EVENT_COLUMNS = 'id, type, version, source, time, partition_key, correlation_id, causation_id, traceparent, data';
const HISTORY_COLUMNS =
  'system, key, version, value, patch, kind, transaction_id, correlation_id, changed_at, changed_by';

/** A Weft store on `db`, with the two slices the benchmark writes. */
async function weftStore(db: Database) {
  await new Migrator(db).register('events', eventMigrations).register('state', stateMigrations).up();
  const validation = new ValidationManager();
  const events = new EventBus({ db, validation, metrics: new WeftMetrics(), logger: pino({ level: 'silent' }) }).define(
    crafted,
  );
  const state = new StateStore({
    db,
    validation,
    events,
    metrics: new WeftMetrics(),
    logger: pino({ level: 'silent' }),
  });
  state.registerStateSync('economy', { schema: wallet });
  state.registerStateSync('character', { schema: inventory });
  return { events, state };
}

/** The game action both sides run: 1 gold from the wallet, one more item crafted, one durable event. */
function craftWith(store: Awaited<ReturnType<typeof weftStore>>, player: string) {
  return store.state.transaction(async (tx) => {
    await tx.update<{ gold: number }>('economy', player, (w) => ({ gold: (w?.gold ?? 1_000_000_000) - 1 }));
    await tx.update<{ crafted: number }>('character', player, (c) => ({ crafted: (c?.crafted ?? 0) + 1 }));
    await store.events.publish('crafting.item_crafted', { playerId: player, itemId: 'sword' }, { source: 'crafting' });
  });
}

/** The rows the hand-written side writes for one entry: the new value, the history row, the state.changed event. */
function entryRows(
  system: string,
  key: string,
  before: unknown,
  after: unknown,
  version: number,
  transactionId: string,
  now: string,
) {
  const patch = JSON.stringify([{ op: 'replace', path: '', value: after }]);
  const change = JSON.stringify({ system, key, version, kind: 'set', transactionId, value: after });
  return {
    value: JSON.stringify(after),
    history: [system, key, version, JSON.stringify(after), patch, 'set', transactionId, null, now, null],
    event: [randomUUID(), 'state.changed', 1, 'state', now, `${system}:${key}`, 'bench', null, null, change],
    before,
  };
}

/**
 * A two-system transaction (two updates, one durable event) through Weft, against the same SQL
 * written by hand in one raw better-sqlite3 transaction (same tables, same rows: entries, history,
 * events). SQLite file at synchronous=NORMAL, so the figures are the work, not the disk's flushes.
 */
export async function stateSqliteSuite(): Promise<BenchSuite> {
  const folder = await mkdtemp(join(tmpdir(), 'weft-bench-'));
  const db = await createDatabase({ url: `sqlite:${join(folder, 'weft.db')}`, sqlite: { synchronous: 'NORMAL' } });
  const store = await weftStore(db);
  const rawSetup = await createDatabase({ url: `sqlite:${join(folder, 'raw.db')}` });
  await new Migrator(rawSetup).register('events', eventMigrations).register('state', stateMigrations).up();
  await rawSetup.close();
  const raw = new BetterSqlite3(join(folder, 'raw.db'));
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  const read = raw.prepare<[string, string], { value: string; version: number }>(
    'select value, version from weft_state_entries where system = ? and key = ?',
  );
  const insert = raw.prepare(
    'insert into weft_state_entries (system, key, value, version, updated_at, updated_by) values (?, ?, ?, ?, ?, null)',
  );
  const update = raw.prepare(
    'update weft_state_entries set value = ?, version = ?, updated_at = ? where system = ? and key = ? and version = ?',
  );
  const history = raw.prepare(
    `insert into weft_state_history (${HISTORY_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const event = raw.prepare(`insert into weft_event_log (${EVENT_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const write = (
    system: string,
    key: string,
    next: (value: Record<string, number> | undefined) => Record<string, number>,
    transactionId: string,
    now: string,
  ) => {
    const row = read.get(system, key);
    const before = row === undefined ? undefined : (JSON.parse(row.value) as Record<string, number>);
    const version = (row?.version ?? 0) + 1;
    const rows = entryRows(system, key, before, next(before), version, transactionId, now);
    if (row === undefined) insert.run(system, key, rows.value, version, now);
    else if (update.run(rows.value, version, now, system, key, row.version).changes !== 1) throw new Error('conflict');
    history.run(...rows.history);
    event.run(...rows.event);
  };
  const craftRaw = raw.transaction((player: string) => {
    const transactionId = randomUUID();
    const now = new Date().toISOString();
    write('economy', player, (w) => ({ gold: (w?.gold ?? 1_000_000_000) - 1 }), transactionId, now);
    write('character', player, (c) => ({ crafted: (c?.crafted ?? 0) + 1 }), transactionId, now);
    event.run(
      randomUUID(),
      'crafting.item_crafted',
      1,
      'crafting',
      now,
      null,
      'bench',
      null,
      null,
      JSON.stringify({ playerId: player, itemId: 'sword' }),
    );
  });
  return {
    name: 'two-system state transaction (2 updates + 1 durable event), SQLite file at synchronous=NORMAL',
    tasks: {
      'hand-written SQL, raw better-sqlite3 transaction': () => craftRaw('ann'),
      'Weft state.transaction': async () => {
        await craftWith(store, 'ann');
      },
    },
    ratios: [
      {
        label: 'Weft / hand-written SQL',
        task: 'Weft state.transaction',
        baseline: 'hand-written SQL, raw better-sqlite3 transaction',
        target: 1.5,
      },
    ],
    async close() {
      await store.events.close();
      await db.close();
      raw.close();
      await rm(folder, { recursive: true, force: true });
    },
  };
}

/** The hand-written side on PostgreSQL: the same statements Weft sends, through one pg client per caller. */
async function rawPostgresCraft(client: pg.Client, player: string): Promise<void> {
  const transactionId = randomUUID();
  const now = new Date().toISOString();
  await client.query('begin');
  try {
    for (const [system, next] of [
      ['economy', (v: Record<string, number> | undefined) => ({ gold: (v?.gold ?? 1_000_000_000) - 1 })],
      ['character', (v: Record<string, number> | undefined) => ({ crafted: (v?.crafted ?? 0) + 1 })],
    ] as const) {
      const { rows } = await client.query<{ value: string; version: number }>(
        'select value, version from weft_state_entries where system = $1 and key = $2 for update',
        [system, player],
      );
      const row = rows[0];
      const before = row === undefined ? undefined : (JSON.parse(row.value) as Record<string, number>);
      const version = (row?.version ?? 0) + 1;
      const written = entryRows(system, player, before, next(before), version, transactionId, now);
      if (row === undefined)
        await client.query(
          'insert into weft_state_entries (system, key, value, version, updated_at) values ($1, $2, $3, $4, $5)',
          [system, player, written.value, version, now],
        );
      else
        await client.query(
          'update weft_state_entries set value = $1, version = $2, updated_at = $3 where system = $4 and key = $5 and version = $6',
          [written.value, version, now, system, player, row.version],
        );
      await client.query(
        `insert into weft_state_history (${HISTORY_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        written.history,
      );
      (client as pg.Client & { events?: unknown[][] }).events ??= [];
      (client as pg.Client & { events: unknown[][] }).events.push(written.event);
    }
    const pending = (client as pg.Client & { events: unknown[][] }).events;
    pending.push([
      randomUUID(),
      'crafting.item_crafted',
      1,
      'crafting',
      now,
      null,
      'bench',
      null,
      null,
      JSON.stringify({ playerId: player, itemId: 'sword' }),
    ]);
    // The outbox ordering lock, then the events in one multi-row insert, as Weft writes them.
    await client.query(`select pg_advisory_xact_lock(hashtext(current_schema() || '.weft_event_log'))`);
    const values = pending
      .map((_, row) => `(${Array.from({ length: 10 }, (__, column) => `$${row * 10 + column + 1}`).join(', ')})`)
      .join(', ');
    await client.query(`insert into weft_event_log (${EVENT_COLUMNS}) values ${values}`, pending.flat());
    pending.length = 0;
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw error;
  }
}

/** Schemas for one PostgreSQL suite: Weft's and the hand-written side's, each migrated. */
async function postgresSchemas(url: string) {
  const schema = `weft_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  for (const name of [schema, `${schema}_raw`]) await admin.query(`create schema ${name}`);
  const rawSetup = await createDatabase({ url, postgres: { schema: `${schema}_raw` } });
  await new Migrator(rawSetup).register('events', eventMigrations).register('state', stateMigrations).up();
  await rawSetup.close();
  const connect = async () => {
    const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}_raw` });
    await client.connect();
    return client;
  };
  const drop = async () => {
    for (const name of [schema, `${schema}_raw`]) await admin.query(`drop schema ${name} cascade`);
    await admin.end();
  };
  return { schema, connect, drop };
}

/** The same two-system transaction on PostgreSQL, one caller at a time. */
export async function statePostgresSuite(url: string): Promise<BenchSuite> {
  const schemas = await postgresSchemas(url);
  const db = await createDatabase({ url, postgres: { schema: schemas.schema } });
  const store = await weftStore(db);
  const client = await schemas.connect();
  return {
    name: 'two-system state transaction (2 updates + 1 durable event), PostgreSQL',
    tasks: {
      'hand-written SQL, raw pg transaction': async () => {
        await rawPostgresCraft(client, 'ann');
      },
      'Weft state.transaction': async () => {
        await craftWith(store, 'ann');
      },
    },
    ratios: [
      {
        label: 'Weft / hand-written SQL',
        task: 'Weft state.transaction',
        baseline: 'hand-written SQL, raw pg transaction',
        target: 1.5,
      },
    ],
    // The server's commit latency swings over seconds: many short rounds, so both sides meet the same swings.
    rounds: { count: 11, timeMs: 600 },
    async close() {
      await store.events.close();
      await db.close();
      await client.end();
      await schemas.drop();
    },
  };
}

/**
 * 16 concurrent clients, each updating its own keys, on PostgreSQL: transactions per second against the hand-written
 * SQL at the same concurrency.
 */
export async function statePostgresConcurrentSuite(url: string): Promise<BenchSuite> {
  const schemas = await postgresSchemas(url);
  const db = await createDatabase({ url, postgres: { schema: schemas.schema, pool: { max: 16 } } });
  const store = await weftStore(db);
  const clients = await Promise.all(Array.from({ length: 16 }, () => schemas.connect()));
  const players = clients.map((_, i) => `player-${i}`);
  return {
    name: '16 concurrent clients, distinct keys, two-system transactions, PostgreSQL (one op = 16 transactions)',
    tasks: {
      'hand-written SQL, 16 pg clients': async () => {
        await Promise.all(clients.map((client, i) => rawPostgresCraft(client, players[i] ?? 'x')));
      },
      'Weft state.transaction, 16 at once': async () => {
        await Promise.all(players.map((player) => craftWith(store, player)));
      },
    },
    ratios: [
      {
        label: 'Weft / hand-written SQL at 16 clients (reported, no target)',
        task: 'Weft state.transaction, 16 at once',
        baseline: 'hand-written SQL, 16 pg clients',
      },
    ],
    rounds: { count: 11, timeMs: 600 },
    async close() {
      await store.events.close();
      await db.close();
      await Promise.all(clients.map((client) => client.end()));
      await schemas.drop();
    },
  };
}
