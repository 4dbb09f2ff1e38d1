// What one transaction holds for its whole life, shared by its savepoints (its Root): the writes it holds back to
// write at commit, and the values it keeps (Database.pending, Database.transactionCache), with what a savepoint's
// rollback does to them.

/** What the outermost transaction and its savepoints share. */
export interface Root {
  savepoints: number;
  /** Set once the transaction timed out or its signal aborted. */
  abandoned: Error | undefined;
  /**
   * Writes held in memory (see `Database.pending`), by owner, for the whole transaction: a savepoint adds to them, and
   * its rollback puts them back as they were when it opened. Made on first use.
   */
  pending: Map<object, Pending> | undefined;
  /** Values kept for the transaction (see `Database.transactionCache`), by owner; dropped at a savepoint's rollback. */
  caches: Map<object, Map<unknown, unknown>> | undefined;
}

export interface Pending {
  items: unknown[];
  readonly flush: (items: never[]) => Promise<void>;
}

/** A fresh root for an outermost transaction. */
export const newRoot = (): Root => ({ savepoints: 0, abandoned: undefined, pending: undefined, caches: undefined });

/** The held writes of `owner` in the transaction, made on first use (see `Database.pending`). */
export function heldWrites<T>(root: Root, owner: object, flush: (items: T[]) => Promise<void>): T[] {
  const known = root.pending?.get(owner);
  if (known !== undefined) return known.items as T[];
  const items: T[] = [];
  (root.pending ??= new Map()).set(owner, { items, flush: flush as (items: never[]) => Promise<void> });
  return items;
}

/** The values `owner` keeps for the transaction, made on first use (see `Database.transactionCache`). */
export function keptValues<K, V>(root: Root, owner: object): Map<K, V> {
  const caches = (root.caches ??= new Map<object, Map<unknown, unknown>>());
  let cache = caches.get(owner);
  if (cache === undefined) caches.set(owner, (cache = new Map<unknown, unknown>()));
  return cache as Map<K, V>;
}

/** Writes out what the transaction holds back, in the order the owners first wrote. */
export async function writePending(root: Root): Promise<void> {
  const pending = root.pending;
  if (pending === undefined) return;
  for (const [owner, entry] of pending) {
    pending.delete(owner);
    await entry.flush(entry.items as never[]);
  }
}

/** As a savepoint opens: the held writes to put back if it rolls back; undefined when nothing is held. */
export function savepointMark(root: Root): Map<object, Pending> | undefined {
  if (root.pending === undefined || root.pending.size === 0) return undefined;
  const saved = new Map<object, Pending>();
  for (const [owner, entry] of root.pending) saved.set(owner, { items: entry.items.slice(), flush: entry.flush });
  return saved;
}

/**
 * After a rollback to a savepoint: the held writes as they were when it opened (those it flushed meanwhile were undone
 * with it, so they are held again; those it added are dropped), and no kept value, since any may come from the writes
 * undone.
 */
export function rollBackTo(root: Root, mark: Map<object, Pending> | undefined): void {
  root.pending = mark;
  root.caches = undefined;
}
