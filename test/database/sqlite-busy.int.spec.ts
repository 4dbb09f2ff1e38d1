import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnavailableError, type QueryEvent } from 'weft/internal';
import { createTestDatabase, type TestDatabase } from 'weft/testing';

interface Tables {
  player: { id: string };
}

describe('SQLite file shared by two connections', () => {
  let db: TestDatabase<Tables>;

  beforeEach(async () => {
    db = await createTestDatabase<Tables>({ file: true });
    await db
      .executor()
      .schema.createTable('player')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .execute();
  });

  afterEach(async () => {
    await db.close();
  });

  /** Holds the write lock for `ms` from another connection, as another process would. */
  function holdWriteLock(ms: number): Promise<void> {
    return db.transaction(async (tx) => {
      await tx.insertInto('player').values({ id: 'holder' }).execute();
      await sleep(ms);
    });
  }

  it('retries a transaction that found the database locked (SQLITE_BUSY) until the lock is free', async () => {
    const busy: QueryEvent[] = [];
    const other = await db.connectAgain({
      sqlite: { busyTimeoutMs: 1 },
      retry: { maxAttempts: 50, baseDelayMs: 5, maxDelayMs: 20 },
      onQuery: (event) => {
        if (event.error !== undefined) busy.push(event);
      },
    });
    try {
      const holding = holdWriteLock(80);
      await sleep(5);
      await other.transaction((tx) => tx.insertInto('player').values({ id: 'waiter' }).execute());
      await holding;
      expect(busy.length).toBeGreaterThan(0);
      expect(busy[0]?.error).toMatchObject({ code: 'WEFT_DATABASE_BUSY' });
      const ids = await db.executor().selectFrom('player').select('id').orderBy('id').execute();
      expect(ids.map((r) => r.id)).toEqual(['holder', 'waiter']);
    } finally {
      await other.close();
    }
  });

  it('gives up with a typed busy error once its attempts are spent, and writes nothing', async () => {
    const other = await db.connectAgain({
      sqlite: { busyTimeoutMs: 1 },
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
    });
    try {
      const holding = holdWriteLock(150);
      await sleep(5);
      const error = await other
        .transaction((tx) => tx.insertInto('player').values({ id: 'waiter' }).execute())
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnavailableError);
      expect(error).toMatchObject({ code: 'WEFT_DATABASE_BUSY', status: 503, details: { attempts: 2 } });
      await holding;
      const ids = await db.executor().selectFrom('player').select('id').execute();
      expect(ids.map((r) => r.id)).toEqual(['holder']);
    } finally {
      await other.close();
    }
  });
});
