import { CompiledQuery, sql, type Selectable } from 'kysely';
import { StatementCache, type Database } from '../database/internal.js';
import type { StateEntry } from './types.js';

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

/** One row of history. */
export type HistoryRow = Selectable<StateTables['weft_state_history']>;

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

  /** The entry, locked until the transaction ends when `forUpdate` (on backends with row locks). */
  async read(system: string, key: string, forUpdate = false): Promise<StateEntry | undefined> {
    const lock = forUpdate && this.#lockRows;
    const db = this.#db.executor();
    const query = this.#statements.get(
      lock ? 'read:lock' : 'read',
      () => {
        const select = db.selectFrom('weft_state_entries').selectAll().where('system', '=', '').where('key', '=', '');
        return lock ? select.forUpdate() : select;
      },
      [system, key],
    );
    const { rows } = await this.#db.execute<Selectable<StateTables['weft_state_entries']>>(query);
    const row = rows[0];
    return row === undefined ? undefined : toEntry(row);
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

  /** Writes a new version of the entry and its history row; false when its version is no longer `previous` (someone else wrote it). */
  async write(entry: NewVersion, previous: number | undefined): Promise<boolean> {
    const history = [
      entry.system,
      entry.key,
      entry.version,
      entry.kind === 'delete' ? null : JSON.stringify(entry.value),
      JSON.stringify(entry.patch),
      entry.kind,
      entry.transactionId,
      entry.correlationId ?? null,
      entry.at,
      entry.by ?? null,
    ];
    if (this.#writableCte) return this.#writeInOneTrip(entry, previous, history);
    const db = this.#db.executor();
    if (entry.kind === 'delete') {
      const deleted = await this.#db.execute(
        this.#statements.get(
          'delete',
          () =>
            db.deleteFrom('weft_state_entries').where('system', '=', '').where('key', '=', '').where('version', '=', 0),
          [entry.system, entry.key, previous ?? 0],
        ),
      );
      if (Number(deleted.numAffectedRows ?? 0) !== 1) return false;
    } else if (previous === undefined) {
      // A concurrent first write of the same key fails here with a unique violation (ConflictError).
      await this.#db.execute(
        this.#statements.get(
          'insert',
          () =>
            db
              .insertInto('weft_state_entries')
              .values({ system: '', key: '', value: '', version: 0, updated_at: '', updated_by: '' }),
          [entry.system, entry.key, JSON.stringify(entry.value), entry.version, entry.at, entry.by ?? null],
        ),
      );
    } else {
      const updated = await this.#db.execute(
        this.#statements.get(
          'update',
          () =>
            db
              .updateTable('weft_state_entries')
              .set({ value: '', version: 0, updated_at: '', updated_by: '' })
              .where('system', '=', '')
              .where('key', '=', '')
              .where('version', '=', 0),
          [JSON.stringify(entry.value), entry.version, entry.at, entry.by ?? null, entry.system, entry.key, previous],
        ),
      );
      if (Number(updated.numAffectedRows ?? 0) !== 1) return false;
    }
    await this.#db.execute(
      this.#statements.get(
        'history',
        () =>
          db.insertInto('weft_state_history').values({
            system: '',
            key: '',
            version: 0,
            value: '',
            patch: '',
            kind: '',
            transaction_id: '',
            correlation_id: '',
            changed_at: '',
            changed_by: '',
          }),
        history,
      ),
    );
    return true;
  }

  /** The same write as one statement: the entry's change in a CTE, and the history row inserted only when it took place. */
  async #writeInOneTrip(entry: NewVersion, previous: number | undefined, history: unknown[]): Promise<boolean> {
    const change =
      entry.kind === 'delete'
        ? {
            sql: 'delete from weft_state_entries where system = $11 and key = $12 and version = $13',
            parameters: [entry.system, entry.key, previous ?? 0],
          }
        : previous === undefined
          ? {
              sql: 'insert into weft_state_entries (system, key, value, version, updated_at, updated_by) values ($11, $12, $13, $14, $15, $16)',
              parameters: [
                entry.system,
                entry.key,
                JSON.stringify(entry.value),
                entry.version,
                entry.at,
                entry.by ?? null,
              ],
            }
          : {
              sql: 'update weft_state_entries set value = $13, version = $14, updated_at = $15, updated_by = $16 where system = $11 and key = $12 and version = $17',
              parameters: [
                entry.system,
                entry.key,
                JSON.stringify(entry.value),
                entry.version,
                entry.at,
                entry.by ?? null,
                previous,
              ],
            };
    const text = `with changed as (${change.sql} returning 1) insert into weft_state_history (system, key, version, value, patch, kind, transaction_id, correlation_id, changed_at, changed_by) select $1::text, $2::text, $3::integer, $4::text, $5::text, $6::text, $7::text, $8::text, $9::text, $10::text from changed`;
    const result = await this.#db.execute(CompiledQuery.raw(text, [...history, ...change.parameters]));
    return Number(result.numAffectedRows ?? 0) === 1;
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

  /** Drops history beyond the retention: older than the last `versions`, or than `before` (the current version always stays). */
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

  /** Entries per system, with the latest change. */
  async summary(): Promise<Array<{ system: string; entries: number; lastChange: string | undefined }>> {
    const rows = await this.#db
      .executor()
      .selectFrom('weft_state_entries')
      .select((eb) => ['system', eb.fn.countAll<number>().as('entries'), eb.fn.max('updated_at').as('last')])
      .groupBy('system')
      .execute();
    return rows.map((row) => ({ system: row.system, entries: Number(row.entries), lastChange: row.last ?? undefined }));
  }
}

function toEntry(row: Selectable<StateTables['weft_state_entries']>): StateEntry {
  return {
    system: row.system,
    key: row.key,
    value: JSON.parse(row.value) as unknown,
    version: Number(row.version),
    updatedAt: row.updated_at,
    updatedBy: row.updated_by ?? undefined,
  };
}
