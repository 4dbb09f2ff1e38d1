import { ConfigError } from '../errors/internal.js';
import type { CrossSystemInvariant, SliceOptions, StateSlice, StateStore } from '../state/internal.js';
import type { Schema } from '../validation/internal.js';

const SHORT_NAME = /^[a-z][a-z0-9_]*$/;

/** A system's state: slices named under the system (`economy.wallets`), typed from their schemas. */
export class SystemState<S extends string> {
  readonly #system: S;
  readonly #store: StateStore;

  constructor(system: S, store: StateStore) {
    this.#system = system;
    this.#store = store;
  }

  /**
   * Registers the slice `system.name` and returns its handle, typed from the schema.
   * @example const wallets = sys.state.slice('wallets', { schema: Wallet }) // StateSlice<Wallet>
   */
  slice<T>(name: string, options: SliceOptions<T> & { readonly schema: Schema<T> }): StateSlice<T> {
    if (!SHORT_NAME.test(name)) {
      throw new ConfigError(`A slice of ${this.#system} is named in snake_case; received ${JSON.stringify(name)}.`);
    }
    return this.#store.slice(`${this.#system}.${name}`, options);
  }

  /**
   * A check across slices (this system's or others'), run before any transaction that changed one
   * of them commits; named `system.name`.
   */
  invariant(name: string, slices: ReadonlyArray<{ readonly id: string } | string>, check: CrossSystemInvariant): void {
    if (!SHORT_NAME.test(name)) {
      throw new ConfigError(
        `An invariant of ${this.#system} is named in snake_case; received ${JSON.stringify(name)}.`,
      );
    }
    const ids = slices.map((slice) => (typeof slice === 'string' ? slice : slice.id));
    this.#store.registerInvariant(`${this.#system}.${name}`, ids, check);
  }
}
