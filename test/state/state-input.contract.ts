import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  EventBus,
  Migrator,
  StateStore,
  ValidationError,
  ValidationManager,
  eventMigrations,
  stateChanged,
  stateMigrations,
  stateRolledBack,
  type StateSlice,
  type WeftLogger,
} from 'weft/internal';
import type { TestDatabase } from 'weft/testing';

const quiet = { warn: () => undefined, error: () => undefined, info: () => undefined } as unknown as WeftLogger['root'];

const busOn = (db: TestDatabase<unknown>, validation: ValidationManager) =>
  new EventBus({ db, validation, logger: quiet }).define(stateChanged).define(stateRolledBack);

/** Keys no backend can keep as given: lone surrogates, NUL, empty, too long, not a string. */
const badKeys: Array<[string, unknown]> = [
  ['a lone high surrogate', '\uD801'],
  ['a lone low surrogate', '\uDC37'],
  ['a lone surrogate inside', 'ann\uD801'],
  ['NUL', 'a\u0000b'],
  ['the empty key', ''],
  ['513 characters', 'k'.repeat(513)],
  ['a million characters', 'k'.repeat(1_000_000)],
  ['a number', 42],
];

/** The value of a rejected promise, or of a throw. */
async function failure(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Expects a ValidationError with one issue of `code` at `pathText`. */
function expectRefused(error: unknown, code: string, pathText: string): void {
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).issues).toEqual([expect.objectContaining({ code, pathText })]);
}

/** What state refuses before it reaches the database, the same on every backend. */
export function stateInputContract(name: string, open: () => Promise<TestDatabase<unknown>>): void {
  describe(`state input: ${name}`, () => {
    let db: TestDatabase<unknown>;
    let bus: ReturnType<typeof busOn>;
    let state: StateStore;
    let wallets: StateSlice<{ gold: number }>;
    let journal: StateSlice<unknown>;

    beforeEach(async () => {
      db = await open();
      await new Migrator(db).register('events', eventMigrations).register('state', stateMigrations).up();
      const validation = new ValidationManager();
      bus = busOn(db, validation);
      state = new StateStore({ db, validation, events: bus, logger: quiet });
      wallets = state.slice('economy.wallets', { schema: z.object({ gold: z.int() }) });
      // A slice that takes anything: only the limits walk stands between a value and the table.
      journal = state.slice('journal', { schema: z.unknown() });
    });

    afterEach(async () => {
      await bus.close();
      await db.close();
    });

    it.each(badKeys)('refuses %s as a key in every operation that takes one, writing nothing', async (_label, key) => {
      const k = key as string;
      await wallets.set('ann', { gold: 1 });
      const operations: Array<[string, () => unknown]> = [
        ['get', () => state.get('economy.wallets', k)],
        ['set', () => state.set('economy.wallets', k, { gold: 1 })],
        ['update', () => state.update('economy.wallets', k, () => ({ gold: 1 }))],
        ['delete', () => state.delete('economy.wallets', k)],
        ['history', () => state.history('economy.wallets', k)],
        ['rollbackState', () => state.rollbackState('economy.wallets', k, { toVersion: 1 })],
        ['slice.entry', () => wallets.entry(k)],
        ['slice.create', () => wallets.create(k, { gold: 1 })],
        ['slice.upsert', () => wallets.upsert(k, () => ({ gold: 1 }))],
        ['slice.rollback', () => wallets.rollback(k, 1)],
        ['tx.set', () => state.transaction((tx) => tx.set('economy.wallets', k, { gold: 1 }))],
        ['tx.get', () => state.transaction((tx) => tx.get('economy.wallets', k))],
        ['list cursor', () => state.list('economy.wallets', { cursor: k })],
      ];
      if (k !== '') operations.push(['list prefix', () => state.list('economy.wallets', { prefix: k })]);
      for (const [operation, run] of operations) {
        const error = await failure(run);
        expect(error, operation).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).issues[0]?.code, operation).toBe('invalid_key');
      }
      const { entries } = await wallets.list();
      expect(entries.map((entry) => entry.key)).toEqual(['ann']);
    });

    it('keeps every well-formed key exactly: astral characters, 512 characters, an empty prefix', async () => {
      const keys = ['b\u{1F409}dragon', '\u00E9t\u00E9', 'k'.repeat(512), 'with space'];
      for (const key of keys) await wallets.set(key, { gold: 1 });
      const { entries } = await wallets.list({ prefix: '' });
      expect(entries.map((entry) => entry.key).sort()).toEqual([...keys].sort());
      for (const key of keys) expect(await wallets.get(key)).toEqual({ gold: 1 });
    });

    it('refuses versions that are not safe integers (>= 1 to roll back to, >= 0 expected) and list limits out of range', async () => {
      await wallets.set('ann', { gold: 1 });
      await wallets.set('ann', { gold: 2 });
      for (const toVersion of [Number.NaN, 0, -1, 1.5, 2 ** 53, '1' as unknown as number]) {
        expectRefused(
          await failure(() => state.rollbackState('economy.wallets', 'ann', { toVersion })),
          'invalid_version',
          '$.toVersion',
        );
        expectRefused(await failure(() => wallets.rollback('ann', toVersion)), 'invalid_version', '$.toVersion');
      }
      for (const expectedVersion of [Number.NaN, -1, 1.5, Number.POSITIVE_INFINITY]) {
        expectRefused(
          await failure(() => wallets.set('ann', { gold: 3 }, { expectedVersion })),
          'invalid_version',
          '$.expectedVersion',
        );
        expectRefused(
          await failure(() => wallets.delete('ann', { expectedVersion })),
          'invalid_version',
          '$.expectedVersion',
        );
      }
      for (const limit of [0, -1, 1001, Number.NaN, 1.5])
        expectRefused(await failure(() => wallets.list({ limit })), 'invalid_limit', '$.limit');
      expect(await wallets.entry('ann')).toMatchObject({ value: { gold: 2 }, version: 2 });
      expect(await wallets.rollback('ann', 1)).toMatchObject({ value: { gold: 1 }, version: 3 });
    });

    it('refuses a transaction id that is not a well-formed key', async () => {
      for (const id of ['', 'a\u0000b', '\uD801'])
        expectRefused(await failure(() => state.rollbackTransaction(id)), 'invalid_key', '$.transactionId');
    });

    it('refuses values JSON cannot carry at their path, under a schema that takes anything, writing nothing', async () => {
      class Point {
        constructor(readonly x: number) {}
      }
      const sparse: unknown[] = [1];
      sparse[2] = 3;
      const refused: Array<[unknown, string]> = [
        [Number.NaN, '$'],
        [{ hp: Number.NaN }, '$.hp'],
        [{ hp: Number.POSITIVE_INFINITY }, '$.hp'],
        [{ hp: -0 }, '$.hp'],
        [{ at: new Date(0) }, '$.at'],
        [{ seen: new Map([['a', 1]]) }, '$.seen'],
        [{ tags: new Set(['a']) }, '$.tags'],
        [{ big: 10n }, '$.big'],
        [{ list: [1, undefined] }, '$.list[1]'],
        [{ list: sparse }, '$.list[1]'],
        [{ point: new Point(1) }, '$.point'],
        [{ run: () => 1 }, '$.run'],
        [undefined, '$'],
      ];
      for (const [value, pathText] of refused) {
        expectRefused(await failure(() => journal.set('ann', value)), 'not_json', pathText);
        expectRefused(
          await failure(() => state.transaction((tx) => tx.update('journal', 'bob', () => value))),
          'not_json',
          pathText,
        );
      }
      expect((await journal.list()).entries).toEqual([]);
      // What JSON carries comes back exactly, lone surrogates inside strings included (JSON escapes them).
      const kept = { n: 1.5, zero: 0, list: [null, 'x'], text: 'half \uD801 pair', nested: { deep: [true] } };
      await journal.set('ann', kept);
      expect(await journal.get('ann')).toEqual(kept);
      expect((await journal.history('ann'))[0]?.value).toBe(JSON.stringify(kept));
    });
  });
}
