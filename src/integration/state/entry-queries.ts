// The state part's statements that step around Kysely's per-call build and compile: the one place
// they live. The benchmarks that need them are `npm run bench -- state state-postgres` (a two-system
// state transaction on SQLite and on PostgreSQL); without them each entry write builds and compiles
// two Kysely queries, and on PostgreSQL takes two round trips. test/state/entry-queries.unit.spec.ts
// pins their SQL under Kysely's SQLite and PostgreSQL compilers, so a Kysely upgrade that changes
// them fails there, loudly; test/state/entry-queries.int.spec.ts runs the PostgreSQL statement.
import { CompiledQuery, type Compilable, type Kysely } from 'kysely';

/** The tables of the state part, for Kysely's types. */
export interface StateTables {
  weft_state_entries: {
    system: string;
    key: string;
    value: string;
    version: number;
    updated_at: string;
    updated_by: string | null;
  };
  weft_state_history: {
    system: string;
    key: string;
    version: number;
    value: string | null;
    patch: string;
    kind: string;
    transaction_id: string;
    correlation_id: string | null;
    changed_at: string;
    changed_by: string | null;
  };
}

/** A version to record: the entry's new value (undefined: deleted) and how it came about. */
export interface NewVersion {
  readonly system: string;
  readonly key: string;
  readonly value: unknown;
  readonly version: number;
  readonly patch: unknown;
  readonly kind: 'set' | 'rollback' | 'delete';
  readonly transactionId: string;
  readonly correlationId: string | undefined;
  readonly by: string | undefined;
  readonly at: string;
}

/**
 * One hot statement, for `StatementCache`: its Kysely query for given values, compiled once with
 * `standIn`, and the values as its placeholders take them, in order.
 */
export interface EntryStatement<Args extends readonly unknown[]> {
  /** Its key in the StatementCache. */
  readonly key: string;
  /** Values of the right types whose query has the same SQL as any other values'. */
  readonly standIn: Args;
  /** The Kysely query for these values. */
  build(db: Kysely<StateTables>, ...args: Args): Compilable;
  /** These values in the order of the query's placeholders. */
  parameters(...args: Args): unknown[];
}

const STAND_IN: NewVersion = {
  system: '',
  key: '',
  value: '',
  version: 0,
  patch: '',
  kind: 'set',
  transactionId: '',
  correlationId: '',
  by: '',
  at: '',
};

/** Reads one entry. */
export const readEntry: EntryStatement<[system: string, key: string]> = {
  key: 'read',
  standIn: ['', ''],
  build: (db, system, key) => selectEntry(db, system, key),
  parameters: (system, key) => [system, key],
};

/** Reads one entry and locks its row until the transaction ends (backends with row locks only). */
export const readEntryForUpdate: EntryStatement<[system: string, key: string]> = {
  key: 'read:lock',
  standIn: ['', ''],
  build: (db, system, key) => selectEntry(db, system, key).forUpdate(),
  parameters: (system, key) => [system, key],
};

/** Writes the first version of an entry; a concurrent first write fails with a unique violation. */
export const insertEntry: EntryStatement<[entry: NewVersion]> = {
  key: 'insert',
  standIn: [STAND_IN],
  build: (db, entry) => db.insertInto('weft_state_entries').values(entryRow(entry)),
  parameters: (entry) => {
    const row = entryRow(entry);
    return [row.system, row.key, row.value, row.version, row.updated_at, row.updated_by];
  },
};

/** Writes a new version over `previous`; changes no row when the version is no longer `previous`. */
export const updateEntry: EntryStatement<[entry: NewVersion, previous: number]> = {
  key: 'update',
  standIn: [STAND_IN, 0],
  build: (db, entry, previous) => {
    const { value, version, updated_at, updated_by } = entryRow(entry);
    return db
      .updateTable('weft_state_entries')
      .set({ value, version, updated_at, updated_by })
      .where('system', '=', entry.system)
      .where('key', '=', entry.key)
      .where('version', '=', previous);
  },
  parameters: (entry, previous) => {
    const row = entryRow(entry);
    return [row.value, row.version, row.updated_at, row.updated_by, row.system, row.key, previous];
  },
};

/** Deletes the entry at version `previous`; deletes nothing when the version is no longer `previous`. */
export const deleteEntry: EntryStatement<[entry: NewVersion, previous: number]> = {
  key: 'delete',
  standIn: [STAND_IN, 0],
  build: (db, entry, previous) =>
    db
      .deleteFrom('weft_state_entries')
      .where('system', '=', entry.system)
      .where('key', '=', entry.key)
      .where('version', '=', previous),
  parameters: (entry, previous) => [entry.system, entry.key, previous],
};

/** Records the version in history. */
export const insertHistory: EntryStatement<[entry: NewVersion]> = {
  key: 'history',
  standIn: [STAND_IN],
  build: (db, entry) => db.insertInto('weft_state_history').values(historyRow(entry)),
  parameters: (entry) => {
    const row = historyRow(entry);
    return [
      row.system,
      row.key,
      row.version,
      row.value,
      row.patch,
      row.kind,
      row.transaction_id,
      row.correlation_id,
      row.changed_at,
      row.changed_by,
    ];
  },
};

/** Every statement EntryTable compiles once, for the tests that pin their SQL. */
export const cachedEntryStatements = [
  readEntry,
  readEntryForUpdate,
  insertEntry,
  updateEntry,
  deleteEntry,
  insertHistory,
];

/**
 * The history row's columns, typed by `$n::type` because PostgreSQL cannot infer a parameter's type
 * in a SELECT list; $1..$10 are `insertHistory.parameters(entry)`, the change's own start at $11.
 */
const HISTORY_FROM_CHANGED =
  'insert into weft_state_history (system, key, version, value, patch, kind, transaction_id, correlation_id, changed_at, changed_by) select $1::text, $2::text, $3::integer, $4::text, $5::text, $6::text, $7::text, $8::text, $9::text, $10::text from changed';

/** Written by hand, as the benchmark measured it; the unit test checks each uses exactly $1..$n for its n values. */
export const WRITE_WITH_HISTORY = {
  /** $11 system, $12 key, $13 previous version. */
  delete: `with changed as (delete from weft_state_entries where system = $11 and key = $12 and version = $13 returning 1) ${HISTORY_FROM_CHANGED}`,
  /** $11 system, $12 key, $13 value, $14 version, $15 updated_at, $16 updated_by. */
  insert: `with changed as (insert into weft_state_entries (system, key, value, version, updated_at, updated_by) values ($11, $12, $13, $14, $15, $16) returning 1) ${HISTORY_FROM_CHANGED}`,
  /** $11 system, $12 key, $13 value, $14 version, $15 updated_at, $16 updated_by, $17 previous version. */
  update: `with changed as (update weft_state_entries set value = $13, version = $14, updated_at = $15, updated_by = $16 where system = $11 and key = $12 and version = $17 returning 1) ${HISTORY_FROM_CHANGED}`,
} as const;

/**
 * PostgreSQL only (`capabilities.writableCte`): the entry's change in a writable CTE and its history
 * row inserted only when the change took place, in one statement and one round trip. It affects
 * one row when it wrote, none when the entry's version is no longer `previous`.
 */
export function writeWithHistory(entry: NewVersion, previous: number | undefined): CompiledQuery {
  const history = insertHistory.parameters(entry);
  if (entry.kind === 'delete') {
    return CompiledQuery.raw(WRITE_WITH_HISTORY.delete, [...history, entry.system, entry.key, previous ?? 0]);
  }
  const row = entryRow(entry);
  const change = [row.system, row.key, row.value, row.version, row.updated_at, row.updated_by];
  if (previous === undefined) return CompiledQuery.raw(WRITE_WITH_HISTORY.insert, [...history, ...change]);
  return CompiledQuery.raw(WRITE_WITH_HISTORY.update, [...history, ...change, previous]);
}

function selectEntry(db: Kysely<StateTables>, system: string, key: string) {
  return db.selectFrom('weft_state_entries').selectAll().where('system', '=', system).where('key', '=', key);
}

/** The entries row of a version that is not a delete. */
export function entryRow(entry: NewVersion): StateTables['weft_state_entries'] {
  return {
    system: entry.system,
    key: entry.key,
    value: JSON.stringify(entry.value),
    version: entry.version,
    updated_at: entry.at,
    updated_by: entry.by ?? null,
  };
}

/** The history row of a version; a delete keeps no value. */
function historyRow(entry: NewVersion): StateTables['weft_state_history'] {
  return {
    system: entry.system,
    key: entry.key,
    version: entry.version,
    value: entry.kind === 'delete' ? null : JSON.stringify(entry.value),
    patch: JSON.stringify(entry.patch),
    kind: entry.kind,
    transaction_id: entry.transactionId,
    correlation_id: entry.correlationId ?? null,
    changed_at: entry.at,
    changed_by: entry.by ?? null,
  };
}
