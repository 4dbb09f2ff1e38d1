import pg from 'pg';
import {
  CompiledQuery,
  PostgresDialect,
  sql,
  type DatabaseConnection,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';
import type { DatabaseBackend } from './backend.js';
import {
  classifyPostgresError,
  mapDriverError,
  tooManyValuesError,
  type DriverErrorClassifier,
} from './driver-errors.js';
import { describeTarget, type DatabaseLogger, type ResolvedPostgres } from './options.js';
import { observedStream, type StatementObserver } from './statement-observer.js';
import { KyselyTransactionsRefused } from './transaction-handle.js';

/** PostgreSQL through a node-postgres pool; `observe` hears of every statement. */
export function postgresBackend(
  config: ResolvedPostgres,
  logger: DatabaseLogger,
  observe?: StatementObserver,
): DatabaseBackend {
  const target = describeTarget(config);
  const pool = new pg.Pool({
    connectionString: config.connectionString,
    max: config.poolMax,
    idleTimeoutMillis: config.idleTimeoutMs,
    connectionTimeoutMillis: config.connectTimeoutMs,
    ...(config.schema === undefined ? {} : { options: `-c search_path=${config.schema}` }),
  });
  // Without a listener, an idle connection dropped by the server would crash the process.
  pool.on('error', (error) => {
    logger.warn({ err: error, target }, 'idle PostgreSQL connection failed; the pool will open a new one');
  });
  // Nor may one lent out (a transaction between statements): the pool stops listening while it is out, and its loss
  // would be an unhandled 'error' event. Its next statement fails instead, and the pool drops it when it comes back.
  pool.on('connect', (client) => {
    client.on('error', (error) => {
      logger.warn({ err: error, target }, 'a PostgreSQL connection in use failed; its transaction fails');
    });
  });
  const stock = new PostgresDialect({ pool });
  const beginStatements = new Map<string, CompiledQuery>();
  return {
    capabilities: {
      concurrentWriters: true,
      writableCte: true,
      identityColumns: 'identity',
    },
    target,
    dialect: {
      createDriver: () =>
        new ErrorMappingDriver(stock.createDriver(), { classify: classifyPostgresError, target, observe }),
      createQueryCompiler: () => stock.createQueryCompiler(),
      createAdapter: () => stock.createAdapter(),
      createIntrospector: (db) => stock.createIntrospector(db),
    },
    lockInTransaction: async (executor: Kysely<unknown>, name: string, shared: boolean) => {
      // Keyed by schema too, so two schemas (parallel tests, tenants) never wait on each other.
      const key = sql`hashtext(current_schema() || '.' || ${name})`;
      if (shared) await sql`select pg_advisory_xact_lock_shared(${key})`.execute(executor);
      else await sql`select pg_advisory_xact_lock(${key})`.execute(executor);
    },
    begin: ({ isolation, readOnly }) => {
      const key = `${isolation ?? ''}|${readOnly}`;
      let query = beginStatements.get(key);
      if (query === undefined) {
        const mode = readOnly ? ' read only' : '';
        query = CompiledQuery.raw(
          isolation === undefined ? `begin${mode}` : `start transaction isolation level ${isolation}${mode}`,
        );
        beginStatements.set(key, query);
      }
      return query;
    },
    // The commit returns before the WAL flush; a server crash may lose the latest such commits, whole.
    deferredFlush: { afterBegin: CompiledQuery.raw('set local synchronous_commit = off') },
    // Writers run side by side on the server, which groups their flushes itself.
    groupCommit: undefined,
    poolStats: () => ({ size: pool.totalCount, inUse: pool.totalCount - pool.idleCount, waiting: pool.waitingCount }),
  };
}

/** Creates the configured schema when it is missing; run once at start. */
export async function ensurePostgresSchema(executor: Kysely<unknown>, schema: string | undefined): Promise<void> {
  if (schema !== undefined) await sql`create schema if not exists ${sql.id(schema)}`.execute(executor);
}

/** How the decorated driver maps failures, names its database in them, and reports statements. */
interface MappingSettings {
  readonly classify: DriverErrorClassifier;
  readonly target: string;
  readonly observe: StatementObserver | undefined;
}

/** Decorates a stock Kysely driver: every failure leaves it as a typed Weft error, every statement is observed. */
class ErrorMappingDriver extends KyselyTransactionsRefused implements Driver {
  readonly #inner: Driver;
  readonly #settings: MappingSettings;
  /** One decorated connection per stock one, so Kysely sees the same object each time it is lent. */
  readonly #mapped = new WeakMap<DatabaseConnection, MappedConnection>();

  constructor(inner: Driver, settings: MappingSettings) {
    super();
    this.#inner = inner;
    this.#settings = settings;
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const { classify, target } = this.#settings;
    const connection = await mapErrors(() => this.#inner.acquireConnection(), classify, target);
    let mapped = this.#mapped.get(connection);
    if (mapped === undefined) {
      mapped = new MappedConnection(connection, this.#settings);
      this.#mapped.set(connection, mapped);
    }
    return mapped;
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    // Kysely's stock driver releases a connection through private, symbol-keyed methods of the
    // connection object it lent (they return the pg client to the pool). Handing it back that very
    // object, never our decorator, keeps Weft off that private machinery: a Kysely upgrade that
    // changes it cannot leak connections here (test/database/postgres-connections.int.spec.ts).
    return this.#inner.releaseConnection((connection as MappedConnection).stock);
  }

  destroy(): Promise<void> {
    return this.#inner.destroy();
  }
}

/**
 * The most parameters one statement may bind: the wire protocol counts them in 16 bits. Sent
 * anyway, more make the server answer with a protocol violation (08P01), which reads as a lost
 * connection, so they are refused before sending.
 */
const MAX_PARAMETERS = 65_535;

/** A stock connection whose failures leave as Weft errors, and whose statements are observed. */
class MappedConnection implements DatabaseConnection {
  /** The connection the stock driver lent, and gets back on release. */
  readonly stock: DatabaseConnection;
  readonly #settings: MappingSettings;

  constructor(stock: DatabaseConnection, settings: MappingSettings) {
    this.stock = stock;
    this.#settings = settings;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const { classify, target, observe } = this.#settings;
    const startedAt = observe === undefined ? 0 : performance.now();
    try {
      if (query.parameters.length > MAX_PARAMETERS) throw tooManyValuesError(query.parameters.length, MAX_PARAMETERS);
      const result = await this.stock.executeQuery<R>(query);
      observe?.(query.sql, startedAt);
      return result;
    } catch (error) {
      const mapped = mapDriverError(error, classify, target);
      observe?.(query.sql, startedAt, mapped);
      throw mapped;
    }
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return observedStream(this.#mappedStream<R>(query, chunkSize), query.sql, this.#settings.observe);
  }

  async *#mappedStream<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    const { classify, target } = this.#settings;
    if (query.parameters.length > MAX_PARAMETERS) throw tooManyValuesError(query.parameters.length, MAX_PARAMETERS);
    try {
      yield* this.stock.streamQuery<R>(query, chunkSize);
    } catch (error) {
      throw mapDriverError(error, classify, target);
    }
  }
}

/** Runs `run`, turning a driver failure into the matching Weft error. */
async function mapErrors<T>(run: () => Promise<T>, classify: DriverErrorClassifier, target: string): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw mapDriverError(error, classify, target);
  }
}
