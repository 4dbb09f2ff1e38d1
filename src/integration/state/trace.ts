import type { Database } from '../database/internal.js';
import type { StateTables } from './entry-table.js';

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

/**
 * Every state version written under one correlation id (the request's, and its events' handlers'),
 * in the order written, from the history. History pruned by a slice's retention is no longer there.
 * @example const { changes } = await readStateTrace(weft.db, requestId)
 */
export async function readStateTrace(
  database: Pick<Database<unknown>, 'withTables'>,
  correlationId: string,
  options: { readonly limit?: number } = {},
): Promise<StateTrace> {
  const limit = options.limit ?? 1000;
  const rows = await database
    .withTables<StateTables>()
    .executor()
    .selectFrom('weft_state_history')
    .selectAll()
    .where('correlation_id', '=', correlationId)
    .orderBy('changed_at')
    .orderBy('transaction_id')
    .orderBy('system')
    .orderBy('key')
    .orderBy('version')
    .limit(limit + 1)
    .execute();
  const truncated = rows.length > limit;
  return {
    truncated,
    changes: (truncated ? rows.slice(0, limit) : rows).map((row) => ({
      system: row.system,
      key: row.key,
      version: Number(row.version),
      kind: row.kind,
      value: row.value === null ? undefined : (JSON.parse(row.value) as unknown),
      patch: JSON.parse(row.patch) as unknown,
      transactionId: row.transaction_id,
      changedAt: row.changed_at,
      changedBy: row.changed_by ?? undefined,
    })),
  };
}
