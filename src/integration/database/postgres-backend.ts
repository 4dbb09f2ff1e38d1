import pg from 'pg';
import { CompiledQuery, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql, type Kysely } from 'kysely';
import type { DatabaseBackend } from './backend.js';
import { classifyPostgresError } from './driver-errors.js';
import { describeTarget, type DatabaseLogger, type ResolvedPostgres } from './options.js';
import { PostgresDriver } from './postgres-driver.js';
import { holdBack } from './postgres-held-statements.js';
import { StatementNames } from './statement-names.js';
import type { StatementObserver } from './statement-observer.js';

/** `lockInTransaction`'s statements, marked for the driver to send with the transaction's next statement. */
const HELD_LOCK = sql.raw(holdBack('select pg_advisory_xact_lock', 'lock'));
const HELD_SHARED_LOCK = sql.raw(holdBack('select pg_advisory_xact_lock_shared', 'lock'));

/** PostgreSQL through a node-postgres pool and Weft's own driver; `observe` hears of every statement. */
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
  const names = new StatementNames();
  const beginStatements = new Map<string, CompiledQuery>();
  return {
    capabilities: {
      concurrentWriters: true,
      writableCte: true,
      identityColumns: 'identity',
    },
    target,
    dialect: {
      createDriver: () => new PostgresDriver(pool, { classify: classifyPostgresError, target, observe, names, logger }),
      createQueryCompiler: () => new PostgresQueryCompiler(),
      createAdapter: () => new PostgresAdapter(),
      createIntrospector: (db) => new PostgresIntrospector(db),
    },
    lockInTransaction: async (executor: Kysely<unknown>, name: string, shared: boolean) => {
      // Keyed by schema too, so two schemas (parallel tests, tenants) never wait on each other.
      const key = sql`hashtext(current_schema() || '.' || ${name})`;
      // Held back by the driver and sent with the transaction's next statement (the write the lock protects): one
      // round trip fewer per publishing transaction (npm run bench -- distributed, and -- transfer on PostgreSQL).
      const lock = shared ? HELD_SHARED_LOCK : HELD_LOCK;
      await sql`${lock}(${key})`.execute(executor);
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
