import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  EventBus,
  Migrator,
  ValidationError,
  ValidationManager,
  defineEvent,
  eventMigrations,
  type WeftLogger,
} from 'weft/internal';
import { createTestDatabase, postgresAvailableForTests, type TestDatabase } from 'weft/testing';

const quiet = { warn: () => undefined, error: () => undefined, info: () => undefined } as unknown as WeftLogger['root'];

/** A durable event whose payload takes anything: only the limits walk stands between it and the log. */
const noted = defineEvent({
  type: 'journal.noted',
  version: 1,
  owner: 'journal',
  durable: true,
  schema: z.object({ note: z.record(z.string(), z.unknown()) }),
});

const backends: Array<[string, () => Promise<TestDatabase<unknown>>]> = [
  ['SQLite file', () => createTestDatabase({ file: true })],
];
if (await postgresAvailableForTests()) backends.push(['PostgreSQL', () => createTestDatabase({ dialect: 'postgres' })]);

describe.each(backends)('event payloads JSON cannot carry, on %s', (_name, open) => {
  const busOn = (db: TestDatabase<unknown>) =>
    new EventBus({ db, validation: new ValidationManager(), logger: quiet }).define(noted);
  let db: TestDatabase<unknown> | undefined;
  let bus: ReturnType<typeof busOn> | undefined;

  afterEach(async () => {
    await bus?.close();
    await db?.close();
  });

  it('refuses NaN, Infinity, -0, a Date, a Map, a BigInt and undefined in an array at their path, logging nothing', async () => {
    db = await open();
    await new Migrator(db).register('events', eventMigrations).up();
    const events = busOn(db);
    bus = events;
    const refused: Array<[unknown, string]> = [
      [Number.NaN, '$.note.value'],
      [Number.POSITIVE_INFINITY, '$.note.value'],
      [-0, '$.note.value'],
      [new Date(0), '$.note.value'],
      [new Map([['a', 1]]), '$.note.value'],
      [10n, '$.note.value'],
      [[1, undefined], '$.note.value[1]'],
    ];
    for (const [value, pathText] of refused) {
      const error = await events
        .publish('journal.noted', { note: { value } }, { source: 'journal' })
        .catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues).toEqual([expect.objectContaining({ code: 'not_json', pathText })]);
    }
    await events.publish('journal.noted', { note: { value: 1.5, list: [null] } }, { source: 'journal' });
    const logged = await db
      .withTables<{ weft_event_log: { type: string; data: string } }>()
      .executor()
      .selectFrom('weft_event_log')
      .select('data')
      .execute();
    expect(logged.map((row) => JSON.parse(row.data) as unknown)).toEqual([{ note: { value: 1.5, list: [null] } }]);
  });
});
