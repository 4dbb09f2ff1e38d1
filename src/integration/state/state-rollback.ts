import { ConflictError, NotFoundError } from '../errors/internal.js';
import type { EntryTable } from './entry-table.js';
import type { StateTransaction } from './state-transaction.js';
import type { StateChange } from './types.js';

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
    { details: { slices: kept } },
  );
}

/** Writes a new version of the entry equal to version `toVersion`'s value, in a transaction marked as a rollback. */
export async function restoreVersion(
  host: RollbackHost,
  system: string,
  key: string,
  toVersion: number,
): Promise<void> {
  refuseKept(host, `${system}/${key}`, [system]);
  const old = await host.table.version(system, key, toVersion);
  if (old === undefined) throw new NotFoundError(`${system}/${key} has no version ${toVersion} in history.`);
  await host.transaction(async (tx) => {
    tx.rollback = { toVersion };
    await tx.restore(system, key, old.value === null ? undefined : JSON.parse(old.value), undefined);
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
    tx.rollback = { revertedTransactionId: transactionId };
    const conflicts: Array<{ system: string; key: string; version: number; current: number }> = [];
    for (const entry of byEntry.values()) {
      const current = await host.table.read(entry.system, entry.key, true);
      const now = current?.version ?? (await host.table.lastVersion(entry.system, entry.key));
      if (now !== entry.last)
        conflicts.push({ system: entry.system, key: entry.key, version: entry.last, current: now });
    }
    if (conflicts.length > 0 && !force) {
      throw new ConflictError(
        `Transaction ${transactionId} cannot be rolled back: later changes touched ${conflicts.map((c) => `${c.system}/${c.key}`).join(', ')}. Pass force to revert anyway.`,
        { details: { conflicts } },
      );
    }
    for (const entry of byEntry.values()) {
      const before = entry.first === 1 ? undefined : await host.table.version(entry.system, entry.key, entry.first - 1);
      if (entry.first !== 1 && before === undefined)
        throw new NotFoundError(
          `${entry.system}/${entry.key} version ${entry.first - 1} is no longer in history (retention).`,
        );
      const value: unknown = before?.value == null ? undefined : JSON.parse(before.value);
      const exists = (await host.table.read(entry.system, entry.key)) !== undefined;
      if (value === undefined && !exists) continue;
      await tx.restore(entry.system, entry.key, value, undefined);
    }
    reverted = tx.changes;
  });
  return { transactionId: id, reverted };
}
