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

  it('sees its own writes, and on SQLite reads a row it already holds without a statement', async () => {
    const statements: string[] = [];
    await using db = await open((sql) => statements.push(sql));
    const { events, state } = await setUp(db);
    const reads = () => statements.filter((sql) => /^select \* from "weft_state_entries" where/.test(sql)).length;
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
    // SQLite: one read of ann, one of nobody; PostgreSQL reads each time (another transaction may have written).
    expect(reads()).toBe(cached ? 2 : 6);
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
