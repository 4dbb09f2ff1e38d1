// What the group commit tests share: a SQLite file with accounts, a transfer, a way to make transactions queue
// behind one that holds the connection, and a count of the statements that end or split transactions.
import { sql } from 'kysely';
import type { Database, DatabaseOptions, QueryEvent } from 'weft/internal';
import { createTestDatabase, type TestDatabase } from 'weft/testing';

/** The tables of the group commit tests. */
export interface Tables {
  account: { id: number; balance: number };
  note: { id: string };
  parent: { id: number };
  child: { id: number; parent_id: number };
}

/** Statements seen by `onQuery`, counted by kind. */
export interface StatementCounts {
  commits: number;
  /** The savepoints group commit opens, one per member of a group of two or more. */
  memberSavepoints: number;
}

/** A SQLite file with `accounts` accounts of `balance` each, and the counts of its commits and member savepoints. */
export async function openAccounts(
  accounts: number,
  balance: number,
  options: Omit<DatabaseOptions, 'url'> = {},
): Promise<{ db: TestDatabase<Tables>; counts: StatementCounts }> {
  const counts: StatementCounts = { commits: 0, memberSavepoints: 0 };
  const db = await createTestDatabase<Tables>({
    file: true,
    options: { ...options, onQuery: (event) => count(counts, event) },
  });
  await createTables(db);
  if (accounts > 0) {
    await db
      .executor()
      .insertInto('account')
      .values(Array.from({ length: accounts }, (_, id) => ({ id, balance })))
      .execute();
  }
  counts.commits = 0;
  counts.memberSavepoints = 0;
  return { db, counts };
}

function count(counts: StatementCounts, event: QueryEvent): void {
  if (event.error !== undefined) return;
  if (event.sql === 'commit') counts.commits++;
  else if (event.sql === 'savepoint weft_group_member') counts.memberSavepoints++;
}

/** Creates the tables; `child.parent_id`'s foreign key is checked at COMMIT (deferred). */
export async function createTables(db: Database<Tables>): Promise<void> {
  const schema = db.executor().schema;
  await schema
    .createTable('account')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('balance', 'integer', (c) => c.notNull())
    .execute();
  await schema
    .createTable('note')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .execute();
  await schema
    .createTable('parent')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .execute();
  await sql`create table child (
    id integer primary key,
    parent_id integer not null references parent(id) deferrable initially deferred
  )`.execute(db.executor());
}

/** Refused by `transfer` when the payer has too little: the member throws and its savepoint rolls back. */
export class InsufficientFunds extends Error {}

/**
 * Moves `amount` from one account to another: reads both, checks, writes both, awaiting in between (where another
 * transaction's statements would slip in if isolation failed).
 */
export async function transfer(db: Database<Tables>, from: number, to: number, amount: number): Promise<void> {
  await db.transaction(async (tx) => {
    const payer = await tx.selectFrom('account').select('balance').where('id', '=', from).executeTakeFirstOrThrow();
    await Promise.resolve();
    if (payer.balance < amount) throw new InsufficientFunds(`account ${from} has ${payer.balance} < ${amount}`);
    await tx
      .updateTable('account')
      .set({ balance: payer.balance - amount })
      .where('id', '=', from)
      .execute();
    await Promise.resolve();
    const payee = await tx.selectFrom('account').select('balance').where('id', '=', to).executeTakeFirstOrThrow();
    await tx
      .updateTable('account')
      .set({ balance: payee.balance + amount })
      .where('id', '=', to)
      .execute();
  });
}

/**
 * Starts a transaction that holds the connection until `release()`, and resolves once it runs: what starts after it
 * queues behind it and forms one group when it ends.
 */
export async function holdConnection(db: Database<Tables>): Promise<{ release: () => void; done: Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let running!: () => void;
  const started = new Promise<void>((resolve) => (running = resolve));
  const done = db.transaction(async () => {
    running();
    await released;
  });
  await started;
  return { release, done };
}

/** The sum of all balances and the lowest one. */
export async function books(db: Database<Tables>): Promise<{ sum: number; lowest: number }> {
  const rows = await db.executor().selectFrom('account').select('balance').execute();
  return {
    sum: rows.reduce((total, row) => total + row.balance, 0),
    lowest: Math.min(...rows.map((row) => row.balance)),
  };
}

/** The ids in `note`, sorted. */
export async function notes(db: Database<Tables>): Promise<string[]> {
  const rows = await db.executor().selectFrom('note').select('id').orderBy('id').execute();
  return rows.map((row) => row.id);
}
