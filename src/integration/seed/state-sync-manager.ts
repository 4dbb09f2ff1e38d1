import type { StateStore } from '../state/index.js';
import type { StateTransaction } from '../state/index.js';
import type { SliceOptions, StateEntry, StateTransactionOptions } from '../state/index.js';

/** The seed's callback: called with the system that changed and its new state. */
export type SeedStateCallback = (system: string, state: unknown) => unknown;

/** The entry key under which the seed-style API keeps a system's whole state. */
const SEED_KEY = 'state';

/**
 * The seed's `StateSyncManager` over a StateStore: each system's latest state is one entry
 * (`system/state`), versioned like any other. A subscriber hears the changes of every other system.
 * A system written here without a registered slice gets one that takes any JSON value, last write wins.
 */
export class StateSyncManager {
  readonly #store: () => Promise<StateStore>;
  readonly #subscribers = new Map<string, Set<SeedStateCallback>>();
  #listening: Promise<void> | undefined;

  /** `store`: the store, or a function that makes it when first needed (the default instance). */
  constructor(store: StateStore | (() => Promise<StateStore>)) {
    this.#store = typeof store === 'function' ? store : () => Promise.resolve(store);
  }

  /** Calls `callback(system, state)` for state changes of every system but `system`. */
  subscribe(system: string, callback: SeedStateCallback): void {
    let set = this.#subscribers.get(system);
    if (set === undefined) this.#subscribers.set(system, (set = new Set()));
    set.add(callback);
  }

  /** Stops every callback `system` subscribed. */
  unsubscribe(system: string): void {
    this.#subscribers.delete(system);
  }

  /** Records `state` as the system's latest state (a new version); resolves after the callbacks ran. */
  async notifyStateChange(system: string, state: unknown): Promise<StateEntry> {
    const store = await this.#ready(system);
    return store.set(system, SEED_KEY, state);
  }

  /** Records `state` as the system's state, marked as a rollback; resolves after the callbacks ran. */
  async rollback(system: string, state: unknown): Promise<StateEntry> {
    const store = await this.#ready(system);
    return store.transaction(async (tx) => {
      await tx.restore(system, SEED_KEY, state, undefined);
      const entry = await tx.get(system, SEED_KEY);
      if (entry === undefined) throw new Error(`${system} has no state after its rollback`);
      return entry;
    });
  }

  /** The seed's `register_state_sync`. */
  async registerStateSync<T>(system: string, options: SliceOptions<T>): Promise<void> {
    (await this.#store()).registerStateSync(system, options);
  }

  /** The seed's `sync_state`: a transaction across systems. */
  async syncState<T>(fn: (tx: StateTransaction) => Promise<T> | T, options?: StateTransactionOptions): Promise<T> {
    return (await this.#store()).transaction(fn, options);
  }

  /** The seed's `rollback_state`: an entry back to an earlier version. */
  async rollbackState(system: string, key: string, options: { toVersion: number }): Promise<StateEntry> {
    return (await this.#store()).rollbackState(system, key, options);
  }

  /** The seed's `validate_state`. */
  async validateState(system?: string): ReturnType<StateStore['validateState']> {
    return (await this.#store()).validateState(system);
  }

  /** The seed's `get_sync_status`. */
  async getSyncStatus(): ReturnType<StateStore['getSyncStatus']> {
    return (await this.#store()).getSyncStatus();
  }

  /** The store, listening for changes, with a slice for `system`. */
  async #ready(system: string): Promise<StateStore> {
    const store = await this.#store();
    if (!store.slices.has(system)) store.registerStateSync(system, { schema: ANY_JSON, conflict: 'last-write-wins' });
    this.#listening ??= Promise.resolve().then(() => {
      store.onChange('*', (change) => this.#notify(change.system, change.after));
    });
    await this.#listening;
    return store;
  }

  async #notify(system: string, state: unknown): Promise<void> {
    const calls = [];
    for (const [subscriber, callbacks] of this.#subscribers) {
      if (subscriber === system) continue;
      for (const callback of callbacks) calls.push(Promise.resolve().then(() => callback(system, state)));
    }
    // One failing subscriber must not hide the others' failures: each is reported by the store's callback runner.
    const results = await Promise.allSettled(calls);
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }
}

/** A Standard Schema that takes any value: the seed-style API validates nothing it was not told to. */
const ANY_JSON = {
  '~standard': { version: 1, vendor: 'weft', validate: (value: unknown) => ({ value }) },
} as const;
