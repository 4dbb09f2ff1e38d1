export { createDatabase } from './database.js';
export type { Database, UntypedTables } from './database.js';
export type { DatabaseBackend, DatabaseCapabilities, PoolStats } from './backend.js';
export type {
  DatabaseLogger,
  DatabaseOptions,
  PostgresSettings,
  QueryEvent,
  RetryPolicy,
  SqliteSettings,
  SqliteSynchronous,
} from './options.js';
export { redactUrl } from './options.js';
export type { DeferredFlush, IsolationLevel, TransactionOptions, TransactionWork } from './unit-of-work.js';
export { StatementCache } from './statement-cache.js';
export { Migrator } from './migrator.js';
export type { Migration, MigrationStatus, MigrationStep } from './migrator.js';
