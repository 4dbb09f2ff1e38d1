import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';
import { UsageError, WeftError } from '../errors/internal.js';
import type { ConnectionStats, DatabaseBackend } from './backend.js';
import { classifySqliteError, mapDriverError, type DriverErrorKind } from './driver-errors.js';
import { describeTarget, type DatabaseLogger, type ResolvedSqlite } from './options.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import { SqliteFileGuard } from './sqlite-file-guard.js';
import { observedStream, type StatementObserver } from './statement-observer.js';
import { prepareSqliteFile } from './sqlite-path.js';
import { KyselyTransactionsRefused } from './transaction-handle.js';

type Statement = BetterSqlite3.Statement<unknown[]>;

/**
 * The embedded backend: one better-sqlite3 connection, WAL, foreign keys on, prepared statements reused; `observe`
 * hears of every statement.
 */
export function sqliteBackend(
  config: ResolvedSqlite,
  logger: DatabaseLogger,
  observe?: StatementObserver,
): DatabaseBackend {
  const target = describeTarget(config);
  const driver = new SqliteDriver(config, target, logger, observe);
  return {
    capabilities: {
      concurrentWriters: false,
      writableCte: false,
      identityColumns: 'autoincrement',
    },
    target,
    dialect: {
      createDriver: () => driver,
      createQueryCompiler: () => new SqliteQueryCompiler(),
      createAdapter: () => new SqliteAdapter(),
      createIntrospector: (db) => new SqliteIntrospector(db),
    },
    // BEGIN IMMEDIATE already holds the database's only write lock.
    lockInTransaction: (_executor: Kysely<unknown>, _name: string, _shared: boolean) => Promise.resolve(),
    // SQLite is always serializable; a write transaction takes the write lock up front so it
    // waits (busy timeout) instead of failing on its first write.
    begin: ({ readOnly }) => (readOnly ? BEGIN_DEFERRED : BEGIN_IMMEDIATE),
    // In WAL mode NORMAL commits without fsync: a process crash keeps the transaction (it is in the
    // WAL), a machine crash may drop the latest ones whole. Only worth switching from FULL or EXTRA.
    deferredFlush:
      config.synchronous === 'FULL' || config.synchronous === 'EXTRA'
        ? {
            beforeBegin: CompiledQuery.raw('pragma synchronous = NORMAL'),
            afterEnd: CompiledQuery.raw(`pragma synchronous = ${config.synchronous}`),
          }
        : {},
    groupCommit: config.groupCommit === false ? undefined : config.groupCommit,
    // `BEGIN DEFERRED` alone lets a read-only transaction write, which PostgreSQL refuses: both refuse it alike.
    readOnlyGuard: { afterBegin: QUERY_ONLY, afterEnd: QUERY_ANY },
    runIfIdle: (query) => driver.runIfIdle(query),
    poolStats: () => driver.stats(),
  };
}

const BEGIN_IMMEDIATE = CompiledQuery.raw('begin immediate');
const BEGIN_DEFERRED = CompiledQuery.raw('begin deferred');
const QUERY_ONLY = CompiledQuery.raw('pragma query_only = 1');
const QUERY_ANY = CompiledQuery.raw('pragma query_only = 0');
/** SQLite's own `wal_autocheckpoint` default, in pages: where the WAL is copied back (by the worker, or inline). */
const WAL_LIMIT_FRAMES = 1000;
/**
 * How long the checkpoint worker lets writes gather. A checkpoint after each write slowed one transaction at a time
 * (`npm run bench -- database`: 1.76x a bare Kysely insert); every 20 ms slowed `weft-minimal`, whose worker shares the
 * two cores with the load (`npm run bench -- transfer`, docs/benchmarks.md).
 */
const CHECKPOINT_INTERVAL_MS = 100;

/**
 * Weft's own Kysely driver over better-sqlite3, in place of Kysely's stock SqliteDialect driver.
 * It reuses prepared statements (preparing dominates the cost of a small statement): the
 * `npm run bench -- database` targets (a Weft transaction within 1.2x of a bare Kysely insert and
 * of a bare Kysely transaction) need it. It maps driver errors to Weft errors where they are
 * raised. It implements Kysely's public `Driver` interface only; the contract suite
 * (test/database/sqlite.int.spec.ts) runs through it.
 */
class SqliteDriver extends KyselyTransactionsRefused implements Driver {
  readonly #config: ResolvedSqlite;
  readonly #target: string;
  readonly #logger: DatabaseLogger;
  readonly #observe: StatementObserver | undefined;
  readonly #mutex = new ConnectionMutex();
  #connection: SqliteConnection | undefined;
  #checkpointer: SqliteCheckpointer | undefined;

  constructor(config: ResolvedSqlite, target: string, logger: DatabaseLogger, observe: StatementObserver | undefined) {
    super();
    this.#config = config;
    this.#target = target;
    this.#logger = logger;
    this.#observe = observe;
  }

  init(): Promise<void> {
    const { filename } = this.#config;
    try {
      const path = filename === ':memory:' ? undefined : prepareSqliteFile(filename, this.#target);
      const db = new BetterSqlite3(filename, { timeout: this.#config.busyTimeoutMs });
      // WAL lets readers in other processes run during a write; memory databases ignore it.
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${this.#config.synchronous}`);
      db.pragma('foreign_keys = ON');
      db.pragma(`busy_timeout = ${this.#config.busyTimeoutMs}`);
      // The journal a savepoint keeps of the pages it changes (each group commit member has one) stays in memory.
      // By default SQLite moves it to a temporary file past 64 KiB, which a transfer of the game's economy passes,
      // and from then on writes each page changed in the transaction to that file: two system calls a page
      // (`npm run bench -- transfer`, weft-full, docs/database.md). Temporary tables and sorts stay in memory too.
      db.pragma('temp_store = MEMORY');
      if (path !== undefined && this.#config.checkpoint === 'background') this.#checkpointInBackground(db, path);
      this.#connection = new SqliteConnection(db, {
        cacheSize: this.#config.statementCacheSize,
        target: this.#target,
        path,
        observe: this.#observe,
        stopCheckpoints: () => this.#checkpointer?.stopNow(),
      });
    } catch (error) {
      return Promise.reject(mapDriverError(asConnectionError(error), classifySqliteError, this.#target));
    }
    return Promise.resolve();
  }

  /** The WAL is checkpointed by a worker thread from now on; should that stop, by the connection again. */
  #checkpointInBackground(db: BetterSqlite3.Database, path: string): void {
    db.pragma('wal_autocheckpoint = 0');
    this.#checkpointer = new SqliteCheckpointer({
      path,
      synchronous: this.#config.synchronous,
      busyTimeoutMs: this.#config.busyTimeoutMs,
      walLimitFrames: WAL_LIMIT_FRAMES,
      intervalMs: CHECKPOINT_INTERVAL_MS,
      onStopped: (error) => {
        this.#checkpointer = undefined;
        if (error !== undefined) {
          this.#logger.error({ err: error, database: this.#target }, 'WAL checkpoints in the background stopped');
        }
        if (db.open) db.pragma(`wal_autocheckpoint = ${WAL_LIMIT_FRAMES}`);
      },
    });
  }

  /**
   * Runs `query` now when no transaction holds the connection, else undefined. Kysely's executor (the lock, the
   * connection, its release: a chain of promises) took half the time of a compiled statement outside a transaction
   * (10.4 against 5.5 µs) and a third of the session check every authenticated request runs (`auth_user.authenticate`,
   * 21 against 14 µs; `npm run bench -- http`, GET /me). The statement runs synchronously: holding the lock around it
   * would change nothing.
   */
  runIfIdle<R>(query: CompiledQuery): Promise<QueryResult<R>> | undefined {
    if (this.#mutex.locked || this.#connection === undefined) return undefined;
    return this.#connection.executeQuery<R>(query);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#mutex.lock();
    const walFull = this.#checkpointer?.beforeWrite();
    if (walFull !== undefined) await walFull;
    if (this.#connection === undefined) {
      this.#mutex.unlock();
      throw new Error('SQLite driver is not initialised or already destroyed');
    }
    return this.#connection;
  }

  releaseConnection(): Promise<void> {
    this.#mutex.unlock();
    this.#checkpointer?.afterWrite();
    return Promise.resolve();
  }

  async destroy(): Promise<void> {
    // The worker's connection first: the last one to close copies the WAL back and removes it.
    await this.#checkpointer?.close();
    this.#connection?.close();
    this.#connection = undefined;
  }

  stats(): ConnectionStats {
    return {
      size: this.#connection === undefined ? 0 : 1,
      inUse: this.#mutex.locked ? 1 : 0,
      waiting: this.#mutex.waiting,
    };
  }
}

/** How a connection is set up: `path` is the database file's absolute path, undefined in memory (no file to lose). */
interface ConnectionSettings {
  readonly cacheSize: number;
  readonly target: string;
  readonly path: string | undefined;
  readonly observe: StatementObserver | undefined;
  /** Stops the background checkpoints for good, once none runs: the WAL is about to be emptied from here. */
  readonly stopCheckpoints: () => void;
}

class SqliteConnection implements DatabaseConnection {
  readonly #db: BetterSqlite3.Database;
  readonly #cache = new Map<string, Statement>();
  readonly #cacheSize: number;
  readonly #target: string;
  readonly #guard: SqliteFileGuard | undefined;
  readonly #observe: StatementObserver | undefined;

  constructor(db: BetterSqlite3.Database, settings: ConnectionSettings) {
    const { cacheSize, target, path, observe, stopCheckpoints } = settings;
    this.#db = db;
    this.#cacheSize = cacheSize;
    this.#target = target;
    this.#observe = observe;
    this.#guard =
      path === undefined
        ? undefined
        : new SqliteFileGuard(path, target, {
            onLost: () => {
              stopCheckpoints();
              this.#emptyWal();
            },
          });
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const startedAt = this.#observe === undefined ? 0 : performance.now();
    let result: QueryResult<R>;
    try {
      result = this.#run(query);
    } catch (error) {
      const mapped = mapDriverError(error, this.#classify, this.#target);
      this.#observe?.(query.sql, startedAt, mapped);
      return Promise.reject(mapped);
    }
    this.#observe?.(query.sql, startedAt);
    return Promise.resolve(result);
  }

  /**
   * SQLite's errors, with one told apart by the connection's state: SQLITE_READONLY while `query_only` is on is a
   * write in a read-only transaction (the caller's mistake), not a database file that cannot be written.
   */
  readonly #classify = (error: unknown): DriverErrorKind | undefined => {
    const kind = classifySqliteError(error);
    if (kind === 'connection' && (error as { code?: unknown }).code === 'SQLITE_READONLY' && this.#queryOnly()) {
      return 'read-only';
    }
    return kind;
  };

  #queryOnly(): boolean {
    try {
      return this.#db.pragma('query_only', { simple: true }) === 1;
    } catch {
      // Unreadable: the error is classified as it was raised.
      return false;
    }
  }

  #run<R>(query: CompiledQuery): QueryResult<R> {
    this.#assertFileInPlace();
    const statement = this.#statement(query.sql);
    const parameters = bindable(query.parameters);
    if (statement.reader) return { rows: statement.all(parameters) as R[] };
    const { changes, lastInsertRowid } = statement.run(parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  /** Reported to the observer once the stream ends: read to the end, stopped early, or failed. */
  streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    return observedStream(this.#stream<R>(query), query.sql, this.#observe);
  }

  // better-sqlite3 iterates synchronously; Kysely's interface is an async iterator.
  // eslint-disable-next-line @typescript-eslint/require-await
  async *#stream<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    let rows: IterableIterator<unknown>;
    try {
      this.#assertFileInPlace();
      // A statement being iterated cannot run again until done, so streams never share the cache.
      const statement = this.#db.prepare<unknown[]>(query.sql);
      if (!statement.reader) throw new UsageError('SQLite can only stream queries that return rows');
      rows = statement.iterate(bindable(query.parameters));
    } catch (error) {
      throw mapDriverError(error, classifySqliteError, this.#target);
    }
    for (;;) {
      let next: IteratorResult<unknown>;
      try {
        next = rows.next();
      } catch (error) {
        throw mapDriverError(error, classifySqliteError, this.#target);
      }
      if (next.done === true) return;
      yield { rows: [next.value as R] };
    }
  }

  /**
   * Before a statement that starts work of its own (a BEGIN, or a statement outside a transaction:
   * either is acknowledged on its own), refuses when the file at the path is no longer the one open.
   * Statements inside a transaction skip it: their BEGIN was checked.
   */
  #assertFileInPlace(): void {
    if (this.#guard !== undefined && !this.#db.inTransaction) this.#guard.assertSame();
  }

  /**
   * Once the file at the path is another one (or none), copies the WAL into the file this
   * connection has open and empties it. SQLite leaves the -wal file behind on close when its
   * database has moved, and the next open of the path would apply those pages to whatever file is
   * there then: a restored backup would be overwritten. The whole database stays in the unlinked
   * file, readable at /proc/<pid>/fd while the process runs.
   */
  #emptyWal(): void {
    const [result] = this.#db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
    if (result !== undefined && result.busy !== 0) {
      throw new Error('the -wal file could not be emptied: another connection is using it');
    }
  }

  close(): void {
    this.#cache.clear();
    this.#db.close();
  }

  #statement(sql: string): Statement {
    const cached = this.#cache.get(sql);
    if (cached !== undefined) {
      // Re-insert to keep the Map in least-recently-used order.
      this.#cache.delete(sql);
      this.#cache.set(sql, cached);
      return cached;
    }
    const statement = this.#db.prepare<unknown[]>(sql);
    if (this.#cacheSize > 0) {
      if (this.#cache.size >= this.#cacheSize) {
        const oldest = this.#cache.keys().next();
        if (oldest.done !== true) this.#cache.delete(oldest.value);
      }
      this.#cache.set(sql, statement);
    }
    return statement;
  }
}

/** better-sqlite3 refuses booleans; SQLite stores them as 0 and 1 anyway. */
function bindable(parameters: readonly unknown[]): unknown[] {
  let copy: unknown[] | undefined;
  for (let i = 0; i < parameters.length; i++) {
    if (typeof parameters[i] === 'boolean') {
      copy ??= [...parameters];
      copy[i] = parameters[i] === true ? 1 : 0;
    }
  }
  return copy ?? (parameters as unknown[]);
}

/**
 * Opening can fail outside SQLite (a native module that cannot load); treat every such failure as
 * "cannot open". Weft's own errors (the path checks) pass as they are.
 */
function asConnectionError(error: unknown): unknown {
  if (error instanceof WeftError) return error;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && code.startsWith('SQLITE_')) return error;
  return Object.assign(new Error(error instanceof Error ? error.message : String(error), { cause: error }), {
    code: 'SQLITE_CANTOPEN',
  });
}

/** First come, first served lock on the single connection. */
class ConnectionMutex {
  #locked = false;
  readonly #queue: Array<() => void> = [];

  get locked(): boolean {
    return this.#locked;
  }

  get waiting(): number {
    return this.#queue.length;
  }

  lock(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#queue.push(resolve));
  }

  unlock(): void {
    const next = this.#queue.shift();
    if (next === undefined) this.#locked = false;
    else next();
  }
}
