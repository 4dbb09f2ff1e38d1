import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ConfigError } from '../errors/internal.js';
import { createDatabase, type Database, type DatabaseOptions, type UntypedTables } from '../database/internal.js';
import { postgresTestUrl } from './postgres-availability.js';

/** Options of `createTestDatabase`. */
export interface TestDatabaseOptions {
  /** `sqlite` (default) or `postgres` (the server at `WEFT_TEST_POSTGRES_URL`). */
  readonly dialect?: 'sqlite' | 'postgres';
  /** SQLite only: a real file in a fresh temporary folder instead of memory. */
  readonly file?: boolean;
  /** Passed through to `createDatabase` (retry policy, onQuery hook, backend settings). */
  readonly options?: Omit<DatabaseOptions, 'url'>;
}

/** A test database, plus a way to open it a second time, as another process would. */
export interface TestDatabase<DB> extends Database<DB> {
  /** A second, independent connection pool on the same file or schema (not possible for memory). */
  connectAgain(options?: Omit<DatabaseOptions, 'url'>): Promise<Database<DB>>;
}

/**
 * A database no other test sees: SQLite in memory (or in a temporary file), or a fresh
 * PostgreSQL schema. Closing it deletes the file or drops the schema.
 * @example await using db = await createTestDatabase({ dialect: 'postgres' })
 */
export async function createTestDatabase<DB = UntypedTables>(
  options: TestDatabaseOptions = {},
): Promise<TestDatabase<DB>> {
  if (options.dialect === 'postgres') {
    const schema = `weft_test_${randomBytes(6).toString('hex')}`;
    const open = (extra?: Omit<DatabaseOptions, 'url'>): Promise<Database<DB>> =>
      createDatabase<DB>({
        ...options.options,
        ...extra,
        url: postgresTestUrl(),
        postgres: { ...options.options?.postgres, ...extra?.postgres, schema },
      });
    return withCleanup(await open(), open, () => dropSchema(schema));
  }
  if (options.file === true) {
    const folder = await mkdtemp(join(tmpdir(), 'weft-test-'));
    const url = `sqlite:${join(folder, 'test.db')}`;
    const open = (extra?: Omit<DatabaseOptions, 'url'>): Promise<Database<DB>> =>
      createDatabase<DB>({ ...options.options, ...extra, url });
    return withCleanup(await open(), open, () => rm(folder, { recursive: true, force: true }));
  }
  const memory = await createDatabase<DB>({ ...options.options, url: 'sqlite::memory:' });
  const refuse = (): Promise<Database<DB>> =>
    Promise.reject(
      new ConfigError('An in-memory SQLite database cannot be opened twice; use createTestDatabase({ file: true }).'),
    );
  return withCleanup(memory, refuse, () => Promise.resolve());
}

/** Drops a test schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresTestUrl() });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

/** The same database, whose close also removes what the test created. */
function withCleanup<DB>(
  db: Database<DB>,
  connectAgain: (options?: Omit<DatabaseOptions, 'url'>) => Promise<Database<DB>>,
  cleanup: () => Promise<void>,
): TestDatabase<DB> {
  let closing: Promise<void> | undefined;
  const close = (options?: { timeoutMs?: number }): Promise<void> => {
    closing ??= db.close(options).finally(cleanup);
    return closing;
  };
  const wrapper: TestDatabase<DB> = {
    capabilities: db.capabilities,
    target: db.target,
    executor: () => db.executor(),
    execute: (query) => db.execute(query),
    pending: (owner, flush) => db.pending(owner, flush),
    transactionCache: (owner) => db.transactionCache(owner),
    flushPending: () => db.flushPending(),
    transaction: (work, options) => db.transaction(work, options),
    afterCommit: (callback) => db.afterCommit(callback),
    inTransaction: () => db.inTransaction(),
    lockInTransaction: (name, options) => db.lockInTransaction(name, options),
    withTables: <T>() => wrapper as unknown as Database<T>,
    ping: (options) => db.ping(options),
    poolStats: () => db.poolStats(),
    close,
    connectAgain,
    [Symbol.asyncDispose]: () => close(),
  };
  return wrapper;
}
