import { ConflictError, NotFoundError, isWeftError } from '../errors/internal.js';
import { lostRace } from '../database/internal.js';
import { currentContext } from '../monitoring/internal.js';
import { issue, validationFailed, type ValidationIssue, type ValidationManager } from '../validation/internal.js';
import type { EntryTable } from './entry-table.js';
import { invariantIssue } from './invariant-check.js';
import { diff } from './json-patch.js';
import { checkKey, checkKeys, checkLimit, checkVersion } from './state-input.js';
import type { ListOptions, SetOptions, SliceOptions, StateChange, StateEntry, StateReader } from './types.js';

/** What a rollback reports of each version it wrote (`state.rolled_back`): the version or transaction it undid. */
export interface RollbackMark {
  readonly toVersion?: number;
  readonly revertedTransactionId?: string;
}

/** A registered slice, as writes need it. */
export interface Slice {
  readonly system: string;
  /** The name its schema is registered under in the validation part. */
  readonly schemaName: string;
  readonly options: SliceOptions;
}

/** What a transaction needs from the store that runs it. */
export interface StateContext {
  readonly table: EntryTable;
  readonly validation: ValidationManager;
  slice(system: string): Slice;
  /** A write met a stale version (counted whatever the policy does with it). */
  conflicted(system: string): void;
}

/**
 * Checks a value against a slice's schema (whose limits walk refuses what JSON cannot carry), then
 * its invariants: the parsed value, the issues found and how many more there were. An entry always
 * has a value: undefined is refused here (delete the entry instead), not left to the schema.
 */
export function checkEntry(
  validation: ValidationManager,
  slice: Slice,
  key: string,
  value: unknown,
): { value: unknown; issues: ValidationIssue[]; omittedIssues: number } {
  if (value === undefined) {
    const message = 'A state entry cannot hold undefined: JSON cannot carry it (delete the entry instead)';
    return { value, issues: [issue([], 'not_json', message, 'a JSON value', 'undefined')], omittedIssues: 0 };
  }
  const result = validation.validateData(slice.schemaName, value);
  if (!result.ok) return { value, issues: [...result.issues], omittedIssues: result.omittedIssues };
  const issues: ValidationIssue[] = [];
  for (const [name, check] of Object.entries(slice.options.invariants ?? {})) {
    const failed = invariantIssue(name, () => check(result.value, key));
    if (failed !== undefined) issues.push(failed);
  }
  return { value: result.value, issues, omittedIssues: 0 };
}

/**
 * The `tx` of `state.transaction(async tx => ...)`: reads see its own writes; every write checks
 * the version, validates the new value against the slice's schema and invariants, and records the
 * version in history. What it changed is kept for invariants, events and callbacks.
 */
export class StateTransaction implements StateReader {
  readonly id: string;
  readonly changes: StateChange[] = [];
  /**
   * The changes `restore` wrote, with what `state.rolled_back` reports of each. Kept per change, not per transaction:
   * a rollback made inside another transaction (a savepoint of it) marks its own writes only, never the others.
   */
  readonly #rolledBack = new WeakMap<StateChange, RollbackMark>();
  readonly #context: StateContext;

  constructor(id: string, context: StateContext) {
    this.id = id;
    this.#context = context;
  }

  async get<T = unknown>(system: string, key: string): Promise<StateEntry<T> | undefined> {
    this.#context.slice(system);
    checkKey(key);
    return (await this.#context.table.read(system, key)) as StateEntry<T> | undefined;
  }

  /** The entries of `keys` found, by key, read at once and held for the transaction (see `StateSlice.hold`). */
  async hold<T = unknown>(system: string, keys: readonly string[]): Promise<Map<string, StateEntry<T>>> {
    this.#context.slice(system);
    checkKeys(keys);
    return (await this.#context.table.readMany(system, keys, true)) as Map<string, StateEntry<T>>;
  }

  async list<T = unknown>(
    system: string,
    options: ListOptions = {},
  ): Promise<{ entries: Array<StateEntry<T>>; cursor: string | undefined }> {
    this.#context.slice(system);
    const limit = options.limit ?? 100;
    checkLimit(limit);
    if (options.prefix !== undefined) checkKey(options.prefix, 'prefix', { empty: true });
    if (options.cursor !== undefined) checkKey(options.cursor, 'cursor');
    const entries = (await this.#context.table.list(system, {
      limit,
      ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
      ...(options.cursor === undefined ? {} : { after: options.cursor }),
    })) as Array<StateEntry<T>>;
    return { entries, cursor: entries.length === limit ? entries.at(-1)?.key : undefined };
  }

  /**
   * Writes `value` as the entry's next version. A stale `expectedVersion` is resolved by the slice's conflict policy.
   */
  async set<T = unknown>(system: string, key: string, value: T, options: SetOptions = {}): Promise<StateEntry<T>> {
    this.#context.slice(system);
    checkKey(key);
    if (options.expectedVersion !== undefined) checkVersion(options.expectedVersion, 'expectedVersion', 0);
    const current = await this.#context.table.read(system, key, true);
    return this.#write(system, key, current, value, options.expectedVersion, 'set');
  }

  /** Reads the entry (locked until commit), applies `fn` to its value (undefined when new) and writes the result. */
  async update<T = unknown>(
    system: string,
    key: string,
    fn: (value: T | undefined) => T | Promise<T>,
  ): Promise<StateEntry<T>> {
    this.#context.slice(system);
    checkKey(key);
    const current = await this.#context.table.read(system, key, true);
    const next = await fn(current?.value as T | undefined);
    return this.#write(system, key, current, next, current?.version ?? 0, 'set');
  }

  /** Removes the entry (its history stays). */
  async delete(system: string, key: string, options: SetOptions = {}): Promise<void> {
    const slice = this.#context.slice(system);
    checkKey(key);
    if (options.expectedVersion !== undefined) checkVersion(options.expectedVersion, 'expectedVersion', 0);
    const current = await this.#context.table.read(system, key, true);
    if (current === undefined) throw new NotFoundError(`${system}/${key} does not exist.`);
    if (options.expectedVersion !== undefined && options.expectedVersion !== current.version)
      this.#stale(slice, key, options.expectedVersion, current.version);
    await this.#record(slice.system, key, current, undefined, 'delete');
  }

  /**
   * Writes a value as a rollback (validated like any write), marked with `mark` for `state.rolled_back`; used by
   * `rollbackState` and `rollbackTransaction`.
   */
  async restore(
    system: string,
    key: string,
    value: unknown,
    expectedVersion: number | undefined,
    mark: RollbackMark = {},
  ): Promise<StateChange> {
    const current = await this.#context.table.read(system, key, true);
    if (value === undefined) {
      if (current === undefined) throw new NotFoundError(`${system}/${key} does not exist.`);
      await this.#record(system, key, current, undefined, 'delete');
    } else {
      await this.#write(system, key, current, value, expectedVersion, 'rollback');
    }
    const change = this.changes.at(-1);
    if (change === undefined) throw new NotFoundError(`${system}/${key} was not written.`);
    this.#rolledBack.set(change, mark);
    return change;
  }

  /** What `state.rolled_back` reports of `change`, when `restore` wrote it; undefined for any other write. */
  rolledBack(change: StateChange): RollbackMark | undefined {
    return this.#rolledBack.get(change);
  }

  async #write<T>(
    system: string,
    key: string,
    current: StateEntry | undefined,
    value: T,
    expectedVersion: number | undefined,
    kind: 'set' | 'rollback',
  ): Promise<StateEntry<T>> {
    const slice = this.#context.slice(system);
    let next: unknown = value;
    const actual = current?.version ?? 0;
    if (expectedVersion !== undefined && expectedVersion !== actual) {
      // Version 0 means "must not exist yet": a create is never merged into, nor written over, an entry.
      const policy = expectedVersion === 0 ? 'reject' : (slice.options.conflict ?? 'reject');
      if (policy === 'reject') this.#stale(slice, key, expectedVersion, actual);
      this.#context.conflicted(system);
      if (typeof policy === 'function') {
        const base =
          expectedVersion === 0 ? undefined : await this.#context.table.version(system, key, expectedVersion);
        next = policy(base?.value == null ? undefined : JSON.parse(base.value), value, current?.value);
      }
    }
    const checked = this.#validate(slice, key, next);
    return (await this.#record(system, key, current, checked, kind)) as StateEntry<T>;
  }

  #stale(slice: Slice, key: string, expected: number, actual: number): never {
    this.#context.conflicted(slice.system);
    throw new ConflictError(
      expected === 0
        ? `${slice.system}/${key} exists already (version ${actual}): create makes a new entry only.`
        : actual === 0
          ? `${slice.system}/${key} does not exist (any more): it was expected at version ${expected}.`
          : `${slice.system}/${key} is at version ${actual}, not ${expected}: it changed since it was read.`,
      { details: { system: slice.system, key, expectedVersion: expected, actualVersion: actual } },
    );
  }

  /** The value as the schema parses it, after every invariant passed; ValidationError otherwise. */
  #validate(slice: Slice, key: string, value: unknown): unknown {
    const checked = checkEntry(this.#context.validation, slice, key, value);
    if (checked.issues.length > 0)
      throw validationFailed(`${slice.system}/${key}`, checked, { system: slice.system, key });
    return checked.value;
  }

  async #record(
    system: string,
    key: string,
    current: StateEntry | undefined,
    value: unknown,
    kind: StateChange['kind'],
  ): Promise<StateEntry> {
    const { table } = this.#context;
    // A key deleted before keeps counting up, so history never reuses a version number.
    const version = (current?.version ?? (await table.lastVersion(system, key))) + 1;
    const context = currentContext();
    const at = new Date().toISOString();
    let written: boolean;
    try {
      written = await table.write(
        {
          system,
          key,
          value,
          version,
          patch: diff(current?.value, value),
          kind,
          transactionId: this.id,
          correlationId: context?.correlationId,
          by: context?.system,
          at,
        },
        current?.version,
      );
    } catch (error) {
      // Two first writes of one key raced (a unique violation): the loser's transaction runs again and
      // then finds the entry, instead of failing the caller with a conflict it did not cause.
      if (current === undefined && isWeftError(error, 'WEFT_CONFLICT')) {
        this.#context.conflicted(system);
        throw lostRace(`${system}/${key} was created by another transaction at the same time.`, { cause: error });
      }
      throw error;
    }
    if (!written) {
      this.#context.conflicted(system);
      throw lostRace(`${system}/${key} changed while it was being written.`, {
        details: { system, key, expectedVersion: current?.version },
      });
    }
    const retention = this.#context.slice(system).options.retention;
    if (retention !== undefined) {
      await table.prune(system, key, version, {
        ...(retention.versions === undefined ? {} : { versions: retention.versions }),
        ...(retention.maxAgeMs === undefined
          ? {}
          : { before: new Date(Date.now() - retention.maxAgeMs).toISOString() }),
      });
    }
    this.changes.push({ system, key, before: current?.value, after: value, version, transactionId: this.id, kind });
    return { system, key, value, version, updatedAt: at, updatedBy: context?.system };
  }
}
