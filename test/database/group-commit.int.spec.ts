import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, TimeoutError, ValidationError, createDatabase } from 'weft/internal';
import type { TestDatabase } from 'weft/testing';
import {
  InsufficientFunds,
  books,
  holdConnection,
  notes,
  openAccounts,
  transfer,
  type StatementCounts,
  type Tables,
} from './group-commit-fixture.js';

let db: TestDatabase<Tables>;
let counts: StatementCounts;

afterEach(async () => {
  await db.close();
});

/** Inserts a note in a transaction of its own (a group member when others wait with it). */
const note = (id: string): Promise<void> =>
  db.transaction(async (tx) => {
    await tx.insertInto('note').values({ id }).execute();
  });

describe('group commit on a SQLite file', () => {
  it('runs 1,000 concurrent transfers with the sum conserved and no balance negative, in far fewer commits', async () => {
    ({ db, counts } = await openAccounts(20, 100));
    const outcomes = await Promise.allSettled(
      Array.from({ length: 1000 }, (_, i) => transfer(db, (i * 7) % 20, (i * 13 + 1) % 20, 1 + (i % 40))),
    );
    const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
    for (const failure of failed) expect(failure.reason).toBeInstanceOf(InsufficientFunds);
    // Accounts that run dry refuse some transfers; most go through.
    expect(failed.length).toBeLessThan(900);
    expect(await books(db)).toEqual({ sum: 2000, lowest: expect.any(Number) as number });
    expect((await books(db)).lowest).toBeGreaterThanOrEqual(0);
    // Grouping happened: the transfers shared commits, each in a savepoint of its own.
    expect(counts.commits).toBeLessThan(1000 / 4);
    expect(counts.memberSavepoints).toBeGreaterThan(1000 / 2);
  });

  it('rolls back only the member that throws: its afterCommit never runs, the others commit and run theirs', async () => {
    ({ db, counts } = await openAccounts(0, 0));
    const hold = await holdConnection(db);
    const ran: string[] = [];
    const member = (id: string, fail: boolean): Promise<void> =>
      db.transaction(async (tx) => {
        await tx.insertInto('note').values({ id }).execute();
        db.afterCommit(() => ran.push(id));
        if (fail) throw new Error(`member ${id} fails`);
      });
    const outcomes = Promise.allSettled([member('a', false), member('b', true), member('c', false)]);
    hold.release();
    await hold.done;
    const [a, b, c] = await outcomes;
    expect([a?.status, b?.status, c?.status]).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(b).toMatchObject({ reason: { message: 'member b fails' } });
    expect(await notes(db)).toEqual(['a', 'c']);
    expect(ran).toEqual(['a', 'c']);
    // The three shared one commit (the holder had its own).
    expect(counts.commits).toBe(2);
    expect(counts.memberSavepoints).toBe(3);
  });

  it('fails every member when the group commit fails (a deferred foreign key broken at COMMIT), storing nothing', async () => {
    ({ db, counts } = await openAccounts(0, 0));
    const hold = await holdConnection(db);
    const ran: string[] = [];
    const member = (id: string): Promise<void> =>
      db.transaction(async (tx) => {
        await tx.insertInto('note').values({ id }).execute();
        db.afterCommit(() => ran.push(id));
      });
    const orphan = db.transaction(async (tx) => {
      // Accepted by the statement; the deferred key is checked only at the group's COMMIT, which it breaks.
      await tx.insertInto('child').values({ id: 1, parent_id: 404 }).execute();
    });
    const outcomes = Promise.allSettled([member('a'), orphan, member('c')]);
    hold.release();
    await hold.done;
    const settled = await outcomes;
    for (const outcome of settled) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(ValidationError);
    }
    expect(await notes(db)).toEqual([]);
    expect(await db.executor().selectFrom('child').selectAll().execute()).toEqual([]);
    expect(ran).toEqual([]);
    // The connection is usable again: the next transaction commits.
    await note('after');
    expect(await notes(db)).toEqual(['after']);
  });

  it('fails the members that ran when the transaction ends under the group, and runs the ones not reached', async () => {
    const logged: string[] = [];
    const logger = {
      warn: (_: object, message: string) => logged.push(message),
      error: (_: object, message: string) => logged.push(message),
    };
    ({ db, counts } = await openAccounts(0, 0, { logger }));
    const hold = await holdConnection(db);
    const first = note('a');
    // Ends the physical transaction under the group, as SQLite's automatic rollback after an I/O error does.
    const breaker = db.transaction(async (tx) => {
      await tx.insertInto('note').values({ id: 'b' }).execute();
      await sql`rollback`.execute(tx);
    });
    const outcomes = Promise.allSettled([first, breaker, note('c')]);
    hold.release();
    await hold.done;
    const [a, b, c] = await outcomes;
    // a's work went with the transaction: it is told so; c had not run: it runs in the next group and commits.
    expect(a).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringMatching(/no such savepoint/) as string },
    });
    expect(b?.status).toBe('rejected');
    expect(c?.status).toBe('fulfilled');
    expect(await notes(db)).toEqual(['c']);
    expect(logged).toContain('rollback failed');
  });

  it('nests transactions and savepoints of a member under its own savepoint', async () => {
    ({ db, counts } = await openAccounts(0, 0));
    const hold = await holdConnection(db);
    const ran: string[] = [];
    const nestedFailure = new Error('inner fails');
    const first = db.transaction(async (tx) => {
      await tx.insertInto('note').values({ id: 'a1' }).execute();
      await db
        .transaction(async (inner) => {
          await inner.insertInto('note').values({ id: 'a2' }).execute();
          db.afterCommit(() => ran.push('a2'));
          throw nestedFailure;
        })
        .catch((error: unknown) => expect(error).toBe(nestedFailure));
      await db.transaction(async (inner) => {
        await inner.insertInto('note').values({ id: 'a3' }).execute();
        db.afterCommit(() => ran.push('a3'));
        await db.transaction((innermost) => innermost.insertInto('note').values({ id: 'a4' }).execute());
      });
    });
    const second = db.transaction(async () => {
      await db.transaction((inner) => inner.insertInto('note').values({ id: 'b1' }).execute());
      db.afterCommit(() => ran.push('b'));
      throw new Error('second fails after its nested transaction committed into it');
    });
    const third = db.transaction(async (tx) => {
      await tx.insertInto('note').values({ id: 'c1' }).execute();
      await db.transaction((inner) => inner.insertInto('note').values({ id: 'c2' }).execute());
    });
    const outcomes = Promise.allSettled([first, second, third]);
    hold.release();
    await hold.done;
    expect((await outcomes).map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await notes(db)).toEqual(['a1', 'a3', 'a4', 'c1', 'c2']);
    expect(ran).toEqual(['a3']);
    expect(counts.memberSavepoints).toBe(3);
  });

  it('fails a member that passes its timeoutMs and rolls back its savepoint; the rest of the group commits', async () => {
    ({ db, counts } = await openAccounts(0, 0));
    const hold = await holdConnection(db);
    // First in its group, so it does not leave it when it waits (see below): it stays until its time is up.
    let late: Promise<unknown> | undefined;
    const slow = db.transaction(
      async (tx) => {
        await tx.insertInto('note').values({ id: 'slow' }).execute();
        await sleep(200);
        // Refused: its group has moved on to the next member.
        late = tx.insertInto('note').values({ id: 'slow-late' }).execute();
        await late;
      },
      { timeoutMs: 20 },
    );
    const outcomes = Promise.allSettled([slow, note('a'), note('b')]);
    hold.release();
    await hold.done;
    const [timedOut, a, b] = await outcomes;
    expect(a?.status).toBe('fulfilled');
    expect(b?.status).toBe('fulfilled');
    expect(timedOut).toMatchObject({ status: 'rejected', reason: expect.any(TimeoutError) as TimeoutError });
    expect(await notes(db)).toEqual(['a', 'b']);
    await sleep(250);
    await expect(late).rejects.toMatchObject({ code: 'WEFT_TIMEOUT' });
    expect(await notes(db)).toEqual(['a', 'b']);
  });

  it('lets a member await the outcome of a transaction ahead of it in its group', async () => {
    ({ db, counts } = await openAccounts(0, 0));
    const hold = await holdConnection(db);
    const first = note('a');
    // Before group commit, `first` committed before this one began; in one group it is acknowledged only at the
    // group's COMMIT, after this member: the member leaves the group instead of waiting forever.
    const second = db.transaction(async (tx) => {
      await first;
      await tx.insertInto('note').values({ id: 'b' }).execute();
    });
    hold.release();
    await hold.done;
    await Promise.all([first, second]);
    expect(await notes(db)).toEqual(['a', 'b']);
  });

  it('makes a member that waits past a turn of the event loop leave its group, and runs its function again alone', async () => {
    ({ db, counts } = await openAccounts(0, 0));
    const hold = await holdConnection(db);
    let runs = 0;
    const ran: string[] = [];
    const first = note('a');
    let active = 0;
    let most = 0;
    const slow = db.transaction(async (tx) => {
      runs++;
      active++;
      most = Math.max(most, active);
      try {
        await tx
          .insertInto('note')
          .values({ id: `slow-${runs}` })
          .execute();
        db.afterCommit(() => ran.push(`slow-${runs}`));
        await sleep(5);
      } finally {
        active--;
      }
    });
    const outcomes = Promise.all([first, slow, note('c')]);
    hold.release();
    await hold.done;
    await outcomes;
    // Its first try was rolled back (and its afterCommit dropped); the second, alone, committed.
    expect(runs).toBe(2);
    // The second try began once the first one's code had ended: the two never ran at once.
    expect(most).toBe(1);
    expect(await notes(db)).toEqual(['a', 'c', 'slow-2']);
    // The holder, the group of a (which slow left), slow alone, c alone.
    expect(counts.commits).toBe(4);
    expect(ran).toEqual(['slow-2']);
  });

  it('runs each member in its caller async context, not in the context of whoever started the group', async () => {
    ({ db, counts } = await openAccounts(0, 0));
    const request = new AsyncLocalStorage<string>();
    const hold = await holdConnection(db);
    const seen: Array<string | undefined> = [];
    const member = (id: string): Promise<void> =>
      request.run(id, () =>
        db.transaction(async (tx) => {
          seen.push(request.getStore());
          await tx.insertInto('note').values({ id }).execute();
        }),
      );
    const outcomes = Promise.all([member('r1'), member('r2'), member('r3')]);
    hold.release();
    await hold.done;
    await outcomes;
    expect(seen).toEqual(['r1', 'r2', 'r3']);
    expect(counts.memberSavepoints).toBe(3);
  });

  it('caps a group at maxSize: the rest wait for the next one', async () => {
    ({ db, counts } = await openAccounts(0, 0, { sqlite: { groupCommit: { maxSize: 3 } } }));
    const hold = await holdConnection(db);
    const outcomes = Promise.all(Array.from({ length: 10 }, (_, i) => note(`n${String(i).padStart(2, '0')}`)));
    hold.release();
    await hold.done;
    await outcomes;
    expect((await notes(db)).length).toBe(10);
    // The holder, then groups of 3, 3 and 3, then the last one alone (without a savepoint).
    expect(counts.commits).toBe(5);
    expect(counts.memberSavepoints).toBe(9);
  });

  it('runs read-only transactions alone, outside any group', async () => {
    ({ db, counts } = await openAccounts(1, 100));
    const hold = await holdConnection(db);
    const read = db.transaction((tx) => tx.selectFrom('account').select('balance').executeTakeFirstOrThrow(), {
      readOnly: true,
    });
    const writes = Promise.all([note('a'), note('b')]);
    hold.release();
    await hold.done;
    expect(await read).toEqual({ balance: 100 });
    await writes;
    expect(counts.memberSavepoints).toBe(2);
    // Holder, the read-only transaction, and the group of two writes.
    expect(counts.commits).toBe(3);
  });
});

describe('group commit and another process holding the write lock', () => {
  it('retries a group that found the database locked (SQLITE_BUSY): each member runs again and commits', async () => {
    const busy: string[] = [];
    ({ db, counts } = await openAccounts(0, 0));
    const other = await db.connectAgain({
      sqlite: { busyTimeoutMs: 1 },
      retry: { maxAttempts: 100, baseDelayMs: 2, maxDelayMs: 10 },
      onQuery: (event) => {
        if (event.error !== undefined) busy.push(event.sql);
      },
    });
    try {
      let locked!: () => void;
      const holding = db.transaction(async (tx) => {
        await tx.insertInto('note').values({ id: 'holder' }).execute();
        locked();
        await sleep(60);
      });
      await new Promise<void>((resolve) => (locked = resolve));
      const ran: string[] = [];
      // Started in one tick: they queue together and the first group's BEGIN meets the lock.
      await Promise.all(
        ['m1', 'm2', 'm3', 'm4'].map((id) =>
          other.transaction(async (tx) => {
            ran.push(id);
            await tx.insertInto('note').values({ id }).execute();
          }),
        ),
      );
      await holding;
      expect(busy[0]).toBe('begin immediate');
      expect(await notes(db)).toEqual(['holder', 'm1', 'm2', 'm3', 'm4']);
      // Nobody ran before the lock was free: a BEGIN that failed ran no member's work.
      expect(ran.sort()).toEqual(['m1', 'm2', 'm3', 'm4']);
    } finally {
      await other.close();
    }
  });
});

describe('group commit turned off', () => {
  it('gives every transaction its own commit', async () => {
    ({ db, counts } = await openAccounts(20, 100, { sqlite: { groupCommit: false } }));
    await Promise.allSettled(Array.from({ length: 100 }, (_, i) => transfer(db, i % 20, (i + 1) % 20, 5)));
    expect(counts.commits).toBe(100);
    expect(counts.memberSavepoints).toBe(0);
    expect(await books(db)).toEqual({ sum: 2000, lowest: expect.any(Number) as number });
  });

  it('refuses a wrong groupCommit setting with a ConfigError naming it', async () => {
    ({ db, counts } = await openAccounts(0, 0));
    const wrong: unknown[] = [true, 0, 'off', null, [], { maxSize: 1 }, { maxSize: 2.5 }, { size: 8 }];
    for (const groupCommit of wrong) {
      const error = await createDatabase({ url: 'sqlite::memory:', sqlite: { groupCommit: groupCommit as never } })
        .then(async (opened) => {
          await opened.close();
          return undefined;
        })
        .catch((e: unknown) => e);
      expect(error, JSON.stringify(groupCommit)).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/sqlite\.groupCommit/);
    }
  });
});
