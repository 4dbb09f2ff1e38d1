// The hand-written PostgreSQL peer of the transfer benchmark: Fastify and pg by hand, a pool of 16 connections, one
// transaction per request in a schema of its own. Both accounts are locked in id order (`for update`), so two
// transfers between the same accounts queue instead of deadlocking; the commit waits for the server's flush
// (synchronous_commit as the server has it, on by default).
import pg from 'pg';
import { plainTransferApp, type PlainTransfer, type TransferOutcome } from './transfer-plain-app.js';
import { ACCOUNTS, POSTGRES_CONNECTIONS, STARTING_GOLD, type PeerServer } from './transfer-protocol.js';

/** Fastify and pg by hand on PostgreSQL at `url`, in a new schema `schema` that its close drops. */
export async function barePostgresPeer(url: string, schema: string): Promise<PeerServer> {
  const pool = new pg.Pool({ connectionString: url, max: POSTGRES_CONNECTIONS });
  const table = `"${schema}".accounts`;
  await pool.query(`create schema "${schema}"`);
  await pool.query(`create table ${table} (id integer primary key, balance bigint not null, version integer not null)`);
  await pool.query(`insert into ${table} select g, $1, 1 from generate_series(0, $2 - 1) g`, [STARTING_GOLD, ACCOUNTS]);
  // After a bulk load, as the Weft peer does.
  await pool.query(`analyze ${table}`);
  // Named statements: each connection prepares them once, as a hand-written peer would.
  const lock = `select id, balance::float8 as balance from ${table} where id = any($1::int[]) order by id for update`;
  const write = `update ${table} set balance = $1, version = version + 1 where id = $2`;

  const transfer = async ({ from, to, amount }: PlainTransfer): Promise<TransferOutcome> => {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('begin');
      const { rows } = await client.query<{ id: number; balance: number }>({
        name: 'transfer-lock',
        text: lock,
        values: [[from, to]],
      });
      const source = rows.find((row) => row.id === from);
      const target = rows.find((row) => row.id === to);
      if (source === undefined || target === undefined) throw new Error(`account ${from} or ${to} is missing`);
      if (source.balance < amount) {
        await client.query('rollback');
        return { status: 409 };
      }
      await client.query({ name: 'transfer-write', text: write, values: [source.balance - amount, from] });
      await client.query({ name: 'transfer-write', text: write, values: [target.balance + amount, to] });
      await client.query('commit');
      return { status: 200, from: source.balance - amount, to: target.balance + amount };
    } catch (error) {
      // A rollback that fails leaves the connection unusable: releasing it with the error makes the pool drop it.
      await client.query('rollback').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    } finally {
      client.release(broken);
    }
  };

  return {
    app: plainTransferApp(transfer),
    route: 'plain',
    async tally() {
      const { rows } = await pool.query<{ total: number; negative: number; writes: number }>(
        `select sum(balance)::float8 as total, count(*) filter (where balance < 0)::int as negative,
           (sum(version) - count(*))::int as writes from ${table}`,
      );
      const row = rows[0];
      if (row === undefined) throw new Error('the tally query returned no row');
      return { total: row.total, negative: row.negative, recorded: row.writes / 2 };
    },
    async close() {
      await pool.query(`drop schema "${schema}" cascade`);
      await pool.end();
    },
  };
}
