import { afterEach, describe, expect, it } from 'vitest';
import { EventLogQueries, Migrator, eventMigrations, type EventTables } from 'weft/internal';
import { createTestDatabase, postgresAvailableForTests, type TestDatabase } from 'weft/testing';

// The inbox claim is the delivery's only inbox statement: it records the events and says which were new, so a
// handler runs on those alone. These run it as the delivery does, on a real SQLite file and on PostgreSQL.

const dialects = [
  { name: 'SQLite file', open: () => createTestDatabase<EventTables>({ file: true }), runs: true },
  {
    name: 'PostgreSQL',
    open: () => createTestDatabase<EventTables>({ dialect: 'postgres' }),
    runs: await postgresAvailableForTests(),
  },
];

describe.each(dialects)('the inbox claim on $name', ({ open, runs }) => {
  let db: TestDatabase<EventTables>;
  let queries: EventLogQueries;

  afterEach(async () => {
    await db?.close();
  });

  async function start(): Promise<void> {
    db = await open();
    await new Migrator(db).register('events', eventMigrations).up();
    queries = new EventLogQueries(() => db.executor());
  }

  const claim = async (subscription: string, ids: string[]): Promise<string[]> => {
    const { rows } = await db
      .executor()
      .executeQuery<{ event_id: string }>(queries.inboxClaim(subscription, ids, new Date().toISOString()));
    return rows.map((row) => row.event_id).sort();
  };

  it.runIf(runs)('returns the ids it recorded and skips those the inbox holds, per subscription', async () => {
    await start();
    expect(await db.transaction(() => claim('ledger', ['a', 'b']))).toEqual(['a', 'b']);
    expect(await db.transaction(() => claim('ledger', ['b', 'c']))).toEqual(['c']);
    expect(await db.transaction(() => claim('ledger', ['a', 'b', 'c']))).toEqual([]);
    // Another subscription's inbox is its own.
    expect(await db.transaction(() => claim('quests', ['a']))).toEqual(['a']);
    // An id twice in one claim is recorded once.
    expect(await db.transaction(() => claim('ledger', ['d', 'd']))).toEqual(['d']);
  });

  it.runIf(runs)('keeps nothing when the transaction that claimed rolls back', async () => {
    await start();
    const failed = db.transaction(async () => {
      expect(await claim('ledger', ['a', 'b'])).toEqual(['a', 'b']);
      throw new Error('the handler failed');
    });
    await expect(failed).rejects.toThrow('the handler failed');
    expect(await db.transaction(() => claim('ledger', ['a', 'b']))).toEqual(['a', 'b']);
  });
});
