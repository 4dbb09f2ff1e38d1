// The worker of the group commit crash test: it runs transfers between accounts, many at once so they share commits,
// each writing both balances and a row of the transfer log, and prints `commit <id>` once a transfer is acknowledged
// (its promise resolved). The test SIGKILLs it after some number of those lines. It prints `done` at the end.
import { sql } from 'kysely';
import { createDatabase } from '../../src/integration/internal.js';

interface Tables {
  account: { id: number; balance: number };
  transfer_log: { id: string; payer: number; payee: number; amount: number };
}

const ACCOUNTS = 50;
const INITIAL = 1000;
const IN_FLIGHT = 40;

const url = process.env.CRASH_DB_URL ?? '';
const run = process.env.RUN ?? '0';
const total = Number(process.env.TOTAL ?? 2000);

const db = await createDatabase<Tables>(url);
await sql`create table if not exists account (id integer primary key, balance integer not null)`.execute(db.executor());
await sql`create table if not exists transfer_log (
  id text primary key, payer integer not null, payee integer not null, amount integer not null
)`.execute(db.executor());
await db.transaction(async (tx) => {
  const seeded = await tx.selectFrom('account').select('id').limit(1).execute();
  if (seeded.length > 0) return;
  await tx
    .insertInto('account')
    .values(Array.from({ length: ACCOUNTS }, (_, id) => ({ id, balance: INITIAL })))
    .execute();
});

/** One transfer: both balances and its log row, all or nothing; refused (nothing written) when the payer is short. */
async function transfer(n: number): Promise<void> {
  const id = `${run}-${n}`;
  const payer = (n * 7 + Number(run)) % ACCOUNTS;
  const payee = (n * 11 + 3) % ACCOUNTS;
  const amount = 1 + (n % 25);
  const done = await db.transaction(async (tx) => {
    const from = await tx.selectFrom('account').select('balance').where('id', '=', payer).executeTakeFirstOrThrow();
    if (payer === payee || from.balance < amount) return false;
    await tx
      .updateTable('account')
      .set((eb) => ({ balance: eb('balance', '-', amount) }))
      .where('id', '=', payer)
      .execute();
    await Promise.resolve();
    await tx
      .updateTable('account')
      .set((eb) => ({ balance: eb('balance', '+', amount) }))
      .where('id', '=', payee)
      .execute();
    await tx.insertInto('transfer_log').values({ id, payer, payee, amount }).execute();
    return true;
  });
  if (done) process.stdout.write(`commit ${id}\n`);
}

let next = 0;
async function lane(): Promise<void> {
  while (next < total) await transfer(next++);
}
await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
await db.close();
process.stdout.write('done\n');
