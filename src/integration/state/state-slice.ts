import { NotFoundError, UsageError } from '../errors/internal.js';
import type { HistoryRow } from './entry-table.js';
import type { ChangeCallback } from './state-callbacks.js';
import type { ListOptions, SetOptions, StateChange, StateEntry } from './types.js';

/** What a slice handle needs of its store: the untyped operations, keyed by slice id. */
export interface SliceStore {
  get<T>(slice: string, key: string): Promise<StateEntry<T> | undefined>;
  list<T>(slice: string, options?: ListOptions): Promise<{ entries: Array<StateEntry<T>>; cursor: string | undefined }>;
  set<T>(slice: string, key: string, value: T, options?: SetOptions): Promise<StateEntry<T>>;
  update<T>(slice: string, key: string, fn: (value: T | undefined) => T | Promise<T>): Promise<StateEntry<T>>;
  hold<T>(slice: string, keys: readonly string[]): Promise<Map<string, StateEntry<T>>>;
  delete(slice: string, key: string, options?: SetOptions): Promise<void>;
  history(slice: string, key: string): Promise<HistoryRow[]>;
  rollbackState<T>(slice: string, key: string, options: { toVersion: number }): Promise<StateEntry<T>>;
  onChange(slice: string, callback: ChangeCallback): () => void;
}

/**
 * One slice of state, typed from its schema: `wallets.get('ann')` is a `Wallet | undefined`,
 * `wallets.update('ann', (w) => ...)` takes and returns a `Wallet`. Every call joins the
 * transaction open around it (`weft.transaction`, a command), or runs in one of its own.
 * @example
 * const wallets = sys.state.slice('wallets', { schema: z.object({ gold: z.int().min(0) }) })
 * await wallets.update('ann', (w) => ({ gold: w.gold - 10 }))
 */
export class StateSlice<T> {
  /** `system.slice`, as entries, history, events and status name it. */
  readonly id: string;
  readonly #store: SliceStore;

  constructor(id: string, store: SliceStore) {
    this.id = id;
    this.#store = store;
  }

  /** The value of `key`, or undefined when there is none. */
  async get(key: string): Promise<T | undefined> {
    return (await this.#store.get<T>(this.id, key))?.value;
  }

  /** The entry of `key` with its version and who changed it last, or undefined. */
  entry(key: string): Promise<StateEntry<T> | undefined> {
    return this.#store.get<T>(this.id, key);
  }

  /** A page of entries in key order (`prefix` narrows the keys; pass the returned `cursor` for the next page). */
  list(options?: ListOptions): Promise<{ entries: Array<StateEntry<T>>; cursor: string | undefined }> {
    return this.#store.list<T>(this.id, options);
  }

  /**
   * Writes `value` as the next version; a stale `expectedVersion` is a ConflictError unless the slice's policy resolves
   * it.
   */
  set(key: string, value: T, options?: SetOptions): Promise<StateEntry<T>> {
    return this.#store.set<T>(this.id, key, value, options);
  }

  /** Writes the first version of `key`; a ConflictError when it exists already. */
  create(key: string, value: T): Promise<StateEntry<T>> {
    return this.#store.set<T>(this.id, key, value, { expectedVersion: 0 });
  }

  /**
   * Applies `fn` to the current value and writes the result (retried when another writer got there first);
   * NotFoundError when `key` has no value.
   */
  update(key: string, fn: (value: T) => T | Promise<T>): Promise<StateEntry<T>> {
    // Checked here, where `fn` is the caller's: the store is handed the wrapper below.
    if (typeof fn !== 'function') {
      return Promise.reject(
        new UsageError(`An update of ${this.id}/${key} takes a function of the current value to the next one.`),
      );
    }
    return this.#store.update<T>(this.id, key, (value) => {
      if (value === undefined)
        throw new NotFoundError(`${this.id}/${key} does not exist.`, { details: { slice: this.id, key } });
      return fn(value);
    });
  }

  /** Like `update`, but `fn` also makes the first value when `key` has none. */
  upsert(key: string, fn: (value: T | undefined) => T | Promise<T>): Promise<StateEntry<T>> {
    return this.#store.update<T>(this.id, key, fn);
  }

  /**
   * Reads the entries of `keys` in one statement and holds them for the transaction open around the call: on
   * PostgreSQL their rows stay locked until it ends, taken in the byte order of the keys (a caller that updates entries
   * one by one in that order never deadlocks with it), and its later reads and writes of them need no read of their
   * own. Returns the entries found, by key. A ValidationError for more than 1,000 keys or an invalid one.
   */
  hold(keys: readonly string[]): Promise<Map<string, StateEntry<T>>> {
    return this.#store.hold<T>(this.id, keys);
  }

  /** Removes `key` (its history stays); NotFoundError when it has no value. */
  delete(key: string, options?: SetOptions): Promise<void> {
    return this.#store.delete(this.id, key, options);
  }

  /** Every version of `key` still in history, oldest first, each with its patch from the one before. */
  history(key: string): Promise<HistoryRow[]> {
    return this.#store.history(this.id, key);
  }

  /** Writes a new version of `key` equal to version `toVersion` (validated like any write). */
  rollback(key: string, toVersion: number): Promise<StateEntry<T>> {
    return this.#store.rollbackState<T>(this.id, key, { toVersion });
  }

  /** Calls `callback` after each committed change of this slice; returns the function that stops it. */
  onChange(callback: (change: StateChange<T>) => unknown): () => void {
    return this.#store.onChange(this.id, callback as ChangeCallback);
  }
}
