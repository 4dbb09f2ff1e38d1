import type { Schema } from '../validation/internal.js';

/** What a slice does when a write's expected version is stale: refuse (409), write anyway, or merge. */
export type ConflictPolicy<T = unknown> =
  'reject' | 'last-write-wins' | ((base: T | undefined, mine: T, theirs: T) => T);

/** A check on one entry's value: true passes; false or a message fails. */
export type EntryInvariant<T = unknown> = (value: T, key: string) => boolean | string;

/** How a system's state is kept: its schema, conflict policy, invariants and history retention. */
export interface SliceOptions<T = unknown> {
  readonly schema: Schema;
  /** Default `'reject'`. */
  readonly conflict?: ConflictPolicy<T>;
  /** Named checks every new value must pass. */
  readonly invariants?: Readonly<Record<string, EntryInvariant<T>>>;
  /** History kept per entry: the last `versions` versions and/or those younger than `maxAgeMs`. Default: all. */
  readonly retention?: { readonly versions?: number; readonly maxAgeMs?: number };
  /**
   * Whether `rollbackState` and `rollbackTransaction` may restore its entries (default true). `false` for a slice
   * kept in step with rows the state part does not revert, such as wallets beside their ledger: a rollback that
   * would touch it is a ConflictError, and the system offers its own way to undo (a compensating entry).
   */
  readonly rollback?: boolean;
}

/** One entry as stored. */
export interface StateEntry<T = unknown> {
  readonly system: string;
  readonly key: string;
  readonly value: T;
  readonly version: number;
  readonly updatedAt: string;
  readonly updatedBy: string | undefined;
}

/** One committed change, as callbacks and `state.changed` see it. */
export interface StateChange<T = unknown> {
  readonly system: string;
  readonly key: string;
  /** Undefined when the entry did not exist. */
  readonly before: T | undefined;
  /** Undefined when the entry was deleted. */
  readonly after: T | undefined;
  readonly version: number;
  readonly transactionId: string;
  readonly kind: 'set' | 'rollback' | 'delete';
}

/** Reading state: inside a transaction, reads see its own writes. */
export interface StateReader {
  get<T = unknown>(system: string, key: string): Promise<StateEntry<T> | undefined>;
  /** Entries in key order, from after `cursor` (a key); `prefix` narrows the keys. */
  list<T = unknown>(
    system: string,
    options?: ListOptions,
  ): Promise<{ entries: Array<StateEntry<T>>; cursor: string | undefined }>;
}

/** A page of `list`. */
export interface ListOptions {
  readonly prefix?: string;
  /** Default 100, at most 1000. */
  readonly limit?: number;
  /** The `cursor` a previous page returned. */
  readonly cursor?: string;
}

/** A check across systems, run before a transaction that changed one of them commits. */
export type CrossSystemInvariant = (
  view: StateReader,
  changes: readonly StateChange[],
) => boolean | string | Promise<boolean | string>;

/** Options of one write. */
export interface SetOptions {
  /**
   * The version the caller read; a different current version is a conflict (see the slice's policy). 0: the entry must
   * not exist, whatever the policy (a ConflictError when it does).
   */
  readonly expectedVersion?: number;
}

/** Options of one `transaction`. */
export interface StateTransactionOptions {
  /** Runs after this transaction commits. */
  readonly onSuccess?: (result: { transactionId: string; changes: readonly StateChange[] }) => unknown;
  /** Runs after this transaction failed and rolled back. */
  readonly onError?: (failure: { transactionId: string; error: unknown }) => unknown;
}
