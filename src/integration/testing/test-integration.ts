import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseOptions, RetryPolicy } from '../database/index.js';
import { ConfigError } from '../errors/internal.js';
import { createIntegration, type Integration, type IntegrationOptions } from '../integration.js';
import { postgresTestUrl } from './postgres-availability.js';
import { dropSchema } from './test-database.js';

/** Options of `createTestIntegration`: a test database, and the integration's own options. */
export interface TestIntegrationOptions extends Omit<IntegrationOptions, 'database'> {
  /** `sqlite` (default) or `postgres` (the server at `WEFT_TEST_POSTGRES_URL`, in a fresh schema). */
  readonly dialect?: 'sqlite' | 'postgres';
  /** SQLite only: a real file in a fresh temporary folder instead of memory. */
  readonly file?: boolean;
  /**
   * How transactions that lost a race are retried (the database's `retry`): `{ maxAttempts: 1 }` makes a deadlock or
   * a serialization failure reach the caller, for tests that prove none happens.
   */
  readonly retry?: Partial<RetryPolicy>;
}

/** A test integration, plus a way to start a second one on the same database, as another process would. */
export interface TestIntegration extends Integration {
  /** Another integration on the same file or schema (not possible for memory); close it before this one. */
  connectAgain(options?: Omit<IntegrationOptions, 'database'>): Promise<Integration>;
}

/**
 * An integration on a database no other test sees (SQLite in memory or a temporary file, or a
 * fresh PostgreSQL schema), quiet by default. Closing it deletes the file or drops the schema.
 * @example await using weft = await createTestIntegration({ dialect: 'postgres' })
 */
export async function createTestIntegration(options: TestIntegrationOptions = {}): Promise<TestIntegration> {
  const { dialect, file, retry, ...rest } = options;
  const quiet = { monitoring: { logger: { level: 'silent' as const }, processMetrics: false } };
  const open = (database: string | DatabaseOptions, extra?: Omit<IntegrationOptions, 'database'>) =>
    createIntegration({
      ...quiet,
      ...rest,
      ...extra,
      database:
        retry === undefined ? database : { ...(typeof database === 'string' ? { url: database } : database), retry },
    });
  if (dialect === 'postgres') {
    const schema = `weft_test_${randomBytes(6).toString('hex')}`;
    const database = { url: postgresTestUrl(), postgres: { schema } };
    return withCleanup(
      await open(database),
      (extra) => open(database, extra),
      () => dropSchema(schema),
    );
  }
  if (file === true) {
    const folder = await mkdtemp(join(tmpdir(), 'weft-test-'));
    const database = `sqlite:${join(folder, 'test.db')}`;
    return withCleanup(
      await open(database),
      (extra) => open(database, extra),
      () => rm(folder, { recursive: true, force: true }),
    );
  }
  return withCleanup(
    await open('sqlite::memory:'),
    () => Promise.reject(new ConfigError('An in-memory SQLite database cannot be opened twice; use { file: true }.')),
    () => Promise.resolve(),
  );
}

function withCleanup(
  weft: Integration,
  connectAgain: TestIntegration['connectAgain'],
  cleanup: () => Promise<void>,
): TestIntegration {
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= weft.close().finally(cleanup);
    return closing;
  };
  return { ...weft, connectAgain, close, [Symbol.asyncDispose]: close };
}
