import type { Database } from '../database/internal.js';
import type { HistoryRow, StateTables } from './entry-table.js';

/** One version a correlation wrote: which entry, what kind of write, and the value (or, for a delete, none). */
export interface TracedStateChange {
  readonly system: string;
  readonly key: string;
  readonly version: number;
  /** `set`, `rollback` or `delete`. */
  readonly kind: string;
  /** The entry's value at this version; undefined for a delete. */
  readonly value: unknown;
  /** The JSON patch from the previous version (RFC 6902 operations). */
  readonly patch: unknown;
  /** The state transaction that wrote it: the versions one transaction wrote share it. */
  readonly transactionId: string;
  readonly changedAt: string;
  readonly changedBy: string | undefined;
}

/** The state changes of one correlation, oldest first. */
export interface StateTrace {
  readonly changes: TracedStateChange[];
  /** True when the correlation wrote more versions than the limit: the list holds the oldest ones. */
  readonly truncated: boolean;
}

/** Options of `readStateTrace`. */
export interface StateTraceOptions {
  /** The most versions read (default 1000). */
  readonly limit?: number;
  /**
   * The transactions the correlation ran, when known (each publishes `state.changed` with its `transactionId`): the
   * history is then read by its transaction index. Without them it is read by its correlation index.
   */
  readonly transactionIds?: readonly string[];
}

/** Transaction ids per statement in an `in (...)` list: well under SQLite's and PostgreSQL's parameter limits. */
const CHUNK = 500;

/**
 * Every state version written under one correlation id (the request's, and its events' handlers'),
 * in the order written, from the history. History pruned by a slice's retention is no longer there.
 * @example const { changes } = await readStateTrace(weft.db, requestId, { transactionIds })
 */
export async function readStateTrace(
  database: Pick<Database<unknown>, 'withTables'>,
  correlationId: string,
  options: StateTraceOptions = {},
): Promise<StateTrace> {
  const limit = options.limit ?? 1000;
  const db = database.withTables<StateTables>().executor();
  const query = db
    .selectFrom('weft_state_history')
    .selectAll()
    .where('correlation_id', '=', correlationId)
    .orderBy('changed_at')
    .orderBy('transaction_id')
    .orderBy('system')
    .orderBy('key')
    .orderBy('version')
    .limit(limit + 1);
  let rows: HistoryRow[];
  if (options.transactionIds === undefined) rows = await query.execute();
  else {
    const ids = [...new Set(options.transactionIds)];
    rows = [];
    for (let start = 0; start < ids.length; start += CHUNK)
      rows.push(...(await query.where('transaction_id', 'in', ids.slice(start, start + CHUNK)).execute()));
    rows.sort(inOrderWritten);
  }
  const truncated = rows.length > limit;
  return {
    truncated,
    changes: rows.slice(0, limit).map(versionOf),
  };
}

/** A history row as readers want it: its value and patch parsed, its version a number. */
export function versionOf(row: HistoryRow): TracedStateChange {
  return {
    system: row.system,
    key: row.key,
    version: Number(row.version),
    kind: row.kind,
    value: row.value === null ? undefined : (JSON.parse(row.value) as unknown),
    patch: JSON.parse(row.patch) as unknown,
    transactionId: row.transaction_id,
    changedAt: row.changed_at,
    changedBy: row.changed_by ?? undefined,
  };
}

/** The order the single query sorts in: time, then transaction, system, key and version. */
function inOrderWritten(a: HistoryRow, b: HistoryRow): number {
  const text = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return (
    text(a.changed_at, b.changed_at) ||
    text(a.transaction_id, b.transaction_id) ||
    text(a.system, b.system) ||
    text(a.key, b.key) ||
    Number(a.version) - Number(b.version)
  );
}
