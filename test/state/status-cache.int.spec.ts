import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { EventBus, Migrator, StateStore, ValidationManager, eventMigrations, stateMigrations } from 'weft/internal';
import { createTestDatabase, postgresAvailableForTests, type TestDatabase } from 'weft/testing';

type Open = (onQuery: (sql: string) => void) => Promise<TestDatabase<unknown>>;

const backends: Array<[string, Open]> = [
  ['SQLite file', (onQuery) => createTestDatabase({ file: true, options: { onQuery: (e) => onQuery(e.sql) } })],
];
if (await postgresAvailableForTests())
  backends.push([
    'PostgreSQL',
    (onQuery) => createTestDatabase({ dialect: 'postgres', options: { onQuery: (e) => onQuery(e.sql) } }),
  ]);

describe.each(backends)(
  'the sync status is computed once for concurrent callers and kept a while, %s',
  (_name, open) => {
    it('runs one computation for 8 concurrent calls, and serves it again until statusTtlMs has passed', async () => {
      const statements: string[] = [];
      await using db = await open((sql) => statements.push(sql));
      await new Migrator(db).register('events', eventMigrations).register('state', stateMigrations).up();
      const validation = new ValidationManager();
      const events = new EventBus({ db, validation });
      const state = new StateStore({ db, validation, events, statusTtlMs: 300 });
      state.registerStateSync('economy', { schema: z.object({ gold: z.int() }) });
      await state.set('economy', 'ann', { gold: 5 });
      // Each computation asks for the slice's latest change once: count those statements.
      const computations = () => statements.filter((sql) => sql.includes('max("changed_at")')).length;
      statements.length = 0;
      const reports = await Promise.all(Array.from({ length: 8 }, () => state.getSyncStatus()));
      expect(computations()).toBe(1);
      expect(reports.every((report) => report === reports[0])).toBe(true);
      expect(reports[0]?.systems[0]).toMatchObject({ entries: 1, lastVersion: 1 });

      await state.set('economy', 'bob', { gold: 1 });
      expect((await state.getSyncStatus()).systems[0]).toMatchObject({ entries: 1 });
      expect(computations()).toBe(1);
      await sleep(350);
      expect((await state.getSyncStatus()).systems[0]).toMatchObject({ entries: 2, lastVersion: 1 });
      expect(computations()).toBe(2);
      await events.close();
    });
  },
);
