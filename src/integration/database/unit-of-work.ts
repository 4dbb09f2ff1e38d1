import { setTimeout as sleep } from 'node:timers/promises';
import { CompiledQuery, sql, type DatabaseConnection, type Dialect, type Kysely, type QueryResult } from 'kysely';
import { ContextSlot } from '../async-context/internal.js';
import { UsageError, WeftError } from '../errors/internal.js';
import { backoffDelay } from './backoff.js';
import { CommitGroups, type GroupExit } from './commit-group.js';
import { isRetryable } from './driver-errors.js';
import { Deadline, refusedAfterAbandon } from './transaction-deadline.js';
import { heldWrites, keptValues, newRoot, rollBackTo, savepointMark, writePending } from './transaction-root.js';
import { ConnectionHandles, openScope, type Scope } from './transaction-scope.js';
import {
  gaveUp,
  overloaded,
  refusedOptions,
  type BeginStatement,
  type DeferredFlush,
  type TransactionOptions,
  type TransactionWork,
} from './transaction-options.js';
import type { DatabaseBackend } from './backend.js';
import type { DatabaseLogger, RetryPolicy } from './options.js';

/**
 * Runs units of work: the outermost `run` is a database transaction retried on lost races,
 * nested ones are savepoints, and the open one travels along the async flow (a ContextSlot).
 */
export class UnitOfWork<DB> {
  readonly #storage = new ContextSlot<Scope<DB>>();
  readonly #root: Kysely<DB>;
  readonly #begin: BeginStatement;
  readonly #deferredFlush: DeferredFlush;
  readonly #handles: ConnectionHandles<DB>;
  readonly #retry: RetryPolicy;
  readonly #logger: DatabaseLogger;
  readonly #maxWaiting: number;
  /** Where top-level write transactions queue to share a commit (one writer: SQLite); undefined otherwise. */
  readonly #groups: CommitGroups | undefined;
  readonly #runIfIdle: UnitOfWorkSettings['runIfIdle'];
  readonly #readOnlyGuard: UnitOfWorkSettings['readOnlyGuard'];
  #open = 0;
  /** Outermost transactions waiting for a connection (or for their next attempt), bounded by #maxWaiting. */
  #waiting = 0;
  #idle: (() => void) | undefined;

  constructor(root: Kysely<DB>, settings: UnitOfWorkSettings) {
    this.#root = root;
    this.#handles = new ConnectionHandles(settings.dialect, this.#storage);
    this.#begin = settings.begin;
    this.#deferredFlush = settings.deferredFlush;
    this.#retry = settings.retry;
    this.#logger = settings.logger;
    this.#maxWaiting = settings.maxWaiting;
    this.#runIfIdle = settings.runIfIdle;
    this.#readOnlyGuard = settings.readOnlyGuard;
    const { groupCommit } = settings;
    this.#groups =
      groupCommit === undefined
        ? undefined
        : new CommitGroups({
            provideConnection: (consumer) => root.getExecutor().provideConnection(consumer),
            begin: settings.begin({ readOnly: false }),
            deferredFlush: settings.deferredFlush,
            maxSize: groupCommit.maxSize,
            rollback: (connection, reason) => this.#rollback(connection, reason),
            logger: settings.logger,
          });
  }

  /**
   * The open scope of the calling async context; undefined outside one (or once it ended). Throws the abandonment
   * error when the context's transaction was abandoned: its work must not go on outside it.
   */
  #current(): Scope<DB> | undefined {
    const scope = this.#storage.getStore();
    if (scope === undefined) return undefined;
    if (scope.root.abandoned !== undefined) throw refusedAfterAbandon(scope.root.abandoned);
    return scope.done ? undefined : scope;
  }

  /** The error `inTransaction` would throw (the calling context's transaction was abandoned), or undefined. */
  refusal(): Error | undefined {
    const abandoned = this.#storage.getStore()?.root.abandoned;
    return abandoned === undefined ? undefined : refusedAfterAbandon(abandoned);
  }

  /** The open transaction of the calling async context, or the root (pool) when there is none. */
  executor(): Kysely<DB> {
    return this.#current()?.trx ?? this.#root;
  }

  /**
   * A buffer of writes held in memory for the open transaction, one per `owner`. `flush(items)` writes them out inside
   * the transaction before it commits and on `flushPending()`; the next call after a flush starts a new buffer. A
   * savepoint adds to the transaction's buffers and its rollback puts them back as they were. Undefined outside a
   * transaction.
   */
  pending<T>(owner: object, flush: (items: T[]) => Promise<void>): T[] | undefined {
    const root = this.#current()?.root;
    return root === undefined ? undefined : heldWrites(root, owner, flush);
  }

  /** A map kept for the open transaction, one per `owner`, emptied when a savepoint inside it rolls back. */
  transactionCache<K, V>(owner: object): Map<K, V> | undefined {
    const root = this.#current()?.root;
    return root === undefined ? undefined : keptValues<K, V>(root, owner);
  }

  /** Writes out what the open transaction holds back (see `pending`), so a read sees it. */
  async flushPending(): Promise<void> {
    const scope = this.#current();
    if (scope !== undefined) await writePending(scope.root);
  }

  /**
   * Runs a compiled statement on the open transaction's connection directly (no Kysely executor
   * in between: for statements compiled once on hot paths), or outside one on a free connection at once
   * (`runIfIdle`), else through the pool.
   */
  execute<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const refused = this.refusal();
    if (refused !== undefined) return Promise.reject(refused);
    const scope = this.#current();
    if (scope !== undefined) return scope.connection.executeQuery<R>(query);
    return this.#runIfIdle?.<R>(query) ?? this.#root.executeQuery<R>(query);
  }

  /** True inside an open transaction; throws inside an abandoned one (see `timeoutMs`). */
  inTransaction(): boolean {
    return this.#current() !== undefined;
  }

  /** Transactions started and not yet finished. */
  get openCount(): number {
    return this.#open;
  }

  /** Resolves once no transaction is open. */
  whenIdle(): Promise<void> {
    if (this.#open === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.#idle;
      this.#idle = () => {
        previous?.();
        resolve();
      };
    });
  }

  /** Outermost transactions not running yet (see PoolStats.transactionsWaiting). */
  get waiting(): number {
    return this.#waiting;
  }

  run<T>(work: TransactionWork<DB, T>, options: TransactionOptions = {}): Promise<T> {
    const abandoned = this.refusal();
    if (abandoned !== undefined) return Promise.reject(abandoned);
    const parent = this.#current();
    if (parent !== undefined) return this.#nested(parent, work, options.readOnly === true);
    const refused = refusedOptions(options);
    if (refused !== undefined) return Promise.reject(refused);
    if (this.#waiting >= this.#maxWaiting) {
      // Refused before anything is built for it: a burst of callers that do not wait costs a bounded amount of memory.
      return Promise.reject(overloaded(this.#waiting, this.#maxWaiting));
    }
    return this.#outermost(work, options);
  }

  afterCommit(callback: () => unknown): void {
    const scope = this.#current();
    if (scope !== undefined) {
      // The same callback registered again right after itself (many writes, one wake-up) runs once.
      if (scope.afterCommit.at(-1) !== callback) scope.afterCommit.push(callback);
      return;
    }
    // Nothing is pending outside a transaction: what is written is committed already.
    void this.#runCallbacks([callback]);
  }

  async #outermost<T>(work: TransactionWork<DB, T>, options: TransactionOptions): Promise<T> {
    const policy = options.retry === false ? { ...this.#retry, maxAttempts: 1 } : { ...this.#retry, ...options.retry };
    this.#open++;
    this.#waiting++;
    const waited = { done: false };
    const stopWaiting = (): void => {
      if (waited.done) return;
      waited.done = true;
      this.#waiting--;
    };
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.#attempt(work, options, stopWaiting);
        } catch (error) {
          if (!isRetryable(error)) throw error;
          if (attempt >= policy.maxAttempts) throw gaveUp(error, attempt);
          // Full jitter: spreads the retries of transactions that collided so they do not collide again.
          await sleep(backoffDelay(policy, attempt));
        }
      }
    } finally {
      stopWaiting();
      this.#open--;
      if (this.#open === 0 && this.#idle !== undefined) {
        const idle = this.#idle;
        this.#idle = undefined;
        idle();
      }
    }
  }

  /**
   * One try. A write transaction joins the commit group queue where there is one; otherwise it holds a connection
   * alone. The afterCommit work runs once the connection is back in the pool, so it may use the database.
   */
  async #attempt<T>(work: TransactionWork<DB, T>, options: TransactionOptions, connected: () => void): Promise<T> {
    const begin = this.#begin(
      options.isolation === undefined
        ? { readOnly: options.readOnly === true }
        : { isolation: options.isolation, readOnly: options.readOnly === true },
    );
    const groups = this.#groups;
    // Only a transaction that would send the group's very BEGIN may share it (not read-only ones, which take no lock).
    const { result, scope } =
      groups !== undefined && begin === groups.begin
        ? await groups.run<Outcome<DB, T>>({
            durability: options.durability ?? 'full',
            work: (connection, exit) => this.#work(connection, work, leaving(options, exit), exit),
            alone: (connection) => this.#alone(connection, begin, work, options),
            taken: connected,
          })
        : await this.#root.getExecutor().provideConnection((connection) => {
            connected();
            return this.#alone(connection, begin, work, options);
          });
    await this.#runCallbacks(scope.afterCommit);
    return result;
  }

  /**
   * A whole transaction on `connection`: sends the precompiled BEGIN and COMMIT itself rather than through Kysely's
   * controlled transaction, which costs more than the statement it wraps.
   */
  async #alone<T>(
    connection: DatabaseConnection,
    begin: CompiledQuery,
    work: TransactionWork<DB, T>,
    options: TransactionOptions,
  ): Promise<Outcome<DB, T>> {
    const guard = options.readOnly === true ? this.#readOnlyGuard : undefined;
    const deferred = options.durability === 'deferred' ? this.#deferredFlush : undefined;
    if (deferred?.beforeBegin !== undefined) await connection.executeQuery(deferred.beforeBegin);
    try {
      await connection.executeQuery(begin);
    } catch (error) {
      if (deferred?.afterEnd !== undefined) await connection.executeQuery(deferred.afterEnd);
      throw error;
    }
    try {
      if (deferred?.afterBegin !== undefined) await connection.executeQuery(deferred.afterBegin);
      if (guard !== undefined) await connection.executeQuery(guard.afterBegin);
      const outcome = await this.#work(connection, work, options);
      const committed = await connection.executeQuery<{ command?: string }>(COMMIT);
      if (committed.rows[0]?.command === 'ROLLBACK') {
        throw new WeftError(
          'WEFT_INTERNAL',
          'The database rolled the transaction back at commit: a statement inside it failed and the failure was caught.',
        );
      }
      return outcome;
    } catch (error) {
      await this.#rollback(connection, error);
      throw error;
    } finally {
      // The connection goes back to the pool with its usual durability, and writable.
      if (deferred?.afterEnd !== undefined) await connection.executeQuery(deferred.afterEnd);
      if (guard !== undefined) await connection.executeQuery(guard.afterEnd);
    }
  }

  /**
   * The caller's work in a scope of its own on `connection`, inside a transaction (or a group's savepoint) opened
   * around it, within its time limit; what it held back is written out before it returns.
   */
  async #work<T>(
    connection: DatabaseConnection,
    work: TransactionWork<DB, T>,
    options: TransactionOptions,
    exit?: GroupExit,
  ): Promise<Outcome<DB, T>> {
    const { handle, slot } = this.#handles.for(connection, this.#root.getExecutor());
    const scope = openScope(handle, connection, newRoot());
    slot.scope = scope;
    const deadline = new Deadline(scope, options);
    let running: T | Promise<T> | undefined;
    try {
      // A signal that aborted before this try began abandons it before its work starts: the work never runs.
      if (scope.root.abandoned !== undefined) throw scope.root.abandoned;
      running = this.#storage.run(scope, () => work(handle));
      const result = await deadline.race(running);
      if (scope.root.pending !== undefined)
        await deadline.race(this.#storage.run(scope, () => writePending(scope.root)));
      return { result, scope };
    } catch (error) {
      // Its group made it leave: its next try waits for this one's code to end.
      if (exit?.isReason(scope.root.abandoned) === true) exit.abandoned(running);
      // Whatever the work threw after being abandoned (often the refusal itself), the abandonment is the cause.
      throw scope.root.abandoned ?? error;
    } finally {
      deadline.end();
      // Ended before its COMMIT or savepoint release: the handle refuses code of this work that goes on.
      scope.done = true;
      slot.scope = undefined;
    }
  }

  async #nested<T>(parent: Scope<DB>, work: TransactionWork<DB, T>, readOnly: boolean): Promise<T> {
    if (parent.childOpen) {
      throw new UsageError(
        'Nested transactions inside one transaction must run one at a time; await each before starting the next.',
      );
    }
    // Taken before the first await, so a second call started in the same tick is refused too.
    parent.childOpen = true;
    try {
      // A read-only one has nothing to undo: it joins its parent without a savepoint, two statements fewer (a craft
      // reads through three read-only commands: npm run bench -- http, craft).
      return readOnly ? await this.#joined(parent, work) : await this.#savepoint(parent, work);
    } finally {
      parent.childOpen = false;
    }
  }

  /** Read-only work in a scope of its own (it may nest in turn) on its parent's transaction and callbacks. */
  async #joined<T>(parent: Scope<DB>, work: TransactionWork<DB, T>): Promise<T> {
    const scope: Scope<DB> = {
      ...openScope(parent.trx, parent.connection, parent.root),
      afterCommit: parent.afterCommit,
    };
    try {
      return await this.#storage.run(scope, () => work(parent.trx));
    } finally {
      scope.done = true;
    }
  }

  async #savepoint<T>(parent: Scope<DB>, work: TransactionWork<DB, T>): Promise<T> {
    const name = `weft_sp_${++parent.root.savepoints}`;
    const { trx } = parent;
    // Held writes stay held across the savepoint (one insert for a command's events and those of the commands it
    // calls: npm run bench -- http, craft); its rollback puts them back as they were.
    const mark = savepointMark(parent.root);
    await sql.raw(`savepoint ${name}`).execute(trx);
    const scope = openScope(trx, parent.connection, parent.root);
    try {
      const result = await this.#storage.run(scope, () => work(trx));
      await sql.raw(`release savepoint ${name}`).execute(trx);
      parent.afterCommit.push(...scope.afterCommit);
      return result;
    } catch (error) {
      // An abandoned transaction is rolled back whole by its outermost call; its handle refuses statements now.
      if (parent.root.abandoned !== undefined) throw error;
      rollBackTo(parent.root, mark);
      try {
        await sql.raw(`rollback to savepoint ${name}`).execute(trx);
        await sql.raw(`release savepoint ${name}`).execute(trx);
      } catch (rollbackError) {
        // The outer transaction cannot commit now anyway; the caller must see the first failure.
        this.#logger.error({ err: rollbackError, reason: error }, 'rollback to savepoint failed');
      }
      throw error;
    } finally {
      scope.done = true;
    }
  }

  async #rollback(connection: DatabaseConnection, reason: unknown): Promise<void> {
    try {
      await connection.executeQuery(ROLLBACK);
    } catch (rollbackError) {
      // The original failure is what the caller must see; the failed rollback is logged.
      this.#logger.error({ err: rollbackError, reason }, 'rollback failed');
    }
  }

  async #runCallbacks(callbacks: ReadonlyArray<() => unknown>): Promise<void> {
    for (const callback of callbacks) {
      try {
        await callback();
      } catch (error) {
        // The transaction is committed; a failing callback must not turn that into a failure for the caller.
        this.#logger.error({ err: error }, 'afterCommit callback failed');
      }
    }
  }
}

/** `options` with the group's exit joined to its signal: the group abandons a member's try through it. */
function leaving(options: TransactionOptions, exit: GroupExit | undefined): TransactionOptions {
  if (exit === undefined) return options;
  const { signal } = exit;
  return { ...options, signal: options.signal === undefined ? signal : AbortSignal.any([options.signal, signal]) };
}

/** What a transaction's work returned, with its scope (its afterCommit callbacks). */
interface Outcome<DB, T> {
  readonly result: T;
  readonly scope: Scope<DB>;
}

/** What the unit of work is built from; `createDatabase` assembles it from the backend and the options. */
export interface UnitOfWorkSettings {
  readonly dialect: Dialect;
  readonly begin: BeginStatement;
  readonly deferredFlush: DeferredFlush;
  readonly retry: RetryPolicy;
  readonly logger: DatabaseLogger;
  /** Outermost transactions that may wait at once (`maxWaitingTransactions`). */
  readonly maxWaiting: number;
  /** Group commit's largest group; undefined turns it off (PostgreSQL, or `sqlite.groupCommit: false`). */
  readonly groupCommit: { readonly maxSize: number } | undefined;
  /** The backend's way to run a statement outside a transaction without waiting for a connection (see backend.ts). */
  readonly runIfIdle?: DatabaseBackend['runIfIdle'];
  /** What makes a read-only transaction refuse writes, where its BEGIN does not (see backend.ts). */
  readonly readOnlyGuard?: DatabaseBackend['readOnlyGuard'];
}

const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');
