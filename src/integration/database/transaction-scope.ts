// What a transaction carries through its async flow (its Scope), and the one handle per connection that serves
// queries only to the code of the transaction open on it.
import type { DatabaseConnection, Dialect, QueryExecutor, Transaction } from 'kysely';
import type { ContextSlot } from '../async-context/internal.js';
import { refusedAfterAbandon } from './transaction-deadline.js';
import { NESTING_REFUSED, OwnedConnectionProvider, UnitOfWorkTransaction } from './transaction-handle.js';
import type { Root } from './transaction-root.js';

/** One open transaction or savepoint, as carried along its async flow. */
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

/** A new scope on `connection`: a transaction's own (a fresh `root`) or a savepoint's (its parent's `root`). */
export function openScope<DB>(trx: Transaction<DB>, connection: DatabaseConnection, root: Root): Scope<DB> {
  return { trx, connection, afterCommit: [], root, done: false, childOpen: false };
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
  readonly #storage: ContextSlot<Scope<DB>>;
  readonly #handles = new WeakMap<DatabaseConnection, ConnectionHandle<DB>>();

  constructor(dialect: Dialect, storage: ContextSlot<Scope<DB>>) {
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
