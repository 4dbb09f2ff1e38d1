import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  EventBus,
  MonitoringManager,
  Migrator,
  StateStore,
  ValidationManager,
  eventMigrations,
  stateMigrations,
} from 'weft/internal';
import { createTestDatabase } from 'weft/testing';
import { buildApp } from '../../src/server/index.js';

describe('GET /status', () => {
  it('reports the state sync status of each system', async () => {
    await using db = await createTestDatabase();
    await new Migrator(db).register('events', eventMigrations).register('state', stateMigrations).up();
    const monitoring = new MonitoringManager({ processMetrics: false, logger: { level: 'silent' } });
    const validation = new ValidationManager();
    const events = new EventBus({ db, validation });
    const state = new StateStore({ db, validation, events });
    state.registerStateSync('economy', { schema: z.object({ gold: z.int() }) });
    await state.set('economy', 'ann', { gold: 5 });
    const app = buildApp({ monitoring, state });
    const response = await app.inject({ method: 'GET', url: '/status' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      health: 'ok',
      systems: [{ system: 'economy', entries: 1, lastVersion: 1, changesLastMinute: 1, conflictsLastMinute: 0 }],
    });
    await events.close();
  });
});
