import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { createDatabase } from '../src/integration/internal.js';
import type { BenchSuite } from './suite.js';

interface Tables {
  player: { id: number; name: string; gold: number };
}

const CREATE = 'create table player (id integer primary key, name text not null, gold integer not null)';
const row = (id: number) => ({ id, name: `player-${id}`, gold: id % 1000 });

/** One-row insert on SQLite: raw better-sqlite3, bare Kysely, Weft's unit of work. Same file settings for all. */
export async function sqliteInsert(): Promise<BenchSuite> {
  const folder = await mkdtemp(join(tmpdir(), 'weft-bench-'));
  const open = (name: string) => {
    const db = new BetterSqlite3(join(folder, name));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.exec(CREATE);
    return db;
  };

  const raw = open('raw.db');
  const rawInsert = raw.prepare('insert into player (id, name, gold) values (?, ?, ?)');
  const kysely = new Kysely<Tables>({ dialect: new SqliteDialect({ database: open('kysely.db') }) });
  const kyselyTx = new Kysely<Tables>({ dialect: new SqliteDialect({ database: open('kysely-tx.db') }) });
  const weft = (
    await createDatabase({ url: `sqlite:${join(folder, 'weft.db')}`, sqlite: { synchronous: 'NORMAL' } })
  ).withTables<Tables>();
  await sql.raw(CREATE).execute(weft.executor());

  let id = 0;
  return {
    name: 'one-row insert, SQLite file (WAL, synchronous=NORMAL)',
    tasks: {
      'raw better-sqlite3 (prepared, autocommit)': () => {
        const r = row(++id);
        rawInsert.run(r.id, r.name, r.gold);
      },
      'bare Kysely insert (autocommit)': async () => {
        await kysely.insertInto('player').values(row(++id)).execute();
      },
      'bare Kysely transaction + insert': async () => {
        await kyselyTx.transaction().execute((trx) => trx.insertInto('player').values(row(++id)).execute());
      },
      'Weft db.transaction + insert': async () => {
        await weft.transaction((tx) => tx.insertInto('player').values(row(++id)).execute());
      },
    },
    ratios: [
      {
        label: 'bare Kysely / raw better-sqlite3',
        task: 'bare Kysely insert (autocommit)',
        baseline: 'raw better-sqlite3 (prepared, autocommit)',
      },
      {
        label: 'Weft unit of work / bare Kysely insert',
        task: 'Weft db.transaction + insert',
        baseline: 'bare Kysely insert (autocommit)',
        target: 1.2,
      },
      {
        label: 'Weft unit of work / bare Kysely transaction',
        task: 'Weft db.transaction + insert',
        baseline: 'bare Kysely transaction + insert',
        target: 1.2,
      },
      {
        label: 'Weft unit of work / raw better-sqlite3',
        task: 'Weft db.transaction + insert',
        baseline: 'raw better-sqlite3 (prepared, autocommit)',
      },
    ],
    async close() {
      raw.close();
      await Promise.all([kysely.destroy(), kyselyTx.destroy(), weft.close()]);
      await rm(folder, { recursive: true, force: true });
    },
  };
}

/** One-row insert on PostgreSQL: raw pg, bare Kysely, Weft's unit of work, each in its own schema. */
export async function postgresInsert(url: string): Promise<BenchSuite> {
  const schema = `weft_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.query(
    `create table ${schema}.player (id integer primary key, name text not null, gold integer not null)`,
  );
  const options = `-c search_path=${schema}`;

  const raw = new pg.Pool({ connectionString: url, max: 1, options });
  const kysely = new Kysely<Tables>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1, options }) }),
  });
  const weft = (await createDatabase({ url, postgres: { schema, pool: { max: 1 } } })).withTables<Tables>();

  let id = 0;
  return {
    name: 'one-row insert, PostgreSQL (loopback)',
    tasks: {
      'raw pg (autocommit)': async () => {
        const r = row(++id);
        await raw.query('insert into player (id, name, gold) values ($1, $2, $3)', [r.id, r.name, r.gold]);
      },
      'raw pg transaction + insert': async () => {
        const r = row(++id);
        const client = await raw.connect();
        try {
          await client.query('begin');
          await client.query('insert into player (id, name, gold) values ($1, $2, $3)', [r.id, r.name, r.gold]);
          await client.query('commit');
        } finally {
          client.release();
        }
      },
      'bare Kysely insert (autocommit)': async () => {
        await kysely.insertInto('player').values(row(++id)).execute();
      },
      'bare Kysely transaction + insert': async () => {
        await kysely.transaction().execute((trx) => trx.insertInto('player').values(row(++id)).execute());
      },
      'Weft db.transaction + insert': async () => {
        await weft.transaction((tx) => tx.insertInto('player').values(row(++id)).execute());
      },
    },
    ratios: [
      { label: 'bare Kysely / raw pg', task: 'bare Kysely insert (autocommit)', baseline: 'raw pg (autocommit)' },
      {
        label: 'Weft unit of work / bare Kysely transaction',
        task: 'Weft db.transaction + insert',
        baseline: 'bare Kysely transaction + insert',
        target: 1.2,
      },
      {
        label: 'Weft unit of work / raw pg transaction',
        task: 'Weft db.transaction + insert',
        baseline: 'raw pg transaction + insert',
      },
      {
        label: 'Weft unit of work / bare Kysely insert (1 vs 3 round trips)',
        task: 'Weft db.transaction + insert',
        baseline: 'bare Kysely insert (autocommit)',
      },
    ],
    async close() {
      await Promise.all([raw.end(), kysely.destroy(), weft.close()]);
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    },
  };
}
