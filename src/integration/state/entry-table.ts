import { sql, type QueryResult, type Selectable } from 'kysely';
import { StatementCache, unreadCompiled, type Database } from '../database/internal.js';
import {
  deleteEntry,
  entryRow,
  insertEntry,
  insertHistory,
  readEntry,
  readEntryForUpdate,
  updateEntry,
  writeWithHistory,
  type EntryStatement,
  type NewVersion,
  type StateTables,
} from './entry-queries.js';
import type { StateEntry } from './types.js';

// The state part's other files import the tables' type from here; it is declared beside the SQL in entry-queries.ts.
export type { StateTables } from './entry-queries.js';

/** One row of entries. */
type EntryRow = Selectable<StateTables['weft_state_entries']>;

/** One row of history. */
export type HistoryRow = Selectable<StateTables['weft_state_history']>;

/**
 * The SQL of the state part: entries and their history, in whatever transaction is open. Hot
 * statements are compiled once; writes of the current row check its version, so a change made
 * since it was read is never overwritten.
 */
export class EntryTable {
  readonly #db: Database<StateTables>;
  readonly #statements = new StatementCache();
  readonly #lockRows: boolean;
  readonly #writableCte: boolean;

  constructor(db: Database<StateTables>) {
    this.#db = db;
    // A backend with one writer at a time (SQLite) needs no row locks: its write transactions exclude each other.
    this.#lockRows = db.capabilities.concurrentWriters;
    this.#writableCte = db.capabilities.writableCte;
  }

  /**
   * The entry, locked until the transaction ends when `forUpdate` (on backends with row locks). A row nothing else can
   * change before the transaction ends is kept for it (see #cache), so reading it again costs no statement: a craft
   * reads its character four times and its wallet three (npm run bench -- http).
   */
  async read(system: string, key: string, forUpdate = false): Promise<StateEntry | undefined> {
    const cache = this.#cache();
    const id = cache === undefined ? '' : entryId(system, key);
    const known = cache?.get(id);
    if (known !== undefined) return known === null ? undefined : toEntry(known);
    const locking = forUpdate && this.#lockRows;
    const statement = locking ? readEntryForUpdate : readEntry;
    const { rows } = await this.#run<EntryRow, [string, string]>(statement, system, key);
    const row = rows[0];
    if (cache !== undefined) this.#keep(cache, id, row, locking);
    return row === undefined ? undefined : toEntry(row);
  }

  /**
   * The entries of `keys` found (by key), read in one statement and kept for the transaction as `read` keeps them; with
   * row locks and `forUpdate`, locked in the byte order of their keys, the order a caller that locks one entry after
   * another in sorted order takes them in, so the two never deadlock.
   */
  async readMany(system: string, keys: readonly string[], forUpdate = false): Promise<Map<string, StateEntry>> {
    const cache = this.#cache();
    const found = new Map<string, StateEntry>();
    const missing: string[] = [];
    for (const key of new Set(keys)) {
      const known = cache?.get(entryId(system, key));
      if (known === undefined) missing.push(key);
      else if (known !== null) found.set(key, toEntry(known));
    }
    if (missing.length === 0) return found;
    const locking = forUpdate && this.#lockRows;
    // PostgreSQL takes the keys as one array parameter, so every count of keys is one statement text, prepared once
    // under its name (a list of values runs unnamed, planned on each run: docs/database.md, "Named prepared
    // statements"); its generic plan reads the primary key, on an empty table as on a large one (EXPLAIN, PostgreSQL
    // 15). SQLite lists them, one text per count.
    const [shape, values] = this.#lockRows
      ? [`readMany:${String(locking)}`, [system, missing]]
      : [`readMany:${missing.length}`, [system, ...missing]];
    const { rows } = await this.#db.execute<EntryRow>(
      this.#statements.get(shape, () => this.#readManyQuery(missing, locking), values),
    );
    const byKey = new Map(rows.map((row) => [row.key, row]));
    for (const key of missing) {
      const row = byKey.get(key);
      if (cache !== undefined) this.#keep(cache, entryId(system, key), row, locking);
      if (row !== undefined) found.set(key, toEntry(row));
    }
    return found;
  }

  /** The select of `readMany`: `key in (...)` on SQLite, `key = any($2)` on PostgreSQL; locked in key byte order. */
  #readManyQuery(keys: readonly string[], locking: boolean) {
    const bySystem = this.#db.executor().selectFrom('weft_state_entries').selectAll().where('system', '=', '');
    const query = this.#lockRows
      ? bySystem.where(sql<boolean>`${sql.ref('key')} = any(${sql.val([...keys])}::text[])`)
      : bySystem.where('key', 'in', [...keys]);
    return locking ? query.orderBy(sql`${sql.ref('key')} collate "C"`).forUpdate() : query;
  }

  /**
   * Keeps what a read found, if nothing else can change it before the transaction ends. With row locks only a row read
   * for update is held: a read without it, or of a row not there, locks nothing.
   */
  #keep(cache: Map<string, EntryRow | null>, id: string, row: EntryRow | undefined, locked: boolean): void {
    if (!this.#lockRows) cache.set(id, row ?? null);
    else if (locked && row !== undefined) cache.set(id, row);
  }

  /**
   * The rows the open transaction read or wrote that nothing else can change before it ends (null: none), by entry.
   * With one writer at a time (SQLite), every row it read or wrote; with row locks (PostgreSQL), the rows it holds
   * locked: read for update, or written. Emptied when a savepoint rolls back. Undefined outside a transaction.
   */
  #cache(): Map<string, EntryRow | null> | undefined {
    return this.#db.transactionCache<string, EntryRow | null>(this);
  }

  /** A page of entries in key order. */
  async list(system: string, options: { prefix?: string; limit: number; after?: string }): Promise<StateEntry[]> {
    let query = this.#db.executor().selectFrom('weft_state_entries').selectAll().where('system', '=', system);
    // From the prefix on in key order, and exactly the keys that start with it: no upper bound built from a
    // high character, whose place depends on the collation; substr counts characters on both backends.
    if (options.prefix !== undefined)
      query = query
        .where('key', '>=', options.prefix)
        .where(sql<string>`substr(${sql.ref('key')}, 1, ${[...options.prefix].length})`, '=', options.prefix);
    if (options.after !== undefined) query = query.where('key', '>', options.after);
    const rows = await query.orderBy('key').limit(options.limit).execute();
    return rows.map(toEntry);
  }

  /**
   * Writes a new version of the entry and its history row; false when its version is no longer `previous` (someone else
   * wrote it).
   */
  async write(entry: NewVersion, previous: number | undefined): Promise<boolean> {
    const cache = this.#cache();
    if (cache === undefined) return this.#writeRow(entry, previous);
    const id = entryId(entry.system, entry.key);
    const held = cache.get(id);
    // Dropped first: a write that fails leaves nothing kept that may no longer hold.
    cache.delete(id);
    let written: boolean;
    if (this.#lockRows && this.#writableCte && held != null && Number(held.version) === previous) {
      // This transaction holds the row locked at `previous`, so the version check cannot fail and its answer need not
      // be read: the write goes with the transaction's next statement (a transfer on PostgreSQL writes two wallets,
      // npm run bench -- transfer, weft-full-postgres). If it fails after all, that statement fails, and the
      // transaction rolls back whole.
      await this.#db.execute(unreadCompiled(writeWithHistory(entry, previous)));
      written = true;
    } else {
      written = await this.#writeRow(entry, previous);
    }
    // A row written is locked by its writer too; a deleted one is kept as gone only with one writer at a time.
    if (written && entry.kind !== 'delete') cache.set(id, entryRow(entry));
    else if (written && !this.#lockRows) cache.set(id, null);
    return written;
  }

  async #writeRow(entry: NewVersion, previous: number | undefined): Promise<boolean> {
    if (this.#writableCte) {
      const result = await this.#db.execute(writeWithHistory(entry, previous));
      return Number(result.numAffectedRows ?? 0) === 1;
    }
    if (entry.kind === 'delete') {
      const deleted = await this.#run(deleteEntry, entry, previous ?? 0);
      if (Number(deleted.numAffectedRows ?? 0) !== 1) return false;
    } else if (previous === undefined) {
      // A concurrent first write of the same key fails here with a unique violation (ConflictError).
      await this.#run(insertEntry, entry);
    } else {
      const updated = await this.#run(updateEntry, entry, previous);
      if (Number(updated.numAffectedRows ?? 0) !== 1) return false;
    }
    await this.#run(insertHistory, entry);
    return true;
  }

  /** Runs a hot statement, compiled once (entry-queries.ts), in whatever transaction is open. */
  #run<R, Args extends readonly unknown[]>(statement: EntryStatement<Args>, ...args: Args): Promise<QueryResult<R>> {
    const db = this.#db.executor();
    return this.#db.execute<R>(
      this.#statements.get(
        statement.key,
        () => statement.build(db, ...statement.standIn),
        statement.parameters(...args),
      ),
    );
  }

  /** The highest version the entry ever had (it may have been deleted since), 0 if none. */
  async lastVersion(system: string, key: string): Promise<number> {
    const row = await this.#db
      .executor()
      .selectFrom('weft_state_history')
      .select((eb) => eb.fn.max('version').as('version'))
      .where('system', '=', system)
      .where('key', '=', key)
      .executeTakeFirst();
    return Number(row?.version ?? 0);
  }

  /** The recorded version, if history still holds it. */
  async version(system: string, key: string, version: number): Promise<HistoryRow | undefined> {
    return this.#db
      .executor()
      .selectFrom('weft_state_history')
      .selectAll()
      .where('system', '=', system)
      .where('key', '=', key)
      .where('version', '=', version)
      .executeTakeFirst();
  }

  /** Every version, oldest first. */
  async history(system: string, key: string): Promise<HistoryRow[]> {
    return this.#db
      .executor()
      .selectFrom('weft_state_history')
      .selectAll()
      .where('system', '=', system)
      .where('key', '=', key)
      .orderBy('version')
      .execute();
  }

  /** The versions one transaction wrote, in the order it wrote them. */
  async writtenBy(transactionId: string): Promise<HistoryRow[]> {
    return this.#db
      .executor()
      .selectFrom('weft_state_history')
      .selectAll()
      .where('transaction_id', '=', transactionId)
      .orderBy('changed_at')
      .orderBy('system')
      .orderBy('key')
      .orderBy('version')
      .execute();
  }

  /**
   * Drops history beyond the retention: older than the last `versions`, or than `before` (the current version always
   * stays).
   */
  async prune(
    system: string,
    key: string,
    current: number,
    retention: { versions?: number; before?: string },
  ): Promise<void> {
    const db = this.#db.executor();
    if (retention.versions !== undefined) {
      await db
        .deleteFrom('weft_state_history')
        .where('system', '=', system)
        .where('key', '=', key)
        .where('version', '<=', current - retention.versions)
        .execute();
    }
    if (retention.before !== undefined) {
      await db
        .deleteFrom('weft_state_history')
        .where('system', '=', system)
        .where('key', '=', key)
        .where('version', '<', current)
        .where('changed_at', '<', retention.before)
        .execute();
    }
  }
}

/** The key an entry is kept under for the transaction. */
const entryId = (system: string, key: string): string => `${system}\u0000${key}`;

function toEntry(row: EntryRow): StateEntry {
  return {
    system: row.system,
    key: row.key,
    value: JSON.parse(row.value) as unknown,
    version: Number(row.version),
    updatedAt: row.updated_at,
    updatedBy: row.updated_by ?? undefined,
  };
}
