import { describe, expect, it } from 'vitest';
import {
  EventBus,
  Migrator,
  StateStore,
  StateSyncManager,
  ValidationManager,
  eventMigrations,
  stateMigrations,
  stateSyncManager,
  transaction,
} from 'weft/internal';
import { createTestDatabase } from 'weft/testing';

describe("the seed's StateSyncManager", () => {
  it('records each system state as a version and tells every other system, after which notify resolves', async () => {
    await using db = await createTestDatabase();
    await new Migrator(db).register('events', eventMigrations).register('state', stateMigrations).up();
    const validation = new ValidationManager();
    const events = new EventBus({ db, validation });
    const manager = new StateSyncManager(new StateStore({ db, validation, events }));
    const heard: Array<[string, string, unknown]> = [];
    manager.subscribe('quest', (system, state) => void heard.push(['quest', system, state]));
    manager.subscribe('economy', (system, state) => void heard.push(['economy', system, state]));
    const entry = await manager.notifyStateChange('economy', { gold: 5 });
    expect(entry).toMatchObject({ system: 'economy', key: 'state', version: 1 });
    // Resolved after the callbacks ran; the system's own subscriber does not hear its change.
    expect(heard).toEqual([['quest', 'economy', { gold: 5 }]]);
    const rolled = await manager.rollback('economy', { gold: 1 });
    expect(rolled).toMatchObject({ value: { gold: 1 }, version: 2 });
    expect((await manager.syncState((tx) => tx.get('economy', 'state')))?.value).toEqual({ gold: 1 });
    manager.unsubscribe('quest');
    await manager.notifyStateChange('economy', { gold: 9 });
    expect(heard).toHaveLength(2);
    expect((await manager.getSyncStatus()).systems).toMatchObject([{ system: 'economy', entries: 1, lastVersion: 3 }]);
    expect(await manager.rollbackState('economy', 'state', { toVersion: 1 })).toMatchObject({
      value: { gold: 5 },
      version: 4,
    });
    expect((await manager.validateState()).ok).toBe(true);
    await events.close();
  });

  it('works on the default instance and weft.transaction, on the embedded database', async () => {
    const heard: unknown[] = [];
    stateSyncManager.subscribe('analytics', (_system, state) => void heard.push(state));
    await stateSyncManager.notifyStateChange('world_state', { day: 1 });
    expect(heard).toEqual([{ day: 1 }]);
    const day = await transaction(async (tx) => (await tx.get<{ day: number }>('world_state', 'state'))?.value.day);
    expect(day).toBe(1);
    stateSyncManager.unsubscribe('analytics');
  });
});
