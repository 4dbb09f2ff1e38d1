import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { ContextSlot } from '../async-context/internal.js';
import { backoffDelay, type Database } from '../database/internal.js';
import { ConfigError, ConflictError, NotFoundError, UsageError, ValidationError } from '../errors/internal.js';
import type { BacklogQuery, EventBacklog, EventDefinition, PublishOptions } from '../events/internal.js';
import { uuidv7 } from '../events/internal.js';
import type { WeftMetrics } from '../monitoring/internal.js';
import type { Schema, ValidationManager } from '../validation/internal.js';
import { invariantIssue } from './invariant-check.js';
import { summarizeSlice } from './entry-summary.js';
import { RecentActivity } from './recent-activity.js';
import { RecentResult } from './recent-result.js';
import { StateSlice } from './state-slice.js';
import { ownerOf, syncStatus, validateState, type StateValidationReport, type SyncStatus } from './state-report.js';
import { EntryTable, type HistoryRow, type StateTables } from './entry-table.js';
import { StateCallbacks, type ChangeCallback } from './state-callbacks.js';
import { stateChanged, stateRolledBack } from './state-events.js';
import { checkKey, checkVersion } from './state-input.js';
import { restoreVersion, revertTransaction, type RollbackHost } from './state-rollback.js';
import { StateTransaction, type Slice, type StateContext } from './state-transaction.js';
import type {
  CrossSystemInvariant,
  ListOptions,
  SetOptions,
  SliceOptions,
  StateChange,
  StateEntry,
  StateReader,
  StateTransactionOptions,
} from './types.js';

/** What the state part needs of the event bus: to define its events and publish them. */
export interface StateEventSink {
  define(definition: EventDefinition<'state.changed' | 'state.rolled_back', never>): unknown;
  /** Typed loosely (any EventBus fits, whatever events it defines); the store publishes only the two it defined. */
  publish(type: never, data: never, options: PublishOptions): Promise<unknown>;
  /** What waits for the durable subscriptions, counted by the events part (for the status). */
  backlog(query: BacklogQuery): Promise<EventBacklog>;
}

/** Options of a StateStore. */
export interface StateStoreOptions {
  readonly db: Pick<Database<unknown>, 'withTables'>;
  readonly validation: ValidationManager;
  readonly events: StateEventSink;
  readonly metrics?: WeftMetrics;
  readonly logger?: Logger;
  /** How long a callback may run before it counts as failed. Default 5000 ms. */
  readonly callbackTimeoutMs?: number;
  /** Tries of `update` when another writer got there first. Default 20. */
  readonly updateAttempts?: number;
  /** How long a computed `getSyncStatus` report is served again. Default 1000 ms; 0 computes each call anew. */
  readonly statusTtlMs?: number;
}

/** Waits between tries of `update` that lost a race: short, since the other writer is done already. */
const UPDATE_BACKOFF = { baseDelayMs: 2, maxDelayMs: 50 };

/** A slice id: `system` or `system.slice`, snake_case. */
export const SLICE_ID = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$/;

/**
 * Versioned state per system. Each system registers a slice; entries are read and written with
 * optimistic concurrency; `transaction` changes any number of systems (and publishes durable
 * events) in one database transaction, checked by cross-system invariants before it commits.
 * Every version is kept in history, so an entry or a whole transaction can be rolled back.
 * @example
 * state.registerStateSync('economy', { schema: z.object({ gold: z.int().min(0) }) })
 * await state.transaction(async (tx) => { await tx.update('economy', 'ann', (w) => ({ gold: (w?.gold ?? 0) + 5 })) })
 */
export class StateStore implements StateReader {
  readonly #db: Database<StateTables>;
  readonly #table: EntryTable;
  readonly #validation: ValidationManager;
  readonly #events: StateEventSink;
  readonly #metrics: WeftMetrics | undefined;
  readonly #logger: Logger;
  readonly #slices = new Map<string, Slice>();
  readonly #invariants = new Map<
    string,
    { readonly systems: ReadonlySet<string>; readonly check: CrossSystemInvariant }
  >();
  readonly #callbacks: StateCallbacks;
  readonly #onSuccess = new Set<NonNullable<StateTransactionOptions['onSuccess']>>();
  readonly #onError = new Set<NonNullable<StateTransactionOptions['onError']>>();
  readonly #current = new ContextSlot<StateTransaction>();
  readonly #context: StateContext;
  readonly #updateAttempts: number;
  readonly #status: RecentResult<SyncStatus>;
  /** Changes and conflicts of the last minute, per system. */
  readonly activity = new RecentActivity(60_000);

  constructor(options: StateStoreOptions) {
    this.#db = options.db.withTables<StateTables>();
    this.#table = new EntryTable(this.#db);
    this.#validation = options.validation;
    this.#events = options.events;
    this.#events.define(stateChanged as unknown as EventDefinition<'state.changed', never>);
    this.#events.define(stateRolledBack as unknown as EventDefinition<'state.rolled_back', never>);
    this.#metrics = options.metrics;
    this.#logger = options.logger ?? pino({ name: 'weft.state' });
    this.#callbacks = new StateCallbacks({
      timeoutMs: options.callbackTimeoutMs ?? 5000,
      logger: this.#logger,
      metrics: this.#metrics,
    });
    this.#updateAttempts = options.updateAttempts ?? 20;
    const statusTtlMs = options.statusTtlMs ?? 1000;
    if (!Number.isSafeInteger(statusTtlMs) || statusTtlMs < 0)
      throw new ConfigError(`statusTtlMs must be an integer >= 0; received ${JSON.stringify(options.statusTtlMs)}.`);
    this.#status = new RecentResult(statusTtlMs, () =>
      syncStatus(this, (slice) => summarizeSlice(this.#db, slice), this.#events),
    );
    this.#context = {
      table: this.#table,
      validation: this.#validation,
      slice: (system) => this.#slice(system),
      conflicted: (system) => {
        this.activity.record(system, 'conflict');
        this.#metrics?.transactionConflicts.inc({ system });
      },
    };
  }

  /**
   * Registers a slice of state (the seed's `register_state_sync`): `system` (a system's one slice) or
   * `system.slice`. Its schema goes to the validation part, owned by the system.
   */
  registerStateSync<T>(slice: string, options: SliceOptions<T>): void {
    if (!SLICE_ID.test(slice)) {
      throw new ConfigError(
        `A slice is named system or system.slice, in snake_case; received ${JSON.stringify(slice)}.`,
      );
    }
    if (this.#slices.has(slice)) throw new ConfigError(`State of ${slice} is registered already.`);
    const conflict = options.conflict ?? 'reject';
    if (conflict !== 'reject' && conflict !== 'last-write-wins' && typeof conflict !== 'function') {
      throw new ConfigError(
        `conflict must be 'reject', 'last-write-wins' or a merge function; received ${JSON.stringify(conflict)}.`,
      );
    }
    for (const [name, value] of Object.entries(options.retention ?? {})) {
      if (value !== undefined && (!Number.isSafeInteger(value) || value < 1))
        throw new ConfigError(`retention.${name} must be an integer >= 1; received ${JSON.stringify(value)}.`);
    }
    if (options.rollback !== undefined && typeof options.rollback !== 'boolean')
      throw new ConfigError(`rollback must be true or false; received ${JSON.stringify(options.rollback)}.`);
    const schemaName = `${slice}.state_entry`;
    this.#validation.registerSchema(schemaName, options.schema, { owner: ownerOf(slice) });
    this.#slices.set(slice, { system: slice, schemaName, options: options as SliceOptions });
  }

  /**
   * Registers a slice and returns its handle, typed from the schema: `get` gives a `T | undefined`,
   * `update` takes and returns a `T`. No type argument to write.
   */
  slice<T>(id: string, options: SliceOptions<T> & { readonly schema: Schema<T> }): StateSlice<T> {
    this.registerStateSync(id, options);
    return new StateSlice<T>(id, this);
  }

  /** The systems with a slice. */
  systems(): string[] {
    return [...this.#slices.keys()];
  }

  /** Registers a check across systems, run before any transaction that changed one of them commits. */
  registerInvariant(name: string, systems: readonly string[], check: CrossSystemInvariant): void {
    if (this.#invariants.has(name)) throw new ConfigError(`Invariant ${name} is registered already.`);
    for (const system of systems) this.#slice(system);
    this.#invariants.set(name, { systems: new Set(systems), check });
  }

  get<T = unknown>(system: string, key: string): Promise<StateEntry<T> | undefined> {
    return (this.#current.getStore() ?? this.#reader()).get<T>(system, key);
  }

  list<T = unknown>(
    system: string,
    options?: ListOptions,
  ): Promise<{ entries: Array<StateEntry<T>>; cursor: string | undefined }> {
    return (this.#current.getStore() ?? this.#reader()).list<T>(system, options);
  }

  /** Writes a new version; a stale `expectedVersion` is a ConflictError (409) unless the slice's policy resolves it. */
  set<T = unknown>(system: string, key: string, value: T, options: SetOptions = {}): Promise<StateEntry<T>> {
    return this.#inTransaction((tx) => tx.set(system, key, value, options));
  }

  /** Reads, applies `fn`, writes; another writer in between makes it try again (a bounded number of times). */
  async update<T = unknown>(
    system: string,
    key: string,
    fn: (value: T | undefined) => T | Promise<T>,
  ): Promise<StateEntry<T>> {
    if (typeof fn !== 'function') {
      throw new UsageError(`An update of ${system}/${key} takes a function of the current value to the next one.`);
    }
    if (this.#db.inTransaction()) return this.#inTransaction((tx) => tx.update(system, key, fn));
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.transaction((tx) => tx.update(system, key, fn));
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= this.#updateAttempts) throw error;
        await sleep(backoffDelay(UPDATE_BACKOFF, attempt));
      }
    }
  }

  /** The entries of `keys` found, by key, read at once and held for the transaction open around the call. */
  hold<T = unknown>(system: string, keys: readonly string[]): Promise<Map<string, StateEntry<T>>> {
    return this.#inTransaction((tx) => tx.hold<T>(system, keys));
  }

  /** Removes an entry (its history stays). */
  delete(system: string, key: string, options: SetOptions = {}): Promise<void> {
    return this.#inTransaction((tx) => tx.delete(system, key, options));
  }

  /**
   * One operation: in the state transaction open around the call (no savepoint: it is one write), or in one of its own.
   */
  #inTransaction<T>(operation: (tx: StateTransaction) => Promise<T>): Promise<T> {
    const open = this.#current.getStore();
    return open !== undefined && this.#db.inTransaction() ? operation(open) : this.transaction(operation);
  }

  /**
   * Runs `fn` in one database transaction: its writes across systems and the durable events they
   * publish commit together or not at all. Cross-system invariants run before the commit; change
   * callbacks and `onSuccess` after it, `onError` after a failure. Inside another state
   * transaction it is a savepoint of that one: a throw undoes its own writes and changes only.
   */
  async transaction<T>(
    fn: (tx: StateTransaction) => Promise<T> | T,
    options: StateTransactionOptions = {},
  ): Promise<T> {
    if (typeof fn !== 'function') {
      throw new UsageError('transaction takes its work as a function: transaction(async (tx) => ...).');
    }
    const open = this.#current.getStore();
    if (open !== undefined && this.#db.inTransaction()) return this.#nested(open, fn, options);
    const id = uuidv7();
    const started = performance.now();
    const outer = this.#db.inTransaction();
    let tx = new StateTransaction(id, this.#context);
    let result: T;
    try {
      result = await this.#db.transaction(() => {
        // A fresh record per attempt: the database may run the work again after losing a race.
        tx = new StateTransaction(id, this.#context);
        return this.#current.run(tx, async () => {
          const value = await fn(tx);
          await this.#checkInvariants(tx);
          await this.#publish(tx);
          return value;
        });
      });
    } catch (error) {
      for (const system of systemsOf(tx.changes, 'none')) this.#metrics?.transactionRollbacks.inc({ system });
      const failure = { transactionId: id, error };
      await Promise.all(
        [...(options.onError === undefined ? [] : [options.onError]), ...this.#onError].map((callback) =>
          this.#callbacks.run('transaction', 'onError', () => callback(failure)),
        ),
      );
      throw error;
    }
    const committed = tx;
    const finish = () => this.#committed(committed, options, started);
    if (outer) this.#db.afterCommit(finish);
    else await finish();
    return result;
  }

  /** A transaction inside another: a savepoint, whose changes leave the record when it rolls back. */
  async #nested<T>(
    open: StateTransaction,
    fn: (tx: StateTransaction) => Promise<T> | T,
    options: StateTransactionOptions,
  ): Promise<T> {
    const mark = open.changes.length;
    let result: T;
    try {
      result = await this.#db.transaction(() => fn(open));
    } catch (error) {
      open.changes.length = mark;
      const onError = options.onError;
      if (onError !== undefined) {
        await this.#callbacks.run('transaction', 'onError', () => onError({ transactionId: open.id, error }));
      }
      throw error;
    }
    const onSuccess = options.onSuccess;
    if (onSuccess !== undefined) {
      const changes = open.changes.slice(mark);
      this.#db.afterCommit(() =>
        this.#callbacks.run(systemsOf(changes, 'none')[0] ?? 'none', 'onSuccess', () =>
          onSuccess({ transactionId: open.id, changes }),
        ),
      );
    }
    return result;
  }

  /**
   * Calls `callback` after each committed change of `system` (`'*'`: every system); returns the function that stops it.
   */
  onChange(system: string, callback: ChangeCallback): () => void {
    if (system !== '*') this.#slice(system);
    return this.#callbacks.onChange(system, callback);
  }

  /** Calls `callback` after every committed transaction. */
  onSuccess(callback: NonNullable<StateTransactionOptions['onSuccess']>): () => void {
    this.#onSuccess.add(callback);
    return () => void this.#onSuccess.delete(callback);
  }

  /** Calls `callback` after every failed transaction. */
  onError(callback: NonNullable<StateTransactionOptions['onError']>): () => void {
    this.#onError.add(callback);
    return () => void this.#onError.delete(callback);
  }

  /** Every version of an entry still in history, oldest first, with its patch from the previous one. */
  async history(system: string, key: string): Promise<HistoryRow[]> {
    this.#slice(system);
    checkKey(key);
    return this.#table.history(system, key);
  }

  /** The versions one transaction wrote, oldest first: what `rollbackTransaction` would revert. */
  async transactionChanges(transactionId: string): Promise<HistoryRow[]> {
    checkKey(transactionId, 'transactionId');
    return this.#table.writtenBy(transactionId);
  }

  /** Writes a new version equal to `toVersion`'s value (validated like any write) and emits `state.rolled_back`. */
  async rollbackState<T = unknown>(
    system: string,
    key: string,
    options: { toVersion: number },
  ): Promise<StateEntry<T>> {
    this.#slice(system);
    checkKey(key);
    checkVersion(options.toVersion, 'toVersion', 1);
    return (await restoreVersion(this.#rollbackHost(), system, key, options.toVersion)) as StateEntry<T>;
  }

  /**
   * Reverts every entry a transaction changed, in one new transaction. When a later change touched
   * one of them it refuses with a ConflictError listing them, unless `force`.
   */
  async rollbackTransaction(
    transactionId: string,
    options: { force?: boolean } = {},
  ): Promise<{ transactionId: string; reverted: StateChange[] }> {
    checkKey(transactionId, 'transactionId');
    return revertTransaction(this.#rollbackHost(), transactionId, options.force === true);
  }

  #rollbackHost(): RollbackHost {
    return {
      table: this.#table,
      transaction: (work) => this.transaction(work),
      rollbackAllowed: (system) => this.#slices.get(system)?.options.rollback !== false,
    };
  }

  #reader(): StateReader {
    return new StateTransaction('read', this.#context);
  }

  #slice(system: string): Slice {
    const slice = this.#slices.get(system);
    if (slice === undefined)
      throw new NotFoundError(`No state slice is named ${system} (a system declares its own with sys.state.slice).`);
    return slice;
  }

  /** The registered slices and invariants, for reports. */
  get slices(): ReadonlyMap<string, Slice> {
    return this.#slices;
  }

  /** The registered cross-system invariants, for reports. */
  get invariants(): ReadonlyMap<
    string,
    { readonly systems: ReadonlySet<string>; readonly check: CrossSystemInvariant }
  > {
    return this.#invariants;
  }

  async #checkInvariants(tx: StateTransaction): Promise<void> {
    const touched = new Set(tx.changes.map((change) => change.system));
    if (touched.size === 0) return;
    const failures = [];
    for (const [name, invariant] of this.#invariants) {
      if (![...invariant.systems].some((system) => touched.has(system))) continue;
      const failed = await invariantIssue(name, async () => invariant.check(tx, tx.changes));
      if (failed !== undefined) failures.push(failed);
    }
    if (failures.length > 0) {
      throw new ValidationError(
        `The transaction breaks ${failures.length === 1 ? 'an invariant' : `${failures.length} invariants`}: ${failures.map((f) => f.message).join('; ')}`,
        {
          issues: failures,
          details: { transactionId: tx.id, systems: [...touched] },
        },
      );
    }
  }

  async #publish(tx: StateTransaction): Promise<void> {
    for (const change of tx.changes) {
      const data = {
        system: change.system,
        key: change.key,
        version: change.version,
        kind: change.kind,
        transactionId: change.transactionId,
        value: change.after ?? null,
      };
      await this.#events.publish('state.changed' as never, data as never, { source: 'state' });
      const rolledBack = tx.rolledBack(change);
      if (rolledBack !== undefined)
        await this.#events.publish('state.rolled_back' as never, { ...data, ...rolledBack } as never, {
          source: 'state',
        });
    }
  }

  async #committed(tx: StateTransaction, options: StateTransactionOptions, started: number): Promise<void> {
    const systems = systemsOf(tx.changes, 'none');
    for (const system of systems) {
      this.#metrics?.transactionCommits.inc({ system });
      this.#metrics?.transactionDuration.observe({ system }, performance.now() - started);
    }
    for (const change of tx.changes) this.activity.record(change.system, 'change');
    const outcome = { transactionId: tx.id, changes: tx.changes };
    await Promise.all([
      this.#callbacks.changed(tx.changes),
      ...[...(options.onSuccess === undefined ? [] : [options.onSuccess]), ...this.#onSuccess].map((callback) =>
        this.#callbacks.run(systems[0] ?? 'none', 'onSuccess', () => callback(outcome)),
      ),
    ]);
  }

  /**
   * Re-checks every entry (of `system`, or all) against its slice, and every invariant: a report, read page by page.
   */
  validateState(system?: string): Promise<StateValidationReport> {
    return validateState(this, this.#validation, system);
  }

  /**
   * Per system: entries, last change, changes and conflicts in the last minute, failing callbacks, undelivered events,
   * dead letters. Computed at most once a second (`statusTtlMs`): calls meanwhile share the same report, and calls
   * while it is computed wait for that computation.
   */
  getSyncStatus(): Promise<SyncStatus> {
    return this.#status.get();
  }

  /** Callback failures of `system` in the last minute (for the status). */
  callbacksFailing(system: string): number {
    return this.#callbacks.failingRecently(system);
  }
}

function systemsOf(changes: readonly StateChange[], none: string): string[] {
  const systems = [...new Set(changes.map((change) => change.system))];
  return systems.length === 0 ? [none] : systems;
}
