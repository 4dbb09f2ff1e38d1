import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, type Database } from 'weft/internal';
import { createTestDatabase, postgresAvailableForTests, type TestDatabase } from 'weft/testing';

interface Tables {
  counter: { id: string; n: number };
}

/** Resolves for everyone once `parties` callers have arrived. */
function barrier(parties: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return () => {
    arrived++;
    if (arrived === parties) open();
    return opened;
  };
}

/** Reads the counter, waits until the other transaction has read it too, then writes n + 1: a classic lost update. */
function racingIncrement(db: Database<Tables>, bothRead: () => Promise<void>, attempts: { count: number }) {
  return db.transaction(
    async (tx) => {
      attempts.count++;
      const first = attempts.count <= 2;
      const { n } = await tx.selectFrom('counter').select('n').where('id', '=', 'c').executeTakeFirstOrThrow();
      if (first) await bothRead();
      await tx
        .updateTable('counter')
        .set({ n: n + 1 })
        .where('id', '=', 'c')
        .execute();
    },
    { isolation: 'serializable' },
  );
}

describe.runIf(await postgresAvailableForTests())('PostgreSQL transactions under contention', () => {
  let db: TestDatabase<Tables>;

  beforeEach(async () => {
    db = await createTestDatabase<Tables>({ dialect: 'postgres' });
    await db
      .executor()
      .schema.createTable('counter')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('n', 'integer', (c) => c.notNull())
      .execute();
    await db.executor().insertInto('counter').values({ id: 'c', n: 0 }).execute();
  });

  afterEach(async () => {
    await db.close();
  });

  it('retries a transaction that hit a real serialization failure, so no increment is lost', async () => {
    const attempts = { count: 0 };
    const bothRead = barrier(2);
    await Promise.all([racingIncrement(db, bothRead, attempts), racingIncrement(db, bothRead, attempts)]);
    const { n } = await db.executor().selectFrom('counter').select('n').executeTakeFirstOrThrow();
    expect(n).toBe(2);
    expect(attempts.count).toBe(3);
  });

  it('gives up after the configured attempts with a typed conflict that keeps the driver error', async () => {
    const impatient = await db.connectAgain({ retry: { maxAttempts: 1 } });
    try {
      const attempts = { count: 0 };
      const bothRead = barrier(2);
      const results = await Promise.allSettled([
        racingIncrement(impatient, bothRead, attempts),
        racingIncrement(impatient, bothRead, attempts),
      ]);
      const failed = results.filter((r) => r.status === 'rejected');
      expect(failed).toHaveLength(1);
      const error: unknown = failed[0]?.reason;
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({ code: 'WEFT_TRANSACTION_CONFLICT', status: 409, details: { attempts: 1 } });
      const driverError = ((error as Error).cause as Error).cause;
      expect(driverError).toMatchObject({ code: '40001' });
      const { n } = await db.executor().selectFrom('counter').select('n').executeTakeFirstOrThrow();
      expect(n).toBe(1);
    } finally {
      await impatient.close();
    }
  });

  it('retries a deadlock victim', async () => {
    await db.executor().insertInto('counter').values({ id: 'd', n: 0 }).execute();
    const bothLocked = barrier(2);
    let attempts = 0;
    const lockInOrder = (first: string, second: string) =>
      db.transaction(async (tx) => {
        attempts++;
        await tx
          .updateTable('counter')
          .set((eb) => ({ n: eb('n', '+', 1) }))
          .where('id', '=', first)
          .execute();
        if (attempts <= 2) await bothLocked();
        await tx
          .updateTable('counter')
          .set((eb) => ({ n: eb('n', '+', 1) }))
          .where('id', '=', second)
          .execute();
      });
    await Promise.all([lockInOrder('c', 'd'), lockInOrder('d', 'c')]);
    const rows = await db.executor().selectFrom('counter').select(['id', 'n']).orderBy('id').execute();
    expect(rows).toEqual([
      { id: 'c', n: 2 },
      { id: 'd', n: 2 },
    ]);
    expect(attempts).toBe(3);
  });
});
