import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type ControlledTransaction, type Kysely } from 'kysely';
import { ConflictError, UnavailableError, WeftError } from '../errors/index.js';
import { isRetryable } from './driver-errors.js';
import type { DatabaseLogger, RetryPolicy } from './options.js';

/** Isolation levels a caller may ask for; backends without them (SQLite) are always serializable. */
export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

/** Options of one `transaction` call. Only the outermost call's options count. */
export interface TransactionOptions {
  readonly isolation?: IsolationLevel;
  /** A read-only transaction; on SQLite it takes no write lock. */
  readonly readOnly?: boolean;
  /** Override the database's retry policy for this call; `false` runs it once. */
  readonly retry?: Partial<RetryPolicy> | false;
}

/** The work of a transaction; it receives the transaction, which `executor()` also returns inside it. */
export type TransactionWork<DB, T> = (tx: Kysely<DB>) => Promise<T> | T;

/** One open transaction or savepoint, as carried by AsyncLocalStorage. */
interface Scope<DB> {
  readonly trx: ControlledTransaction<DB>;
  /** Work to run after the outermost commit; dropped with this scope when it rolls back. */
  readonly afterCommit: Array<() => unknown>;
  readonly root: { savepoints: number };
  done: boolean;
  childOpen: boolean;
}

/**
 * Runs units of work: the outermost `run` is a database transaction retried on lost races,
 * nested ones are savepoints, and the open one travels with AsyncLocalStorage.
 */
export class UnitOfWork<DB> {
  readonly #storage = new AsyncLocalStorage<Scope<DB>>();
  readonly #root: Kysely<DB>;
  readonly #retry: RetryPolicy;
  readonly #logger: DatabaseLogger;
  #open = 0;
  #idle: (() => void) | undefined;

  constructor(root: Kysely<DB>, retry: RetryPolicy, logger: DatabaseLogger) {
    this.#root = root;
    this.#retry = retry;
    this.#logger = logger;
  }

  /** The open transaction of the calling async context, or the root (pool) when there is none. */
  executor(): Kysely<DB> {
    const scope = this.#storage.getStore();
    return scope !== undefined && !scope.done ? scope.trx : this.#root;
  }

  inTransaction(): boolean {
    const scope = this.#storage.getStore();
    return scope !== undefined && !scope.done;
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

  run<T>(work: TransactionWork<DB, T>, options: TransactionOptions = {}): Promise<T> {
    const parent = this.#storage.getStore();
    if (parent !== undefined && !parent.done) return this.#nested(parent, work);
    return this.#outermost(work, options);
  }

  afterCommit(callback: () => unknown): void {
    const scope = this.#storage.getStore();
    if (scope !== undefined && !scope.done) {
      scope.afterCommit.push(callback);
      return;
    }
    // Nothing is pending outside a transaction: what is written is committed already.
    void this.#runCallbacks([callback]);
  }

  async #outermost<T>(work: TransactionWork<DB, T>, options: TransactionOptions): Promise<T> {
    const policy = options.retry === false ? { ...this.#retry, maxAttempts: 1 } : { ...this.#retry, ...options.retry };
    this.#open++;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.#attempt(work, options);
        } catch (error) {
          if (!isRetryable(error)) throw error;
          if (attempt >= policy.maxAttempts) throw gaveUp(error, attempt);
          // Full jitter: spreads the retries of transactions that collided so they do not collide again.
          await sleep(Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)));
        }
      }
    } finally {
      this.#open--;
      if (this.#open === 0 && this.#idle !== undefined) {
        const idle = this.#idle;
        this.#idle = undefined;
        idle();
      }
    }
  }

  async #attempt<T>(work: TransactionWork<DB, T>, options: TransactionOptions): Promise<T> {
    let builder = this.#root.startTransaction();
    if (options.isolation !== undefined) builder = builder.setIsolationLevel(options.isolation);
    if (options.readOnly === true) builder = builder.setAccessMode('read only');
    const trx = await builder.execute();
    const scope: Scope<DB> = { trx, afterCommit: [], root: { savepoints: 0 }, done: false, childOpen: false };
    let result: T;
    try {
      result = await this.#storage.run(scope, () => work(trx));
      await trx.commit().execute();
    } catch (error) {
      scope.done = true;
      await this.#rollback(trx, error);
      throw error;
    }
    scope.done = true;
    await this.#runCallbacks(scope.afterCommit);
    return result;
  }

  async #nested<T>(parent: Scope<DB>, work: TransactionWork<DB, T>): Promise<T> {
    if (parent.childOpen) {
      throw new WeftError('WEFT_INTERNAL', 'Nested transactions inside one transaction must run one at a time; await each before starting the next.');
    }
    const name = `weft_sp_${++parent.root.savepoints}`;
    const { trx } = parent;
    await sql.raw(`savepoint ${name}`).execute(trx);
    const scope: Scope<DB> = { trx, afterCommit: [], root: parent.root, done: false, childOpen: false };
    parent.childOpen = true;
    try {
      const result = await this.#storage.run(scope, () => work(trx));
      await sql.raw(`release savepoint ${name}`).execute(trx);
      parent.afterCommit.push(...scope.afterCommit);
      return result;
    } catch (error) {
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
      parent.childOpen = false;
    }
  }

  async #rollback(trx: ControlledTransaction<DB>, reason: unknown): Promise<void> {
    if (trx.isCommitted || trx.isRolledBack) return;
    try {
      await trx.rollback().execute();
    } catch (rollbackError) {
      // The original failure is what the caller must see; the failed rollback is logged, the connection discarded.
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

function gaveUp(error: unknown, attempts: number): WeftError {
  const message = `Transaction gave up after ${attempts} attempts: ${error instanceof Error ? error.message : String(error)}`;
  const details = { attempts };
  return error instanceof UnavailableError
    ? new UnavailableError(message, { code: 'WEFT_DATABASE_BUSY', cause: error, details })
    : new ConflictError(message, { code: 'WEFT_TRANSACTION_CONFLICT', cause: error, details });
}
