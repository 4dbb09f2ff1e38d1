// What a transaction carries through AsyncLocalStorage (its Scope), and the one handle per connection that serves
// queries only to the code of the transaction open on it.
import type { AsyncLocalStorage } from 'node:async_hooks';
import type { DatabaseConnection, Dialect, QueryExecutor, Transaction } from 'kysely';
import { refusedAfterAbandon } from './transaction-deadline.js';
import { NESTING_REFUSED, OwnedConnectionProvider, UnitOfWorkTransaction } from './transaction-handle.js';

/** One open transaction or savepoint, as carried by AsyncLocalStorage. */
export interface Scope<DB> {
  readonly trx: Transaction<DB>;
  /** The connection the transaction runs on (savepoints share it). */
  readonly connection: DatabaseConnection;
  /** Work to run after the outermost commit; dropped with this scope when it rolls back. */
  readonly afterCommit: Array<() => unknown>;
  /** Shared by the outermost transaction and its savepoints. */
  readonly root: Root;
  done: boolean;
  childOpen: boolean;
}

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

/** A new scope on `connection`: a transaction's own (a fresh `root`) or a savepoint's (its parent's `root`). */
export function openScope<DB>(trx: Transaction<DB>, connection: DatabaseConnection, root: Root): Scope<DB> {
  return { trx, connection, afterCommit: [], root, done: false, childOpen: false };
}

/** Writes out what the transaction holds back (see `Database.pending`), in the order the owners first wrote. */
export async function writePending(root: Root): Promise<void> {
  const pending = root.pending;
  if (pending === undefined) return;
  for (const [owner, entry] of pending) {
    pending.delete(owner);
    await entry.flush(entry.items as never[]);
  }
}

/** What the transaction holds back as a savepoint opens, to put back if it rolls back; undefined when nothing. */
export function savePending(root: Root): Map<object, Pending> | undefined {
  if (root.pending === undefined || root.pending.size === 0) return undefined;
  const saved = new Map<object, Pending>();
  for (const [owner, entry] of root.pending) saved.set(owner, { items: entry.items.slice(), flush: entry.flush });
  return saved;
}

/**
 * After a rollback to a savepoint: the held writes as they were when it opened. Those it flushed meanwhile were
 * undone with it, so they are held again; those it added are dropped.
 */
export function restorePending(root: Root, saved: Map<object, Pending> | undefined): void {
  root.pending = saved;
  // What was cached may have come from the writes undone: read again.
  root.caches = undefined;
}

/** A connection's transaction handle, and the slot naming the scope it serves now (none between transactions). */
export interface ConnectionHandle<DB> {
  readonly handle: Transaction<DB>;
  readonly slot: { scope: Scope<DB> | undefined };
}

/**
 * One transaction handle per pooled connection, built once: building Kysely objects per transaction costs more than a
 * small statement.
 */
export class ConnectionHandles<DB> {
  readonly #dialect: Dialect;
  readonly #storage: AsyncLocalStorage<Scope<DB>>;
  readonly #handles = new WeakMap<DatabaseConnection, ConnectionHandle<DB>>();

  constructor(dialect: Dialect, storage: AsyncLocalStorage<Scope<DB>>) {
    this.#dialect = dialect;
    this.#storage = storage;
  }

  /** The handle of `connection`, made on first use with `executor`. */
  for(connection: DatabaseConnection, executor: QueryExecutor): ConnectionHandle<DB> {
    let entry = this.#handles.get(connection);
    if (entry === undefined) {
      const slot: { scope: Scope<DB> | undefined } = { scope: undefined };
      // Serves queries only to the code of the transaction open on this connection: a handle kept
      // past its transaction, or carried into another async context, would write outside it.
      const owns = (): boolean | Error => {
        const open = slot.scope;
        const current = this.#storage.getStore();
        if (current?.root.abandoned !== undefined) return refusedAfterAbandon(current.root.abandoned);
        return open !== undefined && !open.done && current?.root === open.root;
      };
      const handle = new UnitOfWorkTransaction<DB>({
        config: { dialect: this.#dialect },
        dialect: this.#dialect,
        driver: NESTING_REFUSED,
        executor: executor.withConnectionProvider(new OwnedConnectionProvider(connection, owns)),
      });
      entry = { handle, slot };
      this.#handles.set(connection, entry);
    }
    return entry;
  }
}
