import { ConflictError, NotFoundError, ValidationError } from '../errors/internal.js';
import { issue } from '../validation/internal.js';
import type { EntryTable } from './entry-table.js';
import type { StateTransaction } from './state-transaction.js';
import type { StateChange, StateEntry } from './types.js';

/** What rolling state back needs of the store: its entry table, and a state transaction to write in. */
export interface RollbackHost {
  readonly table: EntryTable;
  transaction<T>(work: (tx: StateTransaction) => Promise<T>): Promise<T>;
  /** False for a slice registered with `rollback: false`. */
  rollbackAllowed(system: string): boolean;
}

/** Refuses a rollback touching slices that keep no rollback (`rollback: false`), before anything is written. */
function refuseKept(host: RollbackHost, what: string, systems: Iterable<string>): void {
  const kept = [...new Set(systems)].filter((system) => !host.rollbackAllowed(system)).sort();
  if (kept.length === 0) return;
  throw new ConflictError(
    `${what} cannot be rolled back: ${kept.join(', ')} ${kept.length === 1 ? 'is' : 'are'} kept in step with ` +
      'records the state part does not revert (rollback: false); undo it through its system instead.',
    { details: { slices: kept }, extensions: { keptSlices: kept } },
  );
}

/**
 * Writes a new version of the entry equal to version `toVersion`'s value, in a transaction marked as a rollback, and
 * returns it as written (not read again after the commit, when another writer may have changed it already).
 */
export async function restoreVersion(
  host: RollbackHost,
  system: string,
  key: string,
  toVersion: number,
): Promise<StateEntry> {
  refuseKept(host, `${system}/${key}`, [system]);
  const old = await host.table.version(system, key, toVersion);
  if (old === undefined) throw new NotFoundError(`${system}/${key} has no version ${toVersion} in history.`);
  // A deletion holds no value to bring back: refused before anything is written (it once deleted the entry, then
  // answered a 404 for a change it had committed).
  const value = old.value;
  if (value === null) {
    const message = `version ${toVersion} of ${system}/${key} is a deletion: it holds no value to restore`;
    throw new ValidationError(`${message}; delete the entry instead.`, {
      issues: [issue(['toVersion'], 'deleted_version', message, 'a version that holds a value', String(toVersion))],
      details: { system, key, toVersion },
    });
  }
  return host.transaction(async (tx) => {
    await tx.restore(system, key, JSON.parse(value), undefined, { toVersion });
    const written = await tx.get(system, key);
    if (written === undefined) throw new NotFoundError(`${system}/${key} was not written by its rollback.`);
    return written;
  });
}

/**
 * Reverts every entry transaction `transactionId` changed, in one new transaction; a ConflictError when a later change
 * touched one of them, unless `force`.
 */
export async function revertTransaction(
  host: RollbackHost,
  transactionId: string,
  force: boolean,
): Promise<{ transactionId: string; reverted: StateChange[] }> {
  const rows = await host.table.writtenBy(transactionId);
  if (rows.length === 0) throw new NotFoundError(`No state change of transaction ${transactionId} is in history.`);
  refuseKept(
    host,
    `Transaction ${transactionId}`,
    rows.map((row) => row.system),
  );
  const byEntry = new Map<string, { system: string; key: string; first: number; last: number }>();
  for (const row of rows) {
    const id = `${row.system}\u0000${row.key}`;
    const known = byEntry.get(id);
    byEntry.set(id, {
      system: row.system,
      key: row.key,
      first: Math.min(known?.first ?? row.version, row.version),
      last: Math.max(known?.last ?? row.version, row.version),
    });
  }
  let reverted: StateChange[] = [];
  let id = '';
  await host.transaction(async (tx) => {
    id = tx.id;
    // Inside another transaction this one is a savepoint of it, sharing its record: what it reverted starts here.
    const mark = tx.changes.length;
    const conflicts: Conflict[] = [];
    // The version each entry had at the check (0: none). With row locks an absent entry is not held: one created
    // meanwhile (another transaction's commit) must fail the rollback as a later change, never be written over.
    const seen = new Map<string, number>();
    for (const [key, entry] of byEntry) {
      const current = await host.table.read(entry.system, entry.key, true);
      seen.set(key, current?.version ?? 0);
      const now = current?.version ?? (await host.table.lastVersion(entry.system, entry.key));
      if (now !== entry.last)
        conflicts.push({ system: entry.system, key: entry.key, version: entry.last, current: now });
    }
    if (conflicts.length > 0 && !force) throw laterChanges(transactionId, conflicts);
    for (const [key, entry] of byEntry) {
      const before = entry.first === 1 ? undefined : await host.table.version(entry.system, entry.key, entry.first - 1);
      if (entry.first !== 1 && before === undefined)
        throw new NotFoundError(
          `${entry.system}/${entry.key} version ${entry.first - 1} is no longer in history (retention).`,
        );
      const value: unknown = before?.value == null ? undefined : JSON.parse(before.value);
      const current = await host.table.read(entry.system, entry.key, true);
      const version = current?.version ?? 0;
      if (!force && version !== seen.get(key))
        throw laterChanges(transactionId, [
          { system: entry.system, key: entry.key, version: entry.last, current: version },
        ]);
      if (value === undefined && current === undefined) continue;
      // Expected as read: an entry still absent here and created before this write is a conflict (version 0 means
      // "must not exist"), whatever the slice's policy; an entry present is held until the end.
      try {
        await tx.restore(entry.system, entry.key, value, force ? undefined : version, {
          revertedTransactionId: transactionId,
        });
      } catch (error) {
        const actual = (error as ConflictError).details?.actualVersion;
        if (!(error instanceof ConflictError) || typeof actual !== 'number') throw error;
        throw laterChanges(transactionId, [
          { system: entry.system, key: entry.key, version: entry.last, current: actual },
        ]);
      }
    }
    reverted = tx.changes.slice(mark);
  });
  return { transactionId: id, reverted };
}

/** A later change of one of the entries a rollback reverts: the version the transaction wrote, and the current one. */
interface Conflict {
  readonly system: string;
  readonly key: string;
  readonly version: number;
  readonly current: number;
}

/** The refusal of a rollback over later changes (unless forced), naming each entry they touched. */
function laterChanges(transactionId: string, conflicts: readonly Conflict[]): ConflictError {
  return new ConflictError(
    `Transaction ${transactionId} cannot be rolled back: later changes touched ${conflicts.map((c) => `${c.system}/${c.key}`).join(', ')}. Pass force to revert anyway.`,
    { details: { conflicts }, extensions: { conflicts } },
  );
}
