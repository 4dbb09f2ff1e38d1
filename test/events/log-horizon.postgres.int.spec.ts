import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EventLog,
  MemoryTransport,
  Migrator,
  eventMigrations,
  uuidv7,
  type EventEnvelope,
  type LoggedEvent,
} from 'weft/internal';
import { createTestDatabase, postgresAvailableForTests, type TestDatabase } from 'weft/testing';

// On PostgreSQL publishing transactions commit side by side (the log's lock is taken shared), so a lower sequence
// number may commit after a higher one. These tests hold a publisher open between its insert and its commit.

const envelope = (key: string): EventEnvelope => ({
  id: uuidv7(),
  type: 'crafting.item_crafted',
  version: 1,
  source: 'crafting',
  time: new Date().toISOString(),
  partitionKey: key,
  correlationId: uuidv7(),
  causationId: undefined,
  traceparent: undefined,
  data: { key },
});

/** A publisher that inserted its event and waits, lock held, until `commit` is called. */
function heldPublisher(db: TestDatabase<unknown>, log: EventLog, event: EventEnvelope) {
  let commit: () => void = () => undefined;
  let inserted: () => void = () => undefined;
  const release = new Promise<void>((resolve) => (commit = resolve));
  const insertedNow = new Promise<void>((resolve) => (inserted = resolve));
  const done = db.transaction(async () => {
    await log.append(event);
    await db.flushPending();
    // Then more work, as a publisher's transaction does: on PostgreSQL the insert and its lock go with this statement
    // (a write nobody reads back waits for the next one), and are held from here to the commit.
    await sql`select ${1}::int as more_work`.execute(db.executor());
    inserted();
    await release;
  });
  return { inserted: insertedNow, commit, done };
}

describe.runIf(await postgresAvailableForTests())('event log horizon on PostgreSQL', () => {
  let db: TestDatabase<unknown>;
  let log: EventLog;

  beforeEach(async () => {
    db = await createTestDatabase({ dialect: 'postgres' });
    await new Migrator(db).register('events', eventMigrations).up();
    log = new EventLog(db);
  });

  afterEach(async () => {
    await db.close();
  });

  /** Polls the server until a session waits for an advisory lock (the horizon's, or the exclusive test holder's). */
  async function someoneWaitsForALock(): Promise<void> {
    for (let look = 0; look < 500; look++) {
      const { rows } = await sql<{ waiting: number }>`
        select count(*)::int as waiting from pg_locks where locktype = 'advisory' and not granted
      `.execute(db.executor());
      if ((rows[0]?.waiting ?? 0) > 0) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
    throw new Error('nobody waited for an advisory lock');
  }

  it('commits publishers side by side, and a reader never passes an event that commits later', async () => {
    const transport = new MemoryTransport({ db, pollIntervalMs: 3_600_000 });
    const stream = transport.subscribe({ name: 'reader', pattern: '*', startFrom: 'beginning' });
    await stream.ready;
    try {
      const first = envelope('ann');
      const held = heldPublisher(db, log, first);
      await held.inserted;
      // A second publisher commits while the first, with the lower sequence number, is still open.
      const second = envelope('bob');
      await db.transaction(() => log.append(second));
      const [committed] = await log.readAfter(0, '*', 10);
      expect(committed?.envelope.id).toBe(second.id);

      // The reader waits for the open publisher instead of handing the second event alone.
      const fetched = stream.fetch(10);
      await someoneWaitsForALock();
      held.commit();
      await held.done;
      const events: LoggedEvent[] = await fetched;
      expect(events.map((event) => event.envelope.id)).toEqual([first.id, second.id]);
    } finally {
      await stream.close();
      await transport.close();
    }
  });

  it('horizon: the highest sequence number at and below which every event has committed, refused in a transaction', async () => {
    await db.transaction(() => log.append(envelope('ann')));
    const held = heldPublisher(db, log, envelope('bob'));
    await held.inserted;
    const reading = log.horizon();
    await someoneWaitsForALock();
    held.commit();
    await held.done;
    expect(await reading).toBe(await log.lastSeq());
    await expect(db.transaction(() => log.horizon())).rejects.toThrow(/outside a transaction/);
  });

  it('lockInTransaction: shared holders hold together, an exclusive one waits for them', async () => {
    const order: string[] = [];
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let bothHold: () => void = () => undefined;
    const holding = new Promise<void>((resolve) => (bothHold = resolve));
    let holders = 0;
    const shared = (name: string) =>
      db.transaction(async () => {
        await db.lockInTransaction('resource', { shared: true });
        order.push(`${name} holds`);
        if (++holders === 2) bothHold();
        await released;
      });
    const a = shared('a');
    const b = shared('b');
    await holding;
    const exclusive = db.transaction(async () => {
      await db.lockInTransaction('resource');
      order.push('exclusive holds');
    });
    await someoneWaitsForALock();
    expect([...order].sort()).toEqual(['a holds', 'b holds']);
    release();
    await Promise.all([a, b, exclusive]);
    expect(order.at(-1)).toBe('exclusive holds');
  });

  it('takes the log lock once per transaction, and again after a savepoint rolled back', async () => {
    const statements: string[] = [];
    const watched = await createTestDatabase({
      dialect: 'postgres',
      options: { onQuery: (q) => statements.push(q.sql) },
    });
    try {
      await new Migrator(watched).register('events', eventMigrations).up();
      const watchedLog = new EventLog(watched);
      const locks = () => statements.filter((text) => text.includes('pg_advisory_xact_lock_shared')).length;
      // 300 events: three chunks of inserts, one lock.
      await watched.transaction(async () => {
        for (let n = 0; n < 300; n++) await watchedLog.append(envelope(`k${n % 5}`));
      });
      expect(locks()).toBe(1);
      expect(await watchedLog.lastSeq()).toBe(300);

      statements.length = 0;
      await watched.transaction(async () => {
        // The savepoint's rollback may release the lock taken inside it: the next write takes it again.
        await watched
          .transaction(async () => {
            await watchedLog.append(envelope('ann'));
            await watched.flushPending();
            throw new Error('rolled back');
          })
          .catch(() => undefined);
        await watchedLog.append(envelope('bob'));
        await watched.flushPending();
        await watchedLog.append(envelope('cid'));
      });
      expect(locks()).toBe(2);
      const events = await watchedLog.readAfter(300, '*', 10);
      expect(events.map((event) => event.envelope.partitionKey)).toEqual(['bob', 'cid']);
    } finally {
      await watched.close();
    }
  });
});
