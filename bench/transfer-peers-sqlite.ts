// The hand-written SQLite peers of the transfer benchmark: Fastify with better-sqlite3 by hand, and Fastify with
// Drizzle over better-sqlite3. Both use WAL and synchronous=FULL (what Weft's commands use), one transaction per
// request: read both accounts, check, write both. Each write bumps the account's version, so the transfers done are
// (sum of versions - accounts) / 2 without a statement more than the transfer itself.
import Sqlite from 'better-sqlite3';
import { eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { integer, sqliteTable } from 'drizzle-orm/sqlite-core';
import { plainTransferApp, type PlainTransfer, type TransferOutcome } from './transfer-plain-app.js';
import { ACCOUNTS, STARTING_GOLD, type Counts, type PeerServer } from './transfer-protocol.js';

/** Opens `file` with the pragmas of Weft's SQLite connections, and seeds ACCOUNTS accounts in one transaction. */
function seededSqlite(file: string): Sqlite.Database {
  const db = new Sqlite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('create table accounts (id integer primary key, balance integer not null, version integer not null)');
  const insert = db.prepare('insert into accounts values (?, ?, 1)');
  db.transaction(() => {
    for (let id = 0; id < ACCOUNTS; id++) insert.run(id, STARTING_GOLD);
  })();
  return db;
}

/** The tally of the plain peers' table. */
function sqliteTally(db: Sqlite.Database): Counts {
  const row = db
    .prepare(
      'select sum(balance) as total, sum(balance < 0) as negative, sum(version) - count(*) as writes from accounts',
    )
    .get() as { total: number; negative: number; writes: number };
  return { total: row.total, negative: row.negative, recorded: row.writes / 2 };
}

/** Fastify and better-sqlite3 by hand: prepared statements in one `BEGIN IMMEDIATE` transaction per request. */
export function bareSqlitePeer(file: string): PeerServer {
  const db = seededSqlite(file);
  const read = db.prepare('select balance from accounts where id = ?').pluck();
  const write = db.prepare('update accounts set balance = ?, version = version + 1 where id = ?');
  const transfer = db.transaction(({ from, to, amount }: PlainTransfer): TransferOutcome => {
    const fromBalance = read.get(from) as number;
    const toBalance = read.get(to) as number;
    if (fromBalance < amount) return { status: 409 };
    write.run(fromBalance - amount, from);
    write.run(toBalance + amount, to);
    return { status: 200, from: fromBalance - amount, to: toBalance + amount };
  });
  return {
    app: plainTransferApp((body) => transfer.immediate(body)),
    route: 'plain',
    tally: () => Promise.resolve(sqliteTally(db)),
    close: () => Promise.resolve(void db.close()),
  };
}

const accounts = sqliteTable('accounts', {
  id: integer('id').primaryKey(),
  balance: integer('balance').notNull(),
  version: integer('version').notNull(),
});

/** Fastify and Drizzle over better-sqlite3: one `db.transaction` (immediate) per request, Drizzle's query builder. */
export function drizzleSqlitePeer(file: string): PeerServer {
  const client = seededSqlite(file);
  const db = drizzle({ client });
  const transfer = ({ from, to, amount }: PlainTransfer): TransferOutcome =>
    db.transaction(
      (tx) => {
        const source = tx.select({ balance: accounts.balance }).from(accounts).where(eq(accounts.id, from)).get();
        const target = tx.select({ balance: accounts.balance }).from(accounts).where(eq(accounts.id, to)).get();
        if (source === undefined || target === undefined) throw new Error(`account ${from} or ${to} is missing`);
        if (source.balance < amount) return { status: 409 } as const;
        tx.update(accounts)
          .set({ balance: source.balance - amount, version: sql`${accounts.version} + 1` })
          .where(eq(accounts.id, from))
          .run();
        tx.update(accounts)
          .set({ balance: target.balance + amount, version: sql`${accounts.version} + 1` })
          .where(eq(accounts.id, to))
          .run();
        return { status: 200, from: source.balance - amount, to: target.balance + amount } as const;
      },
      { behavior: 'immediate' },
    );
  return {
    app: plainTransferApp(transfer),
    route: 'plain',
    tally: () => Promise.resolve(sqliteTally(client)),
    close: () => Promise.resolve(void client.close()),
  };
}
