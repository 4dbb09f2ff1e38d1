import { describe, expect, it } from 'vitest';
import * as weft from 'weft';
import * as database from 'weft/database';
import * as events from 'weft/events';
import * as internal from 'weft/internal';
import * as monitoring from 'weft/monitoring';
import * as state from 'weft/state';
import * as validation from 'weft/validation';
import { createTestDatabase } from 'weft/testing';

const INTERNALS = [
  'randomHex',
  'EventLog',
  'applyPatch',
  'diff',
  'parseSettings',
  'matchesEventPattern',
  'eventMigrations',
  'stateMigrations',
  'redactUrl',
  'SeriesCounter',
  'startSpan',
];

describe('the package imports itself by name', () => {
  it('exposes createDatabase from weft and weft/database, and fixtures from weft/testing', async () => {
    expect(database.createDatabase).toBe(weft.createDatabase);
    // Public since a game system compiles its hot statements with it (auth_user.authenticate).
    expect(database.StatementCache).toBe(weft.StatementCache);
    // Public since a game system's command names the input field it refuses in a ValidationError's issues.
    expect(validation.issue).toBe(weft.issue);
    // Public since a game system mints the ids of its indexed rows with it (the economy's movements).
    expect(events.uuidv7).toBe(weft.uuidv7);
    await using db = await createTestDatabase();
    await db.ping();
    expect(weft.isWeftError(new weft.ConflictError('taken'), 'WEFT_CONFLICT')).toBe(true);
  });

  it('keeps internals out of the public faces, and in weft/internal', () => {
    for (const face of [weft, database, events, monitoring, state, validation]) {
      expect(INTERNALS.filter((name) => name in face)).toEqual([]);
    }
    expect(INTERNALS.filter((name) => !(name in internal))).toEqual([]);
  });

  it("keeps the seed's names importable from weft", () => {
    for (const name of [
      'integrationEventBus',
      'eventDispatcher',
      'stateSyncManager',
      'validationManager',
      'integrationLogger',
      'integrationMetrics',
      'integrationAlerting',
      'monitoringManager',
      'transaction',
      'StateSyncManager',
      'ValidationManager',
      'MonitoringManager',
    ]) {
      expect(name in weft).toBe(true);
    }
  });
});
