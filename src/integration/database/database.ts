import { Kysely, sql, type CompiledQuery, type QueryResult } from 'kysely';
import { pino } from 'pino';
import { TimeoutError, UnavailableError, UsageError } from '../errors/internal.js';
import type { DatabaseBackend, DatabaseCapabilities, PoolStats } from './backend.js';
import { resolveOptions, type DatabaseOptions } from './options.js';
import { ensurePostgresSchema, postgresBackend } from './postgres-backend.js';
import { sqliteBackend } from './sqlite-backend.js';
import { statementObserver } from './statement-observer.js';
import type { TransactionOptions, TransactionWork } from './transaction-options.js';
import { UnitOfWork } from './unit-of-work.js';

/** How `lockInTransaction` holds its lock. */
export interface LockOptions {
  /** Held alongside other shared holders of the name; an exclusive holder excludes them. Default false. */
  readonly shared?: boolean;
}

/** The table types of a database nobody described: any table, any column, values unknown. */
export type UntypedTables = Record<string, Record<string, unknown>>;

/**
 * One database, whatever the backend: Kysely for queries, a unit of work that travels with
 * the async context, health and pool figures, and an orderly close.
 */
export interface Database<DB = UntypedTables> extends AsyncDisposable {
  /** What this backend can do; branch on these flags, never on its name. */
  readonly capabilities: DatabaseCapabilities;
  /** Where it points, for messages: never includes a password. */
  readonly target: string;
  /** The transaction open in the calling async context, or the pool when there is none. */
  executor(): Kysely<DB>;
  /**
   * A buffer of writes held in memory for the open transaction, written out by `flush` before it
   * commits; a savepoint's rollback puts it back as it was when the savepoint opened. Undefined
   * outside a transaction. For many small writes that one multi-row statement at commit does
   * faster (the event log's appends).
   */
  pending<T>(owner: object, flush: (items: T[]) => Promise<void>): T[] | undefined;
  /** Writes out what `pending` holds back in the open transaction, so a read sees it. */
  flushPending(): Promise<void>;
  /**
   * A map kept for the open transaction, one per `owner`, emptied when a savepoint inside it rolls
   * back; undefined outside a transaction. For rows a transaction reads again (the state part's
   * entries, on SQLite, where nothing else writes while a transaction is open).
   */
  transactionCache<K, V>(owner: object): Map<K, V> | undefined;
  /**
   * Runs a compiled statement (see StatementCache) in the open transaction, or on the pool outside one; the fast path
   * for hot statements.
   */
  execute<R = unknown>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
  /**
   * Runs `work` in a transaction: the outermost call opens one (retried on serialization
   * failures, deadlocks and busy locks), a nested call is a savepoint that rolls back alone.
   * @example await db.transaction(async (tx) => tx.insertInto('player').values(row).execute())
   */
  transaction<T>(work: TransactionWork<DB, T>, options?: TransactionOptions): Promise<T>;
  /**
   * Runs `callback` once the outermost transaction commits; never after a rollback. Outside a transaction it runs at
   * once. The same function registered again right after itself runs once.
   */
  afterCommit(callback: () => unknown): void;
  /** True inside `transaction`; throws the TimeoutError in the context of a transaction abandoned (see `timeoutMs`). */
  inTransaction(): boolean;
  /** The same database, typed with the tables `T`: each part declares the tables it owns. */
  withTables<T>(): Database<T>;
  /**
   * Inside a transaction: waits for and holds a lock named `name` until the transaction ends; exclusive, or `shared`
   * with other shared holders (an exclusive holder waits for them all, and holds new ones off).
   */
  lockInTransaction(name: string, options?: LockOptions): Promise<void>;
  /** Throws UnavailableError or TimeoutError when the database does not answer `select 1` in time. */
  ping(options?: { timeoutMs?: number }): Promise<void>;
  poolStats(): PoolStats;
  /** Refuses new transactions, waits for open ones (up to `timeoutMs`), then closes the connections. */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

/**
 * Opens a database from a URL (`sqlite:./data/weft.db`, `sqlite::memory:`, `postgres://…`)
 * or from options, and checks that it answers.
 * @example const db = await createDatabase('sqlite::memory:')
 */
export async function createDatabase<DB = UntypedTables>(input: string | DatabaseOptions): Promise<Database<DB>> {
  const { target, retry, maxWaitingTransactions } = resolveOptions(input);
  const options = typeof input === 'string' ? undefined : input;
  const logger = options?.logger ?? pino({ name: 'weft.database' });
  const observe = statementObserver(options?.onQuery, logger);
  const backend =
    target.kind === 'sqlite' ? sqliteBackend(target, logger, observe) : postgresBackend(target, logger, observe);
  const kysely = new Kysely<DB>({ dialect: backend.dialect });
  const db = new WeftDatabase<DB>(
    kysely,
    backend,
    new UnitOfWork(kysely, {
      dialect: backend.dialect,
      begin: (settings) => backend.begin(settings),
      deferredFlush: backend.deferredFlush,
      retry,
      logger,
      maxWaiting: maxWaitingTransactions,
      groupCommit: backend.groupCommit,
      runIfIdle: backend.runIfIdle,
      ...(backend.readOnlyGuard === undefined ? {} : { readOnlyGuard: backend.readOnlyGuard }),
    }),
  );
  try {
    if (target.kind === 'postgres') await ensurePostgresSchema(kysely as Kysely<unknown>, target.schema);
    await db.ping({ timeoutMs: target.kind === 'postgres' ? target.connectTimeoutMs + 1000 : 5000 });
  } catch (error) {
    await kysely.destroy().catch((destroyError: unknown) => {
      logger.warn({ err: destroyError }, 'closing the connections of a database that failed to start also failed');
    });
    throw error;
  }
  return db;
}

class WeftDatabase<DB> implements Database<DB> {
  readonly capabilities: DatabaseCapabilities;
  readonly target: string;
  readonly #kysely: Kysely<DB>;
  readonly #backend: DatabaseBackend;
  readonly #work: UnitOfWork<DB>;
  #closing: Promise<void> | undefined;
  /** Set once the connections are being closed: a statement outside a transaction is refused with WEFT_CLOSED. */
  #closed = false;

  constructor(kysely: Kysely<DB>, backend: DatabaseBackend, work: UnitOfWork<DB>) {
    this.#kysely = kysely;
    this.#backend = backend;
    this.#work = work;
    this.capabilities = backend.capabilities;
    this.target = backend.target;
  }

  executor(): Kysely<DB> {
    return this.#work.executor();
  }

  execute<R = unknown>(query: CompiledQuery<R>): Promise<QueryResult<R>> {
    // Kysely's own refusal once its driver is destroyed is a bare Error, named nowhere in Weft's codes.
    if (this.#closed && !this.#work.inTransaction()) return Promise.reject(this.#closedError());
    return this.#work.execute<R>(query);
  }

  pending<T>(owner: object, flush: (items: T[]) => Promise<void>): T[] | undefined {
    return this.#work.pending(owner, flush);
  }

  transactionCache<K, V>(owner: object): Map<K, V> | undefined {
    return this.#work.transactionCache<K, V>(owner);
  }

  flushPending(): Promise<void> {
    return this.#work.flushPending();
  }

  transaction<T>(work: TransactionWork<DB, T>, options?: TransactionOptions): Promise<T> {
    // What the types refuse, said in Weft's words to a caller without them (JavaScript, `as never`), not a TypeError.
    if (typeof work !== 'function') {
      return Promise.reject(
        new UsageError('transaction takes its work as a function: transaction(async (tx) => ...).'),
      );
    }
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      return Promise.reject(new UsageError('The options of a transaction are an object, such as { readOnly: true }.'));
    }
    const abandoned = this.#work.refusal();
    if (abandoned !== undefined) return Promise.reject(abandoned);
    if (this.#closing !== undefined && !this.#work.inTransaction()) return Promise.reject(this.#closedError());
    return this.#work.run(work, options);
  }

  afterCommit(callback: () => unknown): void {
    if (typeof callback !== 'function') {
      throw new UsageError('afterCommit takes a function, run once the transaction around the call commits.');
    }
    this.#work.afterCommit(callback);
  }

  inTransaction(): boolean {
    return this.#work.inTransaction();
  }

  lockInTransaction(name: string, options: LockOptions = {}): Promise<void> {
    const abandoned = this.#work.refusal();
    if (abandoned !== undefined) return Promise.reject(abandoned);
    if (!this.#work.inTransaction()) {
      return Promise.reject(new UsageError(`lockInTransaction("${name}") must be called inside db.transaction`));
    }
    return this.#backend.lockInTransaction(this.#work.executor() as Kysely<unknown>, name, options.shared === true);
  }

  withTables<T>(): Database<T> {
    return this as unknown as Database<T>;
  }

  async ping(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#closed) throw this.#closedError();
    const timeoutMs = options.timeoutMs ?? 2000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new TimeoutError(`${this.target} did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([sql`select 1`.execute(this.#kysely), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  poolStats(): PoolStats {
    return { ...this.#backend.poolStats(), transactionsWaiting: this.#work.waiting };
  }

  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#closing ??= this.#close(options.timeoutMs ?? 10_000);
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #closedError(): UnavailableError {
    return new UnavailableError(`${this.target} is closed`, { code: 'WEFT_CLOSED' });
  }

  async #close(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), timeoutMs);
    });
    const outcome = await Promise.race([this.#work.whenIdle().then(() => 'idle' as const), expired]);
    clearTimeout(timer);
    const stillOpen = this.#work.openCount;
    this.#closed = true;
    await this.#kysely.destroy();
    if (outcome === 'expired') {
      throw new TimeoutError(`Closed ${this.target} with ${stillOpen} transaction(s) still open after ${timeoutMs} ms`);
    }
  }
}
