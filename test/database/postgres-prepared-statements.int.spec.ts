import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, UsageError, type Database, type QueryEvent } from 'weft/internal';
import { createTestDatabase, postgresAvailableForTests, type TestDatabase } from 'weft/testing';

interface Tables {
  player: { id: string; gold: number; title?: string };
}

/**
 * Weft's PostgreSQL driver prepares every statement with parameters once per connection, under a name. A statement
 * prepared before another process's migration changed its table's columns is refused by the server ("cached plan must
 * not change result type"); the driver must forget it and run it anew, never hand the refusal to the caller.
 */
describe.runIf(await postgresAvailableForTests())('PostgreSQL prepared statements', () => {
  let db: TestDatabase<Tables>;
  let migrator: Awaited<ReturnType<TestDatabase<Tables>['connectAgain']>> | undefined;
  const queries: QueryEvent[] = [];
  const warnings: string[] = [];

  beforeEach(async () => {
    queries.length = 0;
    warnings.length = 0;
    db = await createTestDatabase<Tables>({
      dialect: 'postgres',
      options: {
        postgres: { pool: { max: 2 } },
        onQuery: (event) => queries.push(event),
        logger: { warn: (_fields, message) => warnings.push(message), error: () => undefined },
      },
    });
    await db
      .executor()
      .schema.createTable('player')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('gold', 'integer', (c) => c.notNull())
      .execute();
    await db.executor().insertInto('player').values({ id: 'ann', gold: 5 }).execute();
  });

  afterEach(async () => {
    await migrator?.close();
    migrator = undefined;
    await db.close();
  });

  const readAnn = () => db.executor().selectFrom('player').selectAll().where('id', '=', 'ann').executeTakeFirst();

  /** Adds a column from another pool, as another process's migration would. */
  async function migrateElsewhere(): Promise<void> {
    migrator ??= await db.connectAgain();
    await sql`alter table player add column title text default 'knight'`.execute(migrator.executor());
  }

  it('are prepared once per connection under a name', async () => {
    const prepared = await db.transaction(async () => {
      await readAnn();
      await readAnn();
      const { rows } = await sql<{
        statement: string;
      }>`select statement from pg_prepared_statements where statement like '%from "player"%'`.execute(db.executor());
      return rows.map((row) => row.statement);
    });
    expect(prepared).toEqual(['select * from "player" where "id" = $1']);
  });

  it('leave a statement with a list of values unprepared', async () => {
    const prepared = await db.transaction(async () => {
      for (let i = 0; i < 7; i++) {
        await db.executor().selectFrom('player').select('id').where('id', 'in', ['ann', 'bob']).execute();
      }
      const { rows } = await sql<{
        n: number;
      }>`select count(*)::int as n from pg_prepared_statements where statement like '%from "player"%'`.execute(
        db.executor(),
      );
      return rows[0]?.n;
    });
    expect(prepared).toBe(0);
  });

  it('run again after a migration changed their table, outside a transaction', async () => {
    expect(await readAnn()).toEqual({ id: 'ann', gold: 5 });
    expect(await readAnn()).toEqual({ id: 'ann', gold: 5 });
    await migrateElsewhere();
    // Both pooled connections may hold the old statement: each read must still answer, with the new column.
    const reads = await Promise.all([readAnn(), readAnn(), readAnn()]);
    expect(reads).toEqual(Array.from({ length: 3 }, () => ({ id: 'ann', gold: 5, title: 'knight' })));
    expect(queries.filter((q) => q.error !== undefined)).toEqual([]);
  });

  it('retry their transaction after a migration changed their table inside it', async () => {
    const ready = await db.transaction(() => readAnn());
    expect(ready).toEqual({ id: 'ann', gold: 5 });
    await migrateElsewhere();
    let tries = 0;
    const read = await db.transaction(async () => {
      tries += 1;
      await db.executor().updateTable('player').set({ gold: 6 }).where('id', '=', 'ann').execute();
      return readAnn();
    });
    expect(read).toEqual({ id: 'ann', gold: 6, title: 'knight' });
    const stale = queries.filter((q) => q.error !== undefined);
    // The connection that prepared the read before the migration refused it once and the whole try ran again.
    expect(tries).toBe(stale.length + 1);
    for (const failure of stale) expect(failure.error).toBeInstanceOf(ConflictError);
    expect(await readAnn()).toEqual({ id: 'ann', gold: 6, title: 'knight' });
  });

  it('run unprepared from then on once a connection lost them, as behind a pooler that resets connections', async () => {
    const lost = await db.transaction(async () => {
      await readAnn();
      // What a pooler's reset between clients (DISCARD ALL) does behind the driver's back.
      await sql`deallocate all`.execute(db.executor());
      const read = await readAnn();
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements`.execute(
        db.executor(),
      );
      return { read, prepared: rows[0]?.n };
    });
    expect(lost).toEqual({ read: { id: 'ann', gold: 5 }, prepared: 0 });
    expect(await readAnn()).toEqual({ id: 'ann', gold: 5 });
    const failed = queries.filter((q) => q.error !== undefined);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.error).toBeInstanceOf(ConflictError);
    expect(warnings).toEqual([expect.stringContaining('statements now run unprepared')]);
  });

  it("carry a name of their pool, so two processes behind one pooler never run each other's", async () => {
    const other = await db.connectAgain();
    try {
      const names = async (of: Database<Tables>) =>
        of.transaction(async () => {
          await of.executor().selectFrom('player').select('gold').where('id', '=', 'ann').execute();
          const { rows } = await sql<{ name: string }>`select name from pg_prepared_statements`.execute(of.executor());
          return rows.map((row) => row.name);
        });
      const pools = [await names(db), await names(other)].map((list) => {
        expect(list.length).toBeGreaterThan(0);
        for (const name of list) expect(name).toMatch(/^weft_[0-9a-f]{8}_\d+$/);
        return new Set(list.map((name) => name.split('_')[1]));
      });
      expect(pools.map((prefixes) => prefixes.size)).toEqual([1, 1]);
      expect([...(pools[0] ?? [])]).not.toEqual([...(pools[1] ?? [])]);
    } finally {
      await other.close();
    }
  });

  it('refuse to stream with a typed error', async () => {
    const stream = db.executor().selectFrom('player').select('id').stream();
    await expect(stream.next()).rejects.toBeInstanceOf(UsageError);
  });

  it('never lend again a connection left inside a transaction', async () => {
    const pid = async () =>
      (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db.executor())).rows[0]?.pid;
    const left = await db
      .executor()
      .connection()
      .execute(async (connection) => {
        await sql`begin`.execute(connection);
        await sql`update player set gold = 99 where id = 'ann'`.execute(connection);
        return (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(connection)).rows[0]?.pid;
      });
    // Every connection lent from now on is a fresh one outside any transaction: the update above never committed.
    const lent = await Promise.all([pid(), pid(), pid()]);
    expect(lent).not.toContain(left);
    expect(await readAnn()).toEqual({ id: 'ann', gold: 5 });
  });
});
