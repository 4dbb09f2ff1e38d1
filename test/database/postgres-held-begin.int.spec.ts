import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, createDatabase, unreadWrite, type Database } from 'weft/internal';
import { dropSchema, postgresAvailableForTests, postgresTestUrl } from 'weft/testing';
import { RoundTripCounter } from './round-trip-counter.js';

interface Tables {
  player: { id: string; gold: number };
}

/**
 * Weft's PostgreSQL driver holds a transaction's BEGIN back and sends it with the transaction's first statement, so a
 * transaction costs one round trip fewer. What a caller sees must not change: atomicity, rollback, retries.
 */
describe.runIf(await postgresAvailableForTests())('PostgreSQL transactions with their BEGIN held back', () => {
  let counter: RoundTripCounter;
  let db: Database<Tables>;
  let schema: string;

  beforeEach(async () => {
    schema = `weft_test_${randomBytes(6).toString('hex')}`;
    const target = new URL(postgresTestUrl());
    const started = await RoundTripCounter.start(target);
    counter = started.counter;
    const url = new URL(postgresTestUrl());
    url.hostname = '127.0.0.1';
    url.port = String(started.port);
    // One connection: every transaction meets the BEGIN its first one prepared.
    db = await createDatabase<Tables>({ url: url.toString(), postgres: { schema, pool: { max: 1 } } });
    await db
      .executor()
      .schema.createTable('player')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('gold', 'integer', (c) => c.notNull())
      .execute();
    await db.executor().insertInto('player').values({ id: 'ann', gold: 5 }).execute();
    // The connection's first transaction prepares its BEGIN.
    await db.transaction(() => readAnn());
  });

  afterEach(async () => {
    await db.close();
    await counter.close();
    await dropSchema(schema);
  });

  const readAnn = () => db.executor().selectFrom('player').selectAll().where('id', '=', 'ann').executeTakeFirst();
  const pay = (gold: number) =>
    db
      .executor()
      .updateTable('player')
      .set((eb) => ({ gold: eb('gold', '+', gold) }))
      .where('id', '=', 'ann')
      .execute();

  const roundTrips = (work: () => Promise<unknown>) => counter.roundTripsOf(work);

  it('sends BEGIN with the first statement: a transaction of two statements is three round trips', async () => {
    const trips = await roundTrips(() =>
      db.transaction(async () => {
        await readAnn();
        await pay(1);
      }),
    );
    expect(trips).toBe(3);
    expect((await readAnn())?.gold).toBe(6);
  });

  it('sends nothing for a transaction that ran no statement', async () => {
    expect(await roundTrips(() => db.transaction(() => undefined))).toBe(0);
    await expect(
      db.transaction(() => {
        throw new Error('before any statement');
      }),
    ).rejects.toThrow('before any statement');
    expect((await readAnn())?.gold).toBe(5);
  });

  it('rolls back whole when a statement after the first fails, and the next transaction begins anew', async () => {
    await expect(
      db.transaction(async () => {
        await pay(10);
        await db.executor().insertInto('player').values({ id: 'ann', gold: 1 }).execute();
      }),
    ).rejects.toThrow();
    expect((await readAnn())?.gold).toBe(5);
    await db.transaction(() => pay(2));
    expect((await readAnn())?.gold).toBe(7);
  });

  it('rolls back when the first statement fails with its BEGIN, and the connection stays usable', async () => {
    await expect(
      db.transaction(() => db.executor().insertInto('player').values({ id: 'ann', gold: 1 }).execute()),
    ).rejects.toThrow();
    // Not left inside the failed transaction: a statement outside one runs and commits on its own.
    await pay(3);
    await expect(db.transaction(() => readAnn())).resolves.toMatchObject({ gold: 8 });
  });

  it('keeps deferred durability: its setting goes in the same message as the BEGIN', async () => {
    const trips = await roundTrips(() =>
      db.transaction(
        async () => {
          await pay(1);
          const { rows } = await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(db.executor());
          expect(rows[0]?.synchronous_commit).toBe('off');
        },
        { durability: 'deferred' },
      ),
    );
    // BEGIN and its setting, the update, the show, the commit.
    expect(trips).toBe(4);
  });

  it('retries a serialization failure whole, BEGIN included', async () => {
    const other = new pg.Client({ connectionString: postgresTestUrl() });
    await other.connect();
    try {
      let tries = 0;
      await db.transaction(
        async () => {
          tries += 1;
          await readAnn();
          if (tries === 1) {
            // Another session changes the row this serializable transaction read; its write then conflicts.
            await other.query(`update "${schema}".player set gold = gold + 100 where id = 'ann'`);
          }
          await pay(1);
        },
        { isolation: 'serializable' },
      );
      expect(tries).toBe(2);
      expect((await readAnn())?.gold).toBe(106);
    } catch (error) {
      if (error instanceof ConflictError) throw new Error(`gave up: ${error.message}`);
      throw error;
    } finally {
      await other.end();
    }
  });

  describe('a lock taken before a write', () => {
    const lock = () => db.lockInTransaction('ledger', { shared: true });

    /** Another session holding the lock exclusively until `release` is called. */
    async function holdLockElsewhere(): Promise<{ release: () => Promise<void> }> {
      const other = new pg.Client({ connectionString: postgresTestUrl() });
      await other.connect();
      await other.query('select pg_advisory_lock(hashtext($1))', [`${schema}.ledger`]);
      return {
        release: async () => {
          await other.query('select pg_advisory_unlock_all()');
          await other.end();
        },
      };
    }

    beforeEach(async () => {
      // The connection's first lock prepares it; from then on it goes with the statement after it.
      await db.transaction(async () => {
        await lock();
        await pay(0);
      });
    });

    it('goes with the next statement: BEGIN, lock and update are one round trip, COMMIT the other', async () => {
      const trips = await roundTrips(() =>
        db.transaction(async () => {
          await lock();
          await pay(1);
        }),
      );
      expect(trips).toBe(2);
      expect((await readAnn())?.gold).toBe(6);
    });

    it('still holds the write back until the lock is free', async () => {
      const elsewhere = await holdLockElsewhere();
      let paid = false;
      const paying = db
        .transaction(async () => {
          await lock();
          await pay(1);
        })
        .then(() => (paid = true));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(paid).toBe(false);
      await elsewhere.release();
      await paying;
      expect((await readAnn())?.gold).toBe(6);
    });

    it('fails the statement after it when it cannot be taken, and nothing of the transaction commits', async () => {
      const elsewhere = await holdLockElsewhere();
      try {
        await expect(
          db.transaction(async () => {
            await sql`set local lock_timeout = '100ms'`.execute(db.executor());
            await pay(10);
            await lock();
            await pay(20);
          }),
        ).rejects.toThrow(/lock/i);
      } finally {
        await elsewhere.release();
      }
      expect((await readAnn())?.gold).toBe(5);
      await db.transaction(async () => {
        await lock();
        await pay(1);
      });
      expect((await readAnn())?.gold).toBe(6);
    });

    it('is not sent when nothing follows it but the end of the transaction', async () => {
      expect(await roundTrips(() => db.transaction(() => lock()))).toBe(0);
      const trips = await roundTrips(() =>
        db.transaction(async () => {
          await pay(1);
          await lock();
        }),
      );
      // BEGIN with the update, then COMMIT.
      expect(trips).toBe(2);
      expect((await readAnn())?.gold).toBe(6);
    });

    it('goes in a batch of its own before a statement without parameters, which may hold several', async () => {
      const trips = await roundTrips(() =>
        db.transaction(async () => {
          await lock();
          await sql`update player set gold = gold + 1; update player set gold = gold + 1`.execute(db.executor());
        }),
      );
      // BEGIN with the lock, the two updates in one message, COMMIT.
      expect(trips).toBe(3);
      expect((await readAnn())?.gold).toBe(7);
    });
  });

  describe('a write whose result nobody reads', () => {
    /** Pays ann `gold` with a statement marked as an unread write. */
    const payUnread = (gold: number) =>
      db.execute(
        unreadWrite(
          db
            .executor()
            .updateTable('player')
            .set((eb) => ({ gold: eb('gold', '+', gold) }))
            .where('id', '=', 'ann'),
        ).compile(),
      );

    beforeEach(async () => {
      // The connection's first use prepares it; from then on it waits for the next statement.
      await db.transaction(() => payUnread(0));
    });

    it('goes with the COMMIT: a read, then the write and COMMIT, are two round trips', async () => {
      const trips = await roundTrips(() =>
        db.transaction(async () => {
          await readAnn();
          await payUnread(1);
        }),
      );
      expect(trips).toBe(2);
      expect((await readAnn())?.gold).toBe(6);
    });

    it('is seen by the statements after it in its transaction', async () => {
      const seen = await db.transaction(async () => {
        await payUnread(4);
        return readAnn();
      });
      expect(seen?.gold).toBe(9);
    });

    it('fails the COMMIT when it fails, and nothing of the transaction commits', async () => {
      await expect(
        db.transaction(async () => {
          await pay(10);
          await db.execute(unreadWrite(db.executor().insertInto('player').values({ id: 'ann', gold: 1 })).compile());
        }),
      ).rejects.toThrow();
      expect((await readAnn())?.gold).toBe(5);
      await db.transaction(() => payUnread(1));
      expect((await readAnn())?.gold).toBe(6);
    });

    it('commits after the connection lost its prepared statements (a pooler reset): retried whole, unprepared', async () => {
      await db.transaction(async () => {
        // The server forgets every statement the connection prepared; node-postgres still counts them as prepared, so
        // the held write is bound by a name the server no longer knows, in the COMMIT's batch.
        await sql`deallocate all`.execute(db.executor());
        await payUnread(1);
      });
      expect((await readAnn())?.gold).toBe(6);
      await db.transaction(() => payUnread(1));
      expect((await readAnn())?.gold).toBe(7);
    });

    it('is never sent when its transaction rolls back, and undone with a savepoint that rolls back', async () => {
      const trips = await roundTrips(() =>
        db
          .transaction(async () => {
            await payUnread(100);
            throw new Error('changed my mind');
          })
          .catch(() => undefined),
      );
      expect(trips).toBe(0);
      await db.transaction(async () => {
        await pay(1);
        await db
          .transaction(async () => {
            await payUnread(100);
            throw new Error('not this part');
          })
          .catch(() => undefined);
      });
      expect((await readAnn())?.gold).toBe(6);
    });
  });
});
