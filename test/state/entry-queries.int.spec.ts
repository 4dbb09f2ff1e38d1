// Runs the state part's hand-written PostgreSQL statement (a writable CTE: the entry's change and its
// history row in one round trip) against a real server: the SQL the unit test pins must also do the
// right thing, writing both rows when the version matches and neither when it does not.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, Migrator, stateMigrations } from 'weft/internal';
import { createTestDatabase, postgresAvailableForTests, type TestDatabase } from 'weft/testing';
import { writeWithHistory, type NewVersion, type StateTables } from '../../src/integration/state/entry-queries.js';

const version = (overrides: Partial<NewVersion>): NewVersion => ({
  system: 'crafting',
  key: 'player:1',
  value: { gold: 10 },
  version: 1,
  patch: [{ op: 'add', path: '', value: { gold: 10 } }],
  kind: 'set',
  transactionId: 'tx-1',
  correlationId: 'corr-1',
  by: 'crafting',
  at: '2025-01-01T00:00:00.000Z',
  ...overrides,
});

describe.runIf(await postgresAvailableForTests())('the state write with history on PostgreSQL', () => {
  let db: TestDatabase<StateTables>;

  beforeEach(async () => {
    db = await createTestDatabase<StateTables>({ dialect: 'postgres' });
    expect(db.capabilities.writableCte).toBe(true);
    await new Migrator(db).register('state', stateMigrations).up();
  });

  afterEach(async () => {
    await db.close();
  });

  const write = async (entry: NewVersion, previous: number | undefined): Promise<number> =>
    Number((await db.execute(writeWithHistory(entry, previous))).numAffectedRows);
  const entries = () => db.executor().selectFrom('weft_state_entries').selectAll().execute();
  const history = () => db.executor().selectFrom('weft_state_history').selectAll().orderBy('version').execute();

  it('writes the entry and its history row for a first write, an update and a delete', async () => {
    expect(await write(version({}), undefined)).toBe(1);
    expect(await entries()).toEqual([
      {
        system: 'crafting',
        key: 'player:1',
        value: '{"gold":10}',
        version: 1,
        updated_at: '2025-01-01T00:00:00.000Z',
        updated_by: 'crafting',
      },
    ]);
    expect(await history()).toEqual([
      {
        system: 'crafting',
        key: 'player:1',
        version: 1,
        value: '{"gold":10}',
        patch: '[{"op":"add","path":"","value":{"gold":10}}]',
        kind: 'set',
        transaction_id: 'tx-1',
        correlation_id: 'corr-1',
        changed_at: '2025-01-01T00:00:00.000Z',
        changed_by: 'crafting',
      },
    ]);

    const second = version({
      value: { gold: 4 },
      version: 2,
      kind: 'rollback',
      transactionId: 'tx-2',
      correlationId: undefined,
      by: undefined,
      at: '2025-01-02T00:00:00.000Z',
    });
    expect(await write(second, 1)).toBe(1);
    expect(await entries()).toMatchObject([{ value: '{"gold":4}', version: 2, updated_by: null }]);
    expect((await history()).at(-1)).toMatchObject({
      version: 2,
      value: '{"gold":4}',
      kind: 'rollback',
      transaction_id: 'tx-2',
      correlation_id: null,
      changed_by: null,
    });

    expect(await write(version({ value: undefined, version: 3, kind: 'delete', transactionId: 'tx-3' }), 2)).toBe(1);
    expect(await entries()).toEqual([]);
    expect((await history()).map((row) => [row.version, row.kind, row.value])).toEqual([
      [1, 'set', '{"gold":10}'],
      [2, 'rollback', '{"gold":4}'],
      [3, 'delete', null],
    ]);
  });

  it('writes nothing, neither entry nor history, when the version is no longer the one read', async () => {
    expect(await write(version({}), undefined)).toBe(1);
    expect(await write(version({ value: { gold: 99 }, version: 2 }), 0)).toBe(0);
    expect(await write(version({ value: undefined, version: 2, kind: 'delete' }), 5)).toBe(0);
    // A second first write of the key: the unique key refuses it, and its history row with it.
    await expect(write(version({ value: { gold: 1 }, version: 1 }), undefined)).rejects.toBeInstanceOf(ConflictError);
    expect(await entries()).toMatchObject([{ value: '{"gold":10}', version: 1 }]);
    expect((await history()).map((row) => row.version)).toEqual([1]);
  });

  it('runs in the open transaction and is undone with it', async () => {
    await expect(
      db.transaction(async () => {
        expect(await write(version({}), undefined)).toBe(1);
        expect(await entries()).toHaveLength(1);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await entries()).toEqual([]);
    expect(await history()).toEqual([]);
  });
});
