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
import { classifyPostgresError, mapDriverError, type DriverErrorClassifier } from './driver-errors.js';
import { describeTarget, type DatabaseLogger, type ResolvedPostgres } from './options.js';
import { refuseKyselyTransaction } from './unit-of-work.js';

/** PostgreSQL through a node-postgres pool. */
export function postgresBackend(config: ResolvedPostgres, logger: DatabaseLogger): DatabaseBackend {
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
      createDriver: () => new ErrorMappingDriver(stock.createDriver(), classifyPostgresError, target),
      createQueryCompiler: () => stock.createQueryCompiler(),
      createAdapter: () => stock.createAdapter(),
      createIntrospector: (db) => stock.createIntrospector(db),
    },
    lockInTransaction: async (executor: Kysely<unknown>, name: string) => {
      // Keyed by schema too, so two schemas (parallel tests, tenants) never wait on each other.
      await sql`select pg_advisory_xact_lock(hashtext(current_schema() || '.' || ${name}))`.execute(executor);
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
    poolStats: () => ({ size: pool.totalCount, inUse: pool.totalCount - pool.idleCount, waiting: pool.waitingCount }),
  };
}

/** Creates the configured schema when it is missing; run once at start. */
export async function ensurePostgresSchema(executor: Kysely<unknown>, schema: string | undefined): Promise<void> {
  if (schema !== undefined) await sql`create schema if not exists ${sql.id(schema)}`.execute(executor);
}

/** Decorates a stock Kysely driver so every failure leaves it as a typed Weft error. */
class ErrorMappingDriver implements Driver {
  readonly #inner: Driver;
  readonly #classify: DriverErrorClassifier;
  readonly #target: string;
  readonly #wrapped = new WeakMap<DatabaseConnection, DatabaseConnection>();

  constructor(inner: Driver, classify: DriverErrorClassifier, target: string) {
    this.#inner = inner;
    this.#classify = classify;
    this.#target = target;
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.#map(() => this.#inner.acquireConnection());
    let wrapped = this.#wrapped.get(connection);
    if (wrapped === undefined) {
      wrapped = this.#wrap(connection);
      this.#wrapped.set(connection, wrapped);
    }
    return wrapped;
  }

  // The unit of work sends BEGIN, COMMIT and SAVEPOINT on the connection itself; these are reached
  // only by Kysely's own transaction methods on the root handle, which would bypass it.
  beginTransaction(): Promise<void> {
    return refuseKyselyTransaction();
  }

  commitTransaction(): Promise<void> {
    return refuseKyselyTransaction();
  }

  rollbackTransaction(): Promise<void> {
    return refuseKyselyTransaction();
  }

  savepoint(): Promise<void> {
    return refuseKyselyTransaction();
  }

  rollbackToSavepoint(): Promise<void> {
    return refuseKyselyTransaction();
  }

  releaseSavepoint(): Promise<void> {
    return refuseKyselyTransaction();
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#inner.releaseConnection(connection);
  }

  destroy(): Promise<void> {
    return this.#inner.destroy();
  }

  async #map<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw mapDriverError(error, this.#classify, this.#target);
    }
  }

  #wrap(connection: DatabaseConnection): DatabaseConnection {
    const map = <T>(run: () => Promise<T>): Promise<T> => this.#map(run);
    const classify = this.#classify;
    const target = this.#target;
    const wrapped: DatabaseConnection = {
      executeQuery: <R>(query: CompiledQuery): Promise<QueryResult<R>> => map(() => connection.executeQuery<R>(query)),
      async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
        try {
          yield* connection.streamQuery<R>(query, chunkSize);
        } catch (error) {
          throw mapDriverError(error, classify, target);
        }
      },
    };
    // The stock driver releases a connection through symbol-keyed methods of its own; forward them.
    const prototype = Object.getPrototypeOf(connection) as object;
    for (const key of Object.getOwnPropertySymbols(prototype)) {
      const method: unknown = Reflect.get(prototype, key);
      if (typeof method === 'function') {
        Reflect.set(wrapped, key, (...args: unknown[]): unknown =>
          Reflect.apply<unknown, unknown[], unknown>(method as (...a: unknown[]) => unknown, connection, args),
        );
      }
    }
    return wrapped;
  }
}
