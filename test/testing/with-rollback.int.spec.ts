import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailableForTests, withRollback, type TestDatabase } from 'weft/testing';

interface Tables {
  player: { id: string; gold: number };
}

const backends: Array<[string, () => Promise<TestDatabase<Tables>>]> = [
  ['SQLite file', () => createTestDatabase<Tables>({ file: true })],
];
if (await postgresAvailableForTests()) {
  backends.push(['PostgreSQL', () => createTestDatabase<Tables>({ dialect: 'postgres' })]);
}

describe.each(backends)('withRollback on %s', (_name, open) => {
  let db: TestDatabase<Tables>;

  beforeEach(async () => {
    db = await open();
    await db
      .executor()
      .schema.createTable('player')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('gold', 'integer', (c) => c.notNull())
      .execute();
  });

  afterEach(async () => {
    await db.close();
  });

  const players = async (): Promise<string[]> =>
    (await db.executor().selectFrom('player').select('id').orderBy('id').execute()).map((row) => row.id);

  it('returns what the work returned, lets it see its own writes, and leaves nothing behind', async () => {
    const seen = await withRollback(db, async (tx) => {
      await tx.insertInto('player').values({ id: 'ann', gold: 10 }).execute();
      // Code that takes no handle joins the same transaction.
      await db.executor().insertInto('player').values({ id: 'bob', gold: 5 }).execute();
      return players();
    });
    expect(seen).toEqual(['ann', 'bob']);
    expect(await players()).toEqual([]);
    expect(db.inTransaction()).toBe(false);
  });

  it('never runs afterCommit work registered inside it', async () => {
    const ran: string[] = [];
    await withRollback(db, () => {
      db.afterCommit(() => ran.push('after commit'));
    });
    expect(ran).toEqual([]);
  });

  it('rethrows the failure of the work itself, unchanged, and leaves nothing behind', async () => {
    const failure = new Error('work failed');
    await expect(
      withRollback(db, async (tx) => {
        await tx.insertInto('player').values({ id: 'ann', gold: 10 }).execute();
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await players()).toEqual([]);
  });

  it('inside an open transaction, undoes only its own writes (a savepoint) and the outer one commits', async () => {
    const inner = await db.transaction(async () => {
      await db.executor().insertInto('player').values({ id: 'kept', gold: 1 }).execute();
      const seen = await withRollback(db, async (tx) => {
        await tx.insertInto('player').values({ id: 'undone', gold: 1 }).execute();
        return players();
      });
      expect(await players()).toEqual(['kept']);
      return seen;
    });
    expect(inner).toEqual(['kept', 'undone']);
    expect(await players()).toEqual(['kept']);
  });
});
