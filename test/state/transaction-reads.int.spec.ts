import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EventBus, Migrator, StateStore, ValidationManager, eventMigrations, stateMigrations } from 'weft/internal';
import { createTestDatabase, postgresAvailableForTests, type TestDatabase } from 'weft/testing';

type Open = (onQuery: (sql: string) => void) => Promise<TestDatabase<unknown>>;

const backends: Array<[string, Open, { cached: boolean }]> = [
  [
    'SQLite file',
    (onQuery) => createTestDatabase({ file: true, options: { onQuery: (e) => onQuery(e.sql) } }),
    { cached: true },
  ],
];
if (process.env.CI === 'true' || (await postgresAvailableForTests()))
  backends.push([
    'PostgreSQL',
    (onQuery) => createTestDatabase({ dialect: 'postgres', options: { onQuery: (e) => onQuery(e.sql) } }),
    { cached: false },
  ]);

describe.each(backends)('reading an entry again inside one transaction, %s', (_name, open, { cached }) => {
  async function setUp(db: TestDatabase<unknown>) {
    await new Migrator(db).register('events', eventMigrations).register('state', stateMigrations).up();
    const validation = new ValidationManager();
    const events = new EventBus({ db, validation });
    const state = new StateStore({ db, validation, events });
    state.registerStateSync('economy', { schema: z.object({ gold: z.int() }) });
    return { events, state };
  }

  /** The statements a database runs, and how many of them read entries. */
  function readCounter() {
    const statements: string[] = [];
    const reads = () => statements.filter((sql) => /^select \* from "weft_state_entries" where/.test(sql)).length;
    return { statements, reads };
  }

  it('sees its own writes, and reads a row it already holds (on PostgreSQL: locked) without a statement', async () => {
    const { statements, reads } = readCounter();
    await using db = await open((sql) => statements.push(sql));
    const { events, state } = await setUp(db);
    await state.set('economy', 'ann', { gold: 5 });
    statements.length = 0;
    await state.transaction(async (tx) => {
      expect((await tx.get('economy', 'ann'))?.value).toEqual({ gold: 5 });
      expect((await tx.get('economy', 'ann'))?.value).toEqual({ gold: 5 });
      await tx.update<{ gold: number }>('economy', 'ann', (w) => ({ gold: (w?.gold ?? 0) + 1 }));
      expect(await tx.get('economy', 'ann')).toMatchObject({ value: { gold: 6 }, version: 2 });
      expect(await tx.get('economy', 'nobody')).toBeUndefined();
      expect(await tx.get('economy', 'nobody')).toBeUndefined();
    });
    // SQLite: one read of ann, one of nobody. PostgreSQL reads again what it does not hold locked (another transaction
    // may have written it): ann twice before the update locks it, then the update's read, and nobody twice.
    expect(reads()).toBe(cached ? 2 : 5);
    expect((await state.get('economy', 'ann'))?.value).toEqual({ gold: 6 });
    await events.close();
  });

  it('reads again after a savepoint rolled back, and sees the value from before it', async () => {
    await using db = await open(() => undefined);
    const { events, state } = await setUp(db);
    await state.set('economy', 'ann', { gold: 5 });
    await state.transaction(async (tx) => {
      await tx.update<{ gold: number }>('economy', 'ann', (w) => ({ gold: (w?.gold ?? 0) + 1 }));
      await expect(
        db.transaction(async () => {
          await tx.update<{ gold: number }>('economy', 'ann', (w) => ({ gold: (w?.gold ?? 0) + 100 }));
          expect((await tx.get('economy', 'ann'))?.value).toEqual({ gold: 106 });
          throw new Error('undone');
        }),
      ).rejects.toThrow('undone');
      expect(await tx.get('economy', 'ann')).toMatchObject({ value: { gold: 6 }, version: 2 });
    });
    expect(await state.get('economy', 'ann')).toMatchObject({ value: { gold: 6 }, version: 2 });
    // A transaction that rolled back leaves nothing kept for the next one.
    await expect(
      state.transaction(async (tx) => {
        await tx.update<{ gold: number }>('economy', 'ann', () => ({ gold: 0 }));
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await state.transaction(async (tx) => expect((await tx.get('economy', 'ann'))?.value).toEqual({ gold: 6 }));
    await events.close();
  });

  it('holds several entries in one statement, and the updates after it read none of them again', async () => {
    const { statements, reads } = readCounter();
    await using db = await open((sql) => statements.push(sql));
    const { events, state } = await setUp(db);
    await state.set('economy', 'ann', { gold: 5 });
    await state.set('economy', 'bob', { gold: 5 });
    statements.length = 0;
    await state.transaction(async (tx) => {
      const held = await tx.hold<{ gold: number }>('economy', ['bob', 'nobody', 'ann', 'bob']);
      expect([...held.keys()].sort()).toEqual(['ann', 'bob']);
      expect(held.get('ann')).toMatchObject({ value: { gold: 5 }, version: 1 });
      await tx.update<{ gold: number }>('economy', 'ann', (w) => ({ gold: (w?.gold ?? 0) - 2 }));
      await tx.update<{ gold: number }>('economy', 'bob', (w) => ({ gold: (w?.gold ?? 0) + 2 }));
    });
    expect(reads()).toBe(1);
    expect(await state.get('economy', 'ann')).toMatchObject({ value: { gold: 3 }, version: 2 });
    expect(await state.get('economy', 'bob')).toMatchObject({ value: { gold: 7 }, version: 2 });
    for (const keys of [[], Array.from({ length: 1001 }, (_, i) => `k${i}`), ['ann', ''], 'ann']) {
      await expect(state.hold('economy', keys as string[])).rejects.toMatchObject({ code: 'WEFT_VALIDATION' });
    }
    await events.close();
  });

  it('holds entries whatever their keys hold, and on PostgreSQL in one statement text for any number of keys', async () => {
    const { statements } = readCounter();
    await using db = await open((sql) => statements.push(sql));
    const { events, state } = await setUp(db);
    // What an array literal escapes, a list's separator, SQL quoting, and characters past ASCII.
    const keys = ['a,b', '{c}', 'd"e', "f'g", 'h\\i', ' j ', 'NULL', 'ä€😀', 'k'];
    for (const [i, key] of keys.entries()) await state.set('economy', key, { gold: i });
    statements.length = 0;
    for (const count of [1, 2, keys.length]) {
      const held = await state.transaction((tx) => tx.hold<{ gold: number }>('economy', keys.slice(0, count)));
      expect([...held.entries()].map(([key, entry]) => [key, entry.value.gold])).toEqual(
        keys.slice(0, count).map((key, i) => [key, i]),
      );
    }
    const texts = new Set(statements.filter((sql) => /^select \* from "weft_state_entries" where/.test(sql)));
    // SQLite lists the keys (one text per count); PostgreSQL passes them as one array, so its statement is named once.
    expect(texts.size).toBe(cached ? 3 : 1);
    await events.close();
  });

  it('never hands out an object another read may change: a caller that edits a value in place edits its copy', async () => {
    await using db = await open(() => undefined);
    const { events, state } = await setUp(db);
    await state.set('economy', 'ann', { gold: 5 });
    await state.transaction(async (tx) => {
      const first = await tx.get<{ gold: number }>('economy', 'ann');
      if (first !== undefined) first.value.gold = 999;
      expect((await tx.get('economy', 'ann'))?.value).toEqual({ gold: 5 });
    });
    await events.close();
  });
});
