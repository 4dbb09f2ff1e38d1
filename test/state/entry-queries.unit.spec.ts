// Pins the SQL of the state part's hot statements (src/integration/state/entry-queries.ts) under
// Kysely's own SQLite and PostgreSQL compilers. They are compiled once with stand-in values and run
// with fresh parameters; if a Kysely upgrade changes the SQL or the order of placeholders, this
// fails here, naming the statement, rather than writing values into the wrong columns.
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type Compilable,
} from 'kysely';
import { describe, expect, it } from 'vitest';
import { StatementCache } from 'weft/internal';
import {
  WRITE_WITH_HISTORY,
  cachedEntryStatements,
  insertHistory,
  writeWithHistory,
  type EntryStatement,
  type NewVersion,
  type StateTables,
} from '../../src/integration/state/entry-queries.js';

/** Kysely with a backend's real query compiler and no connection: it only compiles. */
function compilerOnly(backend: 'sqlite' | 'postgres'): Kysely<StateTables> {
  return new Kysely<StateTables>({
    dialect:
      backend === 'sqlite'
        ? {
            createAdapter: () => new SqliteAdapter(),
            createDriver: () => new DummyDriver(),
            createIntrospector: (db) => new SqliteIntrospector(db),
            createQueryCompiler: () => new SqliteQueryCompiler(),
          }
        : {
            createAdapter: () => new PostgresAdapter(),
            createDriver: () => new DummyDriver(),
            createIntrospector: (db) => new PostgresIntrospector(db),
            createQueryCompiler: () => new PostgresQueryCompiler(),
          },
  });
}

const HISTORY_COLUMNS =
  '"system", "key", "version", "value", "patch", "kind", "transaction_id", "correlation_id", "changed_at", "changed_by"';

/** The SQL each statement must compile to; `?` on SQLite, `$n` on PostgreSQL. */
const EXPECTED: Record<string, { sqlite?: string; postgres: string }> = {
  read: {
    sqlite: 'select * from "weft_state_entries" where "system" = ? and "key" = ?',
    postgres: 'select * from "weft_state_entries" where "system" = $1 and "key" = $2',
  },
  // Row locks are taken only on backends with concurrent writers (PostgreSQL).
  'read:lock': {
    postgres: 'select * from "weft_state_entries" where "system" = $1 and "key" = $2 for update',
  },
  insert: {
    sqlite:
      'insert into "weft_state_entries" ("system", "key", "value", "version", "updated_at", "updated_by") values (?, ?, ?, ?, ?, ?)',
    postgres:
      'insert into "weft_state_entries" ("system", "key", "value", "version", "updated_at", "updated_by") values ($1, $2, $3, $4, $5, $6)',
  },
  update: {
    sqlite:
      'update "weft_state_entries" set "value" = ?, "version" = ?, "updated_at" = ?, "updated_by" = ? where "system" = ? and "key" = ? and "version" = ?',
    postgres:
      'update "weft_state_entries" set "value" = $1, "version" = $2, "updated_at" = $3, "updated_by" = $4 where "system" = $5 and "key" = $6 and "version" = $7',
  },
  delete: {
    sqlite: 'delete from "weft_state_entries" where "system" = ? and "key" = ? and "version" = ?',
    postgres: 'delete from "weft_state_entries" where "system" = $1 and "key" = $2 and "version" = $3',
  },
  history: {
    sqlite: `insert into "weft_state_history" (${HISTORY_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    postgres: `insert into "weft_state_history" (${HISTORY_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
  },
};

const versions: NewVersion[] = [
  {
    system: 'crafting',
    key: 'player:1',
    value: { gold: 10, items: ['sword'] },
    version: 3,
    patch: [{ op: 'replace', path: '/gold', value: 10 }],
    kind: 'set',
    transactionId: 'tx-1',
    correlationId: 'corr-1',
    by: 'crafting',
    at: '2025-01-01T00:00:00.000Z',
  },
  {
    system: 'combat',
    key: 'boss',
    value: 7,
    version: 1,
    patch: [],
    kind: 'rollback',
    transactionId: 'tx-2',
    correlationId: undefined,
    by: undefined,
    at: '2025-01-02T00:00:00.000Z',
  },
  {
    system: 'combat',
    key: 'boss',
    value: undefined,
    version: 2,
    patch: [{ op: 'remove', path: '' }],
    kind: 'delete',
    transactionId: 'tx-3',
    correlationId: undefined,
    by: 'combat',
    at: '2025-01-03T00:00:00.000Z',
  },
];

/** Real arguments for a statement, from each version it is used for (insert and update never write a delete). */
function argumentsFor(statement: EntryStatement<readonly unknown[]>): Array<readonly unknown[]> {
  switch (statement.key) {
    case 'read':
    case 'read:lock':
      return versions.map((v) => [v.system, v.key]);
    case 'insert':
      return versions.filter((v) => v.kind !== 'delete').map((v) => [v]);
    case 'update':
      return versions.filter((v) => v.kind !== 'delete').map((v) => [v, v.version - 1]);
    case 'delete':
      return versions.filter((v) => v.kind === 'delete').map((v) => [v, v.version - 1]);
    default:
      return versions.map((v) => [v]);
  }
}

const statements = cachedEntryStatements as ReadonlyArray<EntryStatement<readonly unknown[]>>;

describe.each(['sqlite', 'postgres'] as const)('entry statements under Kysely’s %s compiler', (backend) => {
  const db = compilerOnly(backend);
  const build = (statement: EntryStatement<readonly unknown[]>, args: readonly unknown[]): Compilable =>
    statement.build(db, ...args);

  it('covers every statement EntryTable compiles once', () => {
    expect(statements.map((s) => s.key).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const statement of statements) {
    const expected = EXPECTED[statement.key]?.[backend];
    if (expected === undefined) continue;

    it(`${statement.key}: compiles to the pinned SQL with one placeholder per parameter`, () => {
      const compiled = build(statement, statement.standIn).compile();
      expect(compiled.sql).toBe(expected);
      const placeholders =
        backend === 'sqlite' ? compiled.sql.split('?').length - 1 : compiled.sql.match(/\$\d+/g)?.length;
      expect(compiled.parameters).toHaveLength(placeholders ?? 0);
      for (const args of argumentsFor(statement)) {
        expect(statement.parameters(...args)).toHaveLength(compiled.parameters.length);
      }
    });

    it(`${statement.key}: compiled once with stand-ins and given real values equals Kysely's compilation of them`, () => {
      const cache = new StatementCache();
      for (const args of argumentsFor(statement)) {
        const reused = cache.get(
          statement.key,
          () => build(statement, statement.standIn),
          statement.parameters(...args),
        );
        const direct = build(statement, args).compile();
        expect(reused.sql).toBe(direct.sql);
        expect(reused.parameters).toEqual(direct.parameters);
      }
    });
  }
});

describe('the PostgreSQL write with history (one statement, a writable CTE)', () => {
  const HISTORY =
    'insert into weft_state_history (system, key, version, value, patch, kind, transaction_id, correlation_id, changed_at, changed_by) select $1::text, $2::text, $3::integer, $4::text, $5::text, $6::text, $7::text, $8::text, $9::text, $10::text from changed';

  it('has the pinned text for a delete, a first write and an update', () => {
    expect(WRITE_WITH_HISTORY).toEqual({
      delete: `with changed as (delete from weft_state_entries where system = $11 and key = $12 and version = $13 returning 1) ${HISTORY}`,
      insert: `with changed as (insert into weft_state_entries (system, key, value, version, updated_at, updated_by) values ($11, $12, $13, $14, $15, $16) returning 1) ${HISTORY}`,
      update: `with changed as (update weft_state_entries set value = $13, version = $14, updated_at = $15, updated_by = $16 where system = $11 and key = $12 and version = $17 returning 1) ${HISTORY}`,
    });
  });

  it.each([
    ['delete', versions[2]!, 1, 13],
    ['insert', versions[0]!, undefined, 16],
    ['update', versions[0]!, 2, 17],
    ['update', versions[1]!, 0, 17],
  ] as const)('%s: uses exactly $1..$n for its n values, the history row first', (_kind, version, previous, count) => {
    const query = writeWithHistory(version, previous);
    const used = new Set([...query.sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
    expect(query.parameters).toHaveLength(count);
    expect([...used].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    expect(query.parameters.slice(0, 10)).toEqual(insertHistory.parameters(version));
  });
});
