import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql as kyselySql,
  type CompiledQuery,
} from 'kysely';
import { describe, expect, it } from 'vitest';
import { EventLogQueries, eventLogStatements, unreadWrite, type EventEnvelope, type EventTables } from 'weft/internal';

// The events part compiles its hot statements once, with stand-in values, and reuses the SQL text
// with fresh parameters (event-log-queries.ts). A Kysely upgrade that compiled them differently
// would silently break that reuse: these tests pin the SQL and the placeholders of each shape on
// both compilers, and check that the parameters come in the order Kysely itself would put them.

const sqlite = new Kysely<EventTables>({
  dialect: {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  },
});
const postgres = new Kysely<EventTables>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

const COLUMNS =
  '("id", "type", "version", "source", "time", "partition_key", "correlation_id", "causation_id", "traceparent", "data")';

/** The SQL each shape compiles to, with `?` for a placeholder; PostgreSQL numbers them ($1, $2, ...). */
const expected: Record<string, string> = {
  'append, 1 row': `insert into "weft_event_log" ${COLUMNS} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  'append, 2 rows': `insert into "weft_event_log" ${COLUMNS} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  'read all, open': 'select * from "weft_event_log" where "seq" > ? order by "seq" limit ?',
  'read all, bounded': 'select * from "weft_event_log" where "seq" > ? and "seq" <= ? order by "seq" limit ?',
  'read system, open':
    'select * from "weft_event_log" where "seq" > ? and substr("type", 1, ?) = ? order by "seq" limit ?',
  'read system, bounded':
    'select * from "weft_event_log" where "seq" > ? and substr("type", 1, ?) = ? and "seq" <= ? order by "seq" limit ?',
  'read type, open': 'select * from "weft_event_log" where "seq" > ? and "type" = ? order by "seq" limit ?',
  'read type, bounded':
    'select * from "weft_event_log" where "seq" > ? and "type" = ? and "seq" <= ? order by "seq" limit ?',
  'inbox claim, 2 rows':
    'insert into "weft_event_inbox" ("subscription", "event_id", "handled_at") values (?, ?, ?), (?, ?, ?) ' +
    'on conflict do nothing returning "event_id"',
  'cursor move':
    'update "weft_event_cursors" set "seq" = ?, "updated_at" = ?, "lease_until" = ? ' +
    'where "subscription" = ? and "holder" = ? and "epoch" = ? and "seq" <= ?',
};

const shapes = (db: Kysely<EventTables>): Record<string, CompiledQuery> => ({
  'append, 1 row': eventLogStatements.append(db, 1).compile(),
  'append, 2 rows': eventLogStatements.append(db, 2).compile(),
  'read all, open': eventLogStatements.readAfter(db, 'all', false).compile(),
  'read all, bounded': eventLogStatements.readAfter(db, 'all', true).compile(),
  'read system, open': eventLogStatements.readAfter(db, 'system', false).compile(),
  'read system, bounded': eventLogStatements.readAfter(db, 'system', true).compile(),
  'read type, open': eventLogStatements.readAfter(db, 'type', false).compile(),
  'read type, bounded': eventLogStatements.readAfter(db, 'type', true).compile(),
  'inbox claim, 2 rows': eventLogStatements.inboxClaim(db, 2).compile(),
  'cursor move': eventLogStatements.moveCursor(db).compile(),
});

/** `?` placeholders numbered the PostgreSQL way. */
const numbered = (text: string): string => {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
};

const envelope = (n: number, partitionKey: string | undefined): EventEnvelope => ({
  id: `id-${n}`,
  type: 'crafting.item_crafted',
  version: 2,
  source: 'crafting',
  time: '2025-01-01T00:00:00.000Z',
  partitionKey,
  correlationId: `corr-${n}`,
  causationId: n === 1 ? undefined : 'cause',
  traceparent: undefined,
  data: { n },
});

const row = (e: EventEnvelope) => ({
  id: e.id,
  type: e.type,
  version: e.version,
  source: e.source,
  time: e.time,
  partition_key: e.partitionKey ?? null,
  correlation_id: e.correlationId,
  causation_id: e.causationId ?? null,
  traceparent: e.traceparent ?? null,
  data: JSON.stringify(e.data),
});

describe.each([
  { name: 'SQLite', db: sqlite, sql: (text: string) => text },
  { name: 'PostgreSQL', db: postgres, sql: numbered },
])('the events part hot statements on the $name compiler', ({ db, sql }) => {
  it('compile to the SQL they were written against, with one placeholder per value', () => {
    const compiled = shapes(db);
    for (const [shape, text] of Object.entries(expected)) {
      expect(compiled[shape]?.sql, shape).toBe(sql(text));
      expect(compiled[shape]?.parameters, shape).toHaveLength(text.split('?').length - 1);
    }
  });

  it('take their values in the order Kysely itself puts them', () => {
    const queries = new EventLogQueries(() => db);
    const same = (cached: CompiledQuery, direct: CompiledQuery) => {
      expect(cached.sql).toBe(direct.sql);
      expect(cached.parameters).toEqual(direct.parameters);
    };
    const events = [envelope(1, 'ann'), envelope(2, undefined)];
    // The append is marked as a write nobody reads back (sent with the next statement on PostgreSQL).
    same(queries.append(events), unreadWrite(db.insertInto('weft_event_log').values(events.map(row))).compile());
    const read = db.selectFrom('weft_event_log').selectAll().where('seq', '>', 5);
    same(queries.readAfter(5, '*', 100), read.orderBy('seq').limit(100).compile());
    same(
      queries.readAfter(5, 'crafting.*', 100, 9),
      read
        .where((eb) => eb(eb.fn('substr', [eb.ref('type'), kyselySql.lit(1), eb.val(9)]), '=', 'crafting.'))
        .where('seq', '<=', 9)
        .orderBy('seq')
        .limit(100)
        .compile(),
    );
    same(
      queries.readAfter(5, 'crafting.item_crafted', 100),
      read.where('type', '=', 'crafting.item_crafted').orderBy('seq').limit(100).compile(),
    );
    same(
      queries.inboxClaim('ledger', ['a', 'b'], 'now'),
      db
        .insertInto('weft_event_inbox')
        .values(['a', 'b'].map((id) => ({ subscription: 'ledger', event_id: id, handled_at: 'now' })))
        .onConflict((oc) => oc.doNothing())
        .returning('event_id')
        .compile(),
    );
    same(
      queries.moveCursor({ subscription: 'ledger', seq: 7, updatedAt: 'now', leaseUntil: 9, holder: 'me', epoch: 2 }),
      db
        .updateTable('weft_event_cursors')
        .set({ seq: 7, updated_at: 'now', lease_until: 9 })
        .where('subscription', '=', 'ledger')
        .where('holder', '=', 'me')
        .where('epoch', '=', 2)
        .where('seq', '<=', 7)
        .compile(),
    );
  });
});
