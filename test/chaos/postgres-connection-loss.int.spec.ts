// A PostgreSQL connection lost while a transaction holds it (between two statements) must fail that transaction, not
// the process: node-postgres emits 'error' on the client, and the pool does not listen while the client is lent out.
// Found by the PostgreSQL cut of the chaos tests; here on its own, through a TCP proxy of the test's own.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError, createDatabase } from 'weft/internal';
import { postgresAvailableForTests, postgresTestUrl } from 'weft/testing';
import { TcpProxy } from './tcp-proxy.js';

describe.runIf(await postgresAvailableForTests())('a PostgreSQL connection lost mid-transaction', () => {
  const schema = `weft_loss_${randomBytes(4).toString('hex')}`;
  let proxy: TcpProxy;

  beforeAll(async () => {
    const server = new URL(postgresTestUrl());
    proxy = await TcpProxy.start(server.hostname, Number(server.port || 5432));
  });

  afterAll(async () => {
    await proxy.close();
    const client = new pg.Client({ connectionString: postgresTestUrl() });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  });

  it('fails that transaction with UnavailableError, logs the loss, and the next one succeeds', async () => {
    const url = new URL(postgresTestUrl());
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    const warnings: string[] = [];
    const logger = { warn: (_: object, message: string) => void warnings.push(message), error: () => undefined };
    await using db = await createDatabase({ url: url.toString(), postgres: { schema }, logger });
    await db.executor().schema.createTable('items').addColumn('n', 'integer').execute();
    const items = db.withTables<{ items: { n: number } }>();

    const lost = items.transaction(async (tx) => {
      await tx.insertInto('items').values({ n: 1 }).execute();
      // The connection is cut while this transaction holds it and runs no statement.
      proxy.cut();
      for (const until = Date.now() + 5000; warnings.length === 0 && Date.now() < until;) await sleep(10);
      await tx.insertInto('items').values({ n: 2 }).execute();
    });
    await expect(lost).rejects.toBeInstanceOf(UnavailableError);
    expect(warnings).toContain('a PostgreSQL connection in use failed; its transaction fails');

    proxy.heal();
    await items.executor().insertInto('items').values({ n: 3 }).execute();
    expect(await items.executor().selectFrom('items').select('n').execute()).toEqual([{ n: 3 }]);
  });
});
