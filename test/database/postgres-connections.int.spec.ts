import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ConflictError, UsageError } from 'weft/internal';
import { createTestDatabase, postgresAvailableForTests } from 'weft/testing';

interface Tables {
  player: { id: string; gold: number };
}

/**
 * Weft's PostgreSQL driver lends pooled connections to Kysely and takes them back. If a path ever
 * forgets to give one back (a failed statement, a rolled-back savepoint), connections stay checked
 * out: this fails loudly instead of a server slowly running out of connections.
 */
describe.runIf(await postgresAvailableForTests())('PostgreSQL connections', () => {
  it('all go back to the pool after many transactions and failed statements, and the pool closes', () =>
    withinDeadline(15_000, manyTransactionsThenClose));
});

/** Fails with a message naming the likely cause instead of hanging: a pool with a connection checked out never ends. */
async function withinDeadline(ms: number, test: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Not done after ${ms} ms: a PostgreSQL connection was never released to the pool.`)),
      ms,
    );
  });
  try {
    await Promise.race([test(), expired]);
  } finally {
    clearTimeout(timer);
  }
}

async function manyTransactionsThenClose(): Promise<void> {
  const db = await createTestDatabase<Tables>({
    dialect: 'postgres',
    // A leak of more than three connections would make later work wait, then fail, here.
    options: { postgres: { pool: { max: 3, connectTimeoutMs: 2000 } }, retry: { maxAttempts: 1 } },
  });
  let closed = false;
  try {
    await db
      .executor()
      .schema.createTable('player')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('gold', 'integer', (c) => c.notNull())
      .execute();
    const round = async (i: number): Promise<void> => {
      await db.transaction(() =>
        db
          .executor()
          .insertInto('player')
          .values({ id: `p${i}`, gold: i })
          .execute(),
      );
      // A failed statement outside a transaction, inside one (rolled back), and inside a savepoint.
      await expect(
        db
          .executor()
          .insertInto('player')
          .values({ id: `p${i}`, gold: 0 })
          .execute(),
      ).rejects.toBeInstanceOf(ConflictError);
      await expect(
        db.transaction(() =>
          db
            .executor()
            .insertInto('player')
            .values({ id: `p${i}`, gold: 0 })
            .execute(),
        ),
      ).rejects.toBeInstanceOf(ConflictError);
      await db.transaction(async () => {
        await expect(
          db.transaction(() =>
            db
              .executor()
              .insertInto('player')
              .values({ id: `p${i}`, gold: 0 })
              .execute(),
          ),
        ).rejects.toBeInstanceOf(ConflictError);
      });
      // A statement PostgreSQL itself rejects, and work that throws.
      await expect(sql`select * from no_such_table`.execute(db.executor())).rejects.toThrow(/no_such_table/);
      await expect(
        db.transaction(() => {
          throw new Error('work failed');
        }),
      ).rejects.toThrow('work failed');
      // A refused Kysely transaction on the root handle takes a connection before it is refused.
      await expect(
        db
          .executor()
          .transaction()
          .execute(() => sleep(0)),
      ).rejects.toBeInstanceOf(UsageError);
      await db.transaction(() => sleep(1), { durability: 'deferred' });
    };
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all([0, 1, 2, 3, 4].map((j) => round(batch * 5 + j)));
    }
    expect(db.poolStats()).toMatchObject({ inUse: 0, waiting: 0 });
    expect(db.poolStats().size).toBeLessThanOrEqual(3);
    const count = await db
      .executor()
      .selectFrom('player')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(50);

    // The pool ends only once every connection is back: a leaked one would hold close() forever.
    closed = true;
    await db.close();
  } finally {
    if (!closed) await db.close();
  }
}
