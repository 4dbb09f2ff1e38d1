import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConflictError,
  Migrator,
  UnavailableError,
  UsageError,
  ValidationError,
  WeftError,
  type Database,
  type DatabaseLogger,
  type DatabaseOptions,
  type Migration,
  type QueryEvent,
} from 'weft/internal';
import type { TestDatabase } from 'weft/testing';

/** The tables the contract writes to. */
export interface Tables {
  player: { id: string; gold: number };
  item: { id: string; owner_id: string };
}

/** Opens a fresh database for one test; the contract closes it. */
export type OpenTestDatabase = (options: Pick<DatabaseOptions, 'onQuery' | 'logger'>) => Promise<TestDatabase<Tables>>;

/** A logger that keeps what it is told, so tests can check that failures are reported. */
export function memoryLogger(): DatabaseLogger & { lines: Array<{ level: string; message: string; object: object }> } {
  const lines: Array<{ level: string; message: string; object: object }> = [];
  return {
    lines,
    warn: (object, message) => lines.push({ level: 'warn', message, object }),
    error: (object, message) => lines.push({ level: 'error', message, object }),
  };
}

async function createTables(db: Database<Tables>): Promise<void> {
  await db
    .executor()
    .schema.createTable('player')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('gold', 'integer', (c) => c.notNull())
    .execute();
  await db
    .executor()
    .schema.createTable('item')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull().references('player.id'))
    .execute();
}

async function players(db: Database<Tables>): Promise<string[]> {
  const rows = await db.executor().selectFrom('player').select('id').orderBy('id').execute();
  return rows.map((row) => row.id);
}

/** Code that knows nothing of transactions: it joins whichever one is open around it. */
async function grantGold(db: Database<Tables>, id: string, gold: number): Promise<void> {
  await db.executor().insertInto('player').values({ id, gold }).execute();
}

/**
 * How one backend says whether a commit waits for the disk, and what it says when it does: the one
 * thing the contract asks in the backend's own SQL, so each spec file passes its backend's.
 */
export interface FlushSetting {
  read(tx: Kysely<Tables>): Promise<unknown>;
  readonly flushed: unknown;
  /** What `read` answers inside a transaction asked for `durability: 'deferred'`. */
  readonly deferred: unknown;
}

/** SQLite: `pragma synchronous`, FULL (2) by default. */
export const SQLITE_FLUSH: FlushSetting = {
  read: async (tx) => (await sql<{ synchronous: number }>`pragma synchronous`.execute(tx)).rows[0]?.synchronous,
  flushed: 2,
  deferred: 1,
};

/** PostgreSQL: `synchronous_commit`, on by default. */
export const POSTGRES_FLUSH: FlushSetting = {
  read: async (tx) =>
    (await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(tx)).rows[0]?.synchronous_commit,
  flushed: 'on',
  deferred: 'off',
};

/**
 * The behaviour every backend must show; run once per backend.
 * @param flush how this backend reports its commit durability (SQLITE_FLUSH, POSTGRES_FLUSH)
 * @param peer settings for a second connection to the same database (another process, in effect);
 *   without it the tests that need one are skipped (an in-memory database has no second connection).
 */
export function databaseContract(
  name: string,
  open: OpenTestDatabase,
  flush: FlushSetting,
  peer?: Omit<DatabaseOptions, 'url'>,
): void {
  describe(`database contract: ${name}`, () => {
    let db: TestDatabase<Tables>;
    const queries: QueryEvent[] = [];
    let logger: ReturnType<typeof memoryLogger>;

    beforeEach(async () => {
      queries.length = 0;
      logger = memoryLogger();
      db = await open({ onQuery: (event) => queries.push(event), logger });
      await createTables(db);
    });

    afterEach(async () => {
      await db.close();
    });

    it('commits what a transaction wrote', async () => {
      const result = await db.transaction(async (tx) => {
        await tx.insertInto('player').values({ id: 'ann', gold: 10 }).execute();
        return 'done';
      });
      expect(result).toBe('done');
      expect(await players(db)).toEqual(['ann']);
    });

    it('commits and rolls back a deferred-durability transaction like any other, then flushes again', async () => {
      const inside = await db.transaction(
        async (tx) => {
          await grantGold(db, 'ann', 10);
          return flush.read(tx);
        },
        { durability: 'deferred' },
      );
      expect(inside).toBe(flush.deferred);
      await expect(
        db.transaction(
          async () => {
            await grantGold(db, 'bob', 5);
            throw new Error('no');
          },
          { durability: 'deferred' },
        ),
      ).rejects.toThrow('no');
      expect(await players(db)).toEqual(['ann']);
      // The connection is back at its usual durability for the next transaction.
      expect(await db.transaction((tx) => flush.read(tx))).toBe(flush.flushed);
      await expect(db.transaction(() => 1, { durability: 'later' as never })).rejects.toThrow(/durability/);
    });

    it('refuses an isolation level it does not know, before any statement: never SQL of the caller in its BEGIN', async () => {
      for (const isolation of ['chaos', 'serializable; create table injected (x int); --', 'SERIALIZABLE', 1]) {
        const refused = await db
          .transaction(() => grantGold(db, 'ann', 1), { isolation: isolation as never, retry: false })
          .catch((error: unknown) => error);
        expect(refused).toBeInstanceOf(WeftError);
        expect(refused).toMatchObject({ code: 'WEFT_INVALID_CONFIG' });
        expect((refused as Error).message).toMatch(/isolation/);
      }
      expect(await players(db)).toEqual([]);
      const tables = await db.executor().introspection.getTables();
      expect(tables.map((table) => table.name)).not.toContain('injected');
      for (const isolation of ['read committed', 'repeatable read', 'serializable'] as const)
        await db.transaction(() => grantGold(db, isolation, 1), { isolation });
      expect(await players(db)).toEqual(['read committed', 'repeatable read', 'serializable']);
    });

    it('holds rows to commit across savepoints, in order; a rolled-back savepoint drops its own and holds again what it flushed', async () => {
      const owner = {};
      const hold = (id: string) => {
        const buffer = db.pending<string>(owner, async (ids) => {
          for (const held of ids) await grantGold(db, held, 1);
        });
        if (buffer === undefined) throw new Error('outside a transaction');
        buffer.push(id);
      };
      await db.transaction(async () => {
        hold('a1');
        expect(await players(db)).toEqual([]);
        // A failed savepoint drops what it held, not what was held before it.
        await expect(
          db.transaction(() => {
            hold('b1');
            throw new Error('no');
          }),
        ).rejects.toThrow('no');
        // One that wrote the outer scope's rows and then failed undid them: they are held again.
        await expect(
          db.transaction(async () => {
            hold('b2');
            await db.flushPending();
            expect(await players(db)).toEqual(['a1', 'b2']);
            throw new Error('no');
          }),
        ).rejects.toThrow('no');
        expect(await players(db)).toEqual([]);
        // A released savepoint's rows stay held with the outer scope's, in the order they came.
        await db.transaction(() => hold('b3'));
        await db.transaction(() => db.transaction(() => hold('b4')));
        expect(await players(db)).toEqual([]);
        hold('c1');
        await db.flushPending();
        expect(await players(db)).toEqual(['a1', 'b3', 'b4', 'c1']);
        hold('d1');
      });
      expect(await players(db)).toEqual(['a1', 'b3', 'b4', 'c1', 'd1']);
      await expect(
        db.transaction(() => {
          hold('e1');
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect(await players(db)).toEqual(['a1', 'b3', 'b4', 'c1', 'd1']);
      expect(db.pending(owner, () => Promise.resolve())).toBeUndefined();
    });

    it('runs a nested read-only transaction in the one around it, without a savepoint', async () => {
      queries.length = 0;
      await db.transaction(async () => {
        await grantGold(db, 'ann', 10);
        // It may nest in turn.
        const read = { readOnly: true } as const;
        const seen = await db.transaction(
          () => db.transaction((tx) => tx.selectFrom('player').select('id').execute(), read),
          read,
        );
        expect(seen).toEqual([{ id: 'ann' }]);
        // A read-only one that fails leaves the outer transaction's writes in place.
        await expect(db.transaction(() => Promise.reject(new Error('no')), { readOnly: true })).rejects.toThrow('no');
        expect(await players(db)).toEqual(['ann']);
      });
      expect(await players(db)).toEqual(['ann']);
      expect(queries.filter((q) => q.sql.toLowerCase().includes('savepoint'))).toEqual([]);
    });

    it('refuses a write in an outermost read-only transaction with a typed error, then writes again', async () => {
      const refused = await db
        .transaction(() => grantGold(db, 'ann', 10), { readOnly: true })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(UsageError);
      expect((refused as UsageError).message).toMatch(/^A read-only transaction tried to write/);
      expect(await players(db)).toEqual([]);
      // The connection is writable again for the next transaction, and reads in a read-only one still work.
      await db.transaction(() => grantGold(db, 'bob', 5));
      expect(await db.transaction((tx) => tx.selectFrom('player').select('id').execute(), { readOnly: true })).toEqual([
        { id: 'bob' },
      ]);
    });

    it('rolls back everything when the work throws, and rethrows the same error', async () => {
      const failure = new Error('crafting failed');
      await expect(
        db.transaction(async () => {
          await grantGold(db, 'ann', 10);
          await grantGold(db, 'bob', 5);
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(await players(db)).toEqual([]);
    });

    it('never runs the work of a transaction whose signal aborted before it began, and rejects with the reason', async () => {
      const abort = new AbortController();
      const reason = new Error('stopped before it began');
      abort.abort(reason);
      let ran = false;
      await expect(
        db.transaction(
          async () => {
            ran = true;
            await grantGold(db, 'ann', 10);
          },
          { signal: abort.signal },
        ),
      ).rejects.toBe(reason);
      expect(ran).toBe(false);
      expect(await players(db)).toEqual([]);
    });

    it('lets code called inside a transaction join it without being passed a handle', async () => {
      await db.transaction(async (tx) => {
        expect(db.inTransaction()).toBe(true);
        expect(db.executor()).toBe(tx);
        await grantGold(db, 'ann', 10);
        const seen = await tx.selectFrom('player').select('id').execute();
        expect(seen).toEqual([{ id: 'ann' }]);
      });
      expect(db.inTransaction()).toBe(false);
    });

    it('refuses Kysely transactions on the root handle with UsageError, writes nothing, and keeps db.transaction working', async () => {
      // They would run outside the unit of work: no async context, no retries, no afterCommit.
      const root = db.executor();
      let ran = false;
      const bypass = (): Promise<void> => {
        ran = true;
        return Promise.resolve();
      };
      const refused = [
        await root
          .transaction()
          .execute(async (trx) => {
            ran = true;
            await trx.insertInto('player').values({ id: 'bypass', gold: 1 }).execute();
          })
          .catch((e: unknown) => e),
        await root
          .transaction()
          .setIsolationLevel('serializable')
          .execute(bypass)
          .catch((e: unknown) => e),
        await root
          .startTransaction()
          .execute()
          .catch((e: unknown) => e),
        await root
          .withoutPlugins()
          .transaction()
          .execute(bypass)
          .catch((e: unknown) => e),
      ];
      for (const error of refused) {
        expect(error).toBeInstanceOf(UsageError);
        expect(error).toMatchObject({ code: 'WEFT_USAGE', status: 500 });
        expect((error as Error).message).toMatch(/db\.transaction/);
      }
      expect(ran).toBe(false);
      expect(await players(db)).toEqual([]);
      // Nothing is left holding a connection.
      expect(db.poolStats().inUse).toBe(0);
      await db.transaction(async () => {
        await grantGold(db, 'ann', 1);
        await expect(
          db.transaction(async () => {
            await grantGold(db, 'bob', 1);
            throw new Error('inner');
          }),
        ).rejects.toThrow('inner');
        await db.transaction(() => grantGold(db, 'cid', 1));
      });
      expect(await players(db)).toEqual(['ann', 'cid']);
    });

    it('refuses with UsageError a transaction handle used after its transaction ended, and Kysely nesting that would skip savepoints', async () => {
      let kept: Kysely<Tables> | undefined;
      await db.transaction(async (tx) => {
        kept = tx;
        expect(() => tx.transaction()).toThrow(UsageError);
        const nested = await tx
          .startTransaction()
          .execute()
          .catch((e: unknown) => e);
        expect(nested).toBeInstanceOf(UsageError);
        expect(nested).toMatchObject({ code: 'WEFT_USAGE' });
        expect((nested as Error).message).toMatch(/nest with db.transaction/);
      });
      const late = await kept
        ?.insertInto('player')
        .values({ id: 'late', gold: 1 })
        .execute()
        .catch((e: unknown) => e);
      expect(late).toBeInstanceOf(UsageError);
      expect((late as Error).message).toMatch(/outside its transaction/);
      expect(await players(db)).toEqual([]);
    });

    it('refuses with UsageError lockInTransaction outside a transaction and nested transactions run side by side', async () => {
      const lock = await db.lockInTransaction('anything').catch((e: unknown) => e);
      expect(lock).toBeInstanceOf(UsageError);
      expect((lock as Error).message).toMatch(/inside db.transaction/);
      await db.transaction(async () => {
        const first = db.transaction(() => sleep(10));
        const second = await db.transaction(() => 1).catch((e: unknown) => e);
        await first;
        expect(second).toBeInstanceOf(UsageError);
        expect((second as Error).message).toMatch(/one at a time/);
      });
    });

    it('rolls back only a failed nested transaction (a savepoint)', async () => {
      await db.transaction(async () => {
        await grantGold(db, 'ann', 10);
        await expect(
          db.transaction(async () => {
            await grantGold(db, 'bob', 5);
            throw new Error('inner failure');
          }),
        ).rejects.toThrow('inner failure');
        await db.transaction(() => grantGold(db, 'cid', 1));
      });
      expect(await players(db)).toEqual(['ann', 'cid']);
    });

    it('undoes a committed savepoint when the outer transaction rolls back', async () => {
      await expect(
        db.transaction(async () => {
          await db.transaction(() => grantGold(db, 'ann', 10));
          throw new Error('outer failure');
        }),
      ).rejects.toThrow('outer failure');
      expect(await players(db)).toEqual([]);
    });

    it('recovers from a failed statement inside a savepoint and commits the rest', async () => {
      await db.transaction(async () => {
        await grantGold(db, 'ann', 10);
        await expect(db.transaction(() => grantGold(db, 'ann', 99))).rejects.toBeInstanceOf(ConflictError);
        await grantGold(db, 'bob', 5);
      });
      expect(await players(db)).toEqual(['ann', 'bob']);
    });

    it('runs afterCommit work only after the outermost commit', async () => {
      const seen: string[] = [];
      await db.transaction(async () => {
        await grantGold(db, 'ann', 10);
        db.afterCommit(() => seen.push('outer'));
        await db.transaction(() => {
          db.afterCommit(async () => {
            // Runs after commit: what the transaction wrote is visible outside it.
            seen.push(`inner saw ${(await players(db)).join(',')}`);
          });
        });
        expect(seen).toEqual([]);
      });
      expect(seen).toEqual(['outer', 'inner saw ann']);
    });

    it('never runs afterCommit work after a rollback, nor work of a rolled-back savepoint', async () => {
      const seen: string[] = [];
      await expect(
        db.transaction(() => {
          db.afterCommit(() => seen.push('outer'));
          throw new Error('no');
        }),
      ).rejects.toThrow('no');
      await db.transaction(async () => {
        db.afterCommit(() => seen.push('kept'));
        await expect(
          db.transaction(() => {
            db.afterCommit(() => seen.push('dropped'));
            throw new Error('inner');
          }),
        ).rejects.toThrow('inner');
      });
      expect(seen).toEqual(['kept']);
    });

    it('keeps a transaction committed when an afterCommit callback throws, and still runs the others', async () => {
      const seen: string[] = [];
      await db.transaction(async () => {
        await grantGold(db, 'ann', 10);
        db.afterCommit(() => {
          throw new Error('callback broke');
        });
        db.afterCommit(() => seen.push('second'));
      });
      expect(seen).toEqual(['second']);
      expect(await players(db)).toEqual(['ann']);
      expect(logger.lines).toEqual([
        { level: 'error', message: 'afterCommit callback failed', object: { err: new Error('callback broke') } },
      ]);
    });

    it('maps a unique violation to ConflictError, keeping the driver error as cause', async () => {
      await grantGold(db, 'ann', 10);
      const error = await grantGold(db, 'ann', 20).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({ code: 'WEFT_CONFLICT', status: 409 });
      expect((error as WeftError).cause).toBeInstanceOf(Error);
      expect((error as WeftError).cause).not.toBeInstanceOf(WeftError);
    });

    it('maps foreign key and NOT NULL violations to ValidationError', async () => {
      const fk = await db
        .executor()
        .insertInto('item')
        .values({ id: 'sword', owner_id: 'nobody' })
        .execute()
        .catch((e: unknown) => e);
      expect(fk).toBeInstanceOf(ValidationError);
      expect(fk).toMatchObject({ code: 'WEFT_VALIDATION', status: 422 });
      const notNull = await sql`insert into player (id, gold) values ('ann', null)`
        .execute(db.executor())
        .catch((e: unknown) => e);
      expect(notNull).toBeInstanceOf(ValidationError);
      expect(await players(db)).toEqual([]);
    });

    it('reports every statement, with its duration and any error, to onQuery', async () => {
      queries.length = 0;
      await db.transaction(() => grantGold(db, 'ann', 1));
      await grantGold(db, 'ann', 1).catch(() => undefined);
      const statements = queries.map((q) => q.sql.toLowerCase());
      expect(statements.some((s) => s.startsWith('begin') || s.startsWith('start transaction'))).toBe(true);
      expect(statements.filter((s) => s.startsWith('insert into "player"'))).toHaveLength(2);
      expect(statements).toContain('commit');
      expect(queries.every((q) => q.durationMs >= 0)).toBe(true);
      expect(queries.at(-1)?.error).toBeInstanceOf(ConflictError);
    });

    it('runs a compiled statement outside a transaction on committed rows only, with typed errors, reported to onQuery', async () => {
      const count = db
        .executor()
        .selectFrom('player')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .compile();
      const insert = (id: string) => db.executor().insertInto('player').values({ id, gold: 1 }).compile();
      let wroteFirst!: () => void;
      const firstWritten = new Promise<void>((resolve) => (wroteFirst = resolve));
      let readIssued!: () => void;
      const issued = new Promise<void>((resolve) => (readIssued = resolve));
      const writer = db.transaction(async (tx) => {
        await tx.insertInto('player').values({ id: 'ann', gold: 1 }).execute();
        wroteFirst();
        await issued;
        await tx.insertInto('player').values({ id: 'bob', gold: 1 }).execute();
      });
      await firstWritten;
      // Issued while the transaction holds one row of two: it sees none (PostgreSQL) or both once they commit (SQLite,
      // whose one connection the transaction holds), never the one.
      const during = db.execute(count);
      readIssued();
      await writer;
      expect([0, 2]).toContain(Number((await during).rows[0]?.n));
      expect(Number((await db.execute(count)).rows[0]?.n)).toBe(2);
      queries.length = 0;
      const error = await db.execute(insert('ann')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect(queries.at(-1)?.error).toBeInstanceOf(ConflictError);
      expect(await players(db)).toEqual(['ann', 'bob']);
    });

    it('reports a streamed query to onQuery once it ends, read through or failed', async () => {
      await grantGold(db, 'ann', 1);
      queries.length = 0;
      const read = async () => {
        const names: string[] = [];
        for await (const row of db.executor().selectFrom('player').select('id').stream()) names.push(row.id);
        return names;
      };
      // Weft's PostgreSQL driver refuses to stream (a UsageError): there the stream fails.
      const outcome = await read().then(
        (names) => ({ names }),
        (error: unknown) => ({ error }),
      );
      const streamed = queries.filter((q) => q.sql.startsWith('select "id" from "player"'));
      expect(streamed).toHaveLength(1);
      if ('names' in outcome) {
        expect(outcome.names).toEqual(['ann']);
        expect(streamed[0]?.error).toBeUndefined();
      } else {
        expect(streamed[0]?.error).toBe(outcome.error);
      }
    });

    it('answers ping and reports its pool', async () => {
      await db.ping();
      const stats = db.poolStats();
      expect(stats.size).toBeGreaterThanOrEqual(1);
      expect(stats.waiting).toBe(0);
    });

    it('waits for open transactions on close, then refuses new ones', async () => {
      let finished = false;
      const running = db.transaction(async () => {
        await sleep(50);
        await grantGold(db, 'ann', 1);
        finished = true;
        return 'committed';
      });
      await sleep(5);
      await db.close();
      expect(finished).toBe(true);
      await expect(running).resolves.toBe('committed');
      const error = await db.transaction(() => 1).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnavailableError);
      expect(error).toMatchObject({ code: 'WEFT_CLOSED' });
      // A statement outside a transaction (the state part's reads, the health check) is refused the same way.
      for (const late of [db.execute(sql`select 1`.compile(db.executor())), db.ping()]) {
        const refused = await late.catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(UnavailableError);
        expect(refused).toMatchObject({ code: 'WEFT_CLOSED' });
      }
    });

    describe('migrations', () => {
      const created: string[] = [];
      const migrations = (part: string): Migration[] => [
        {
          name: '001_first',
          async up(m) {
            await m.schema.createTable(`${part}_first`).addColumn('id', 'integer').execute();
            created.push(`${part}_first`);
          },
          async down(m) {
            await m.schema.dropTable(`${part}_first`).execute();
          },
        },
        {
          name: '002_second',
          async up(m) {
            await m.schema.createTable(`${part}_second`).addColumn('id', 'integer').execute();
            created.push(`${part}_second`);
          },
          async down(m) {
            await m.schema.dropTable(`${part}_second`).execute();
          },
        },
      ];

      beforeEach(() => {
        created.length = 0;
      });

      it('applies pending migrations part by part, reports status, and reverts the newest first', async () => {
        const migrator = new Migrator(db)
          .register('events', migrations('events'))
          .register('state', migrations('state'));
        expect((await migrator.status()).map((s) => s.applied)).toEqual([false, false, false, false]);

        const applied = await migrator.up();
        expect(applied.map((s) => `${s.part}/${s.name}`)).toEqual([
          'events/001_first',
          'events/002_second',
          'state/001_first',
          'state/002_second',
        ]);
        expect(await migrator.up()).toEqual([]);
        const status = await migrator.status();
        expect(status.every((s) => s.applied && s.registered && typeof s.appliedAt === 'string')).toBe(true);

        const reverted = await migrator.down({ steps: 2 });
        expect(reverted.map((s) => `${s.part}/${s.name}`)).toEqual(['state/002_second', 'state/001_first']);
        expect((await migrator.status()).map((s) => s.applied)).toEqual([true, true, false, false]);
        await expect(sql`select * from state_first`.execute(db.executor())).rejects.toThrow();
        await sql`select * from events_second`.execute(db.executor());
      });

      it('leaves nothing of a failed migration and names it in a typed error', async () => {
        const migrator = new Migrator(db).register('broken', [
          ...migrations('ok'),
          {
            name: '003_broken',
            async up(m) {
              await m.schema.createTable('half_done').addColumn('id', 'integer').execute();
              throw new Error('boom');
            },
          },
        ]);
        const error = await migrator.up().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WeftError);
        expect(error).toMatchObject({ code: 'WEFT_MIGRATION_FAILED' });
        expect((error as Error).message).toContain('broken/003_broken');
        expect((await migrator.status()).map((s) => s.applied)).toEqual([true, true, false]);
        await expect(sql`select * from half_done`.execute(db.executor())).rejects.toThrow();
      });

      it('refuses a part registered twice and a migration name used twice', () => {
        const migrator = new Migrator(db).register('events', migrations('events'));
        expect(() => migrator.register('events', [])).toThrow(/registered already/);
        expect(() => new Migrator(db).register('dup', [...migrations('a'), ...migrations('b')])).toThrow(
          /two migrations named/,
        );
      });

      if (peer === undefined) return;
      it('applies each migration once when two migrators race on one database', async () => {
        const other = await db.connectAgain({ ...peer, retry: { maxAttempts: 100, baseDelayMs: 2, maxDelayMs: 20 } });
        try {
          const first = new Migrator(db).register('events', migrations('events'));
          const second = new Migrator(other).register('events', migrations('events'));
          const [a, b] = await Promise.all([first.up(), second.up()]);
          expect([...a, ...b].map((s) => s.name).sort()).toEqual(['001_first', '002_second']);
          expect(created.sort()).toEqual(['events_first', 'events_second']);
          expect((await first.status()).every((s) => s.applied)).toBe(true);
        } finally {
          await other.close();
        }
      });
    });
  });
}
