// The database part's public face (`weft/database`). What only Weft's own parts use is in internal.ts.
export { createDatabase } from './database.js';
export type { Database, LockOptions, UntypedTables } from './database.js';
export type { DatabaseCapabilities, PoolStats } from './backend.js';
export type {
  DatabaseLogger,
  DatabaseOptions,
  PostgresSettings,
  QueryEvent,
  RetryPolicy,
  SqliteSettings,
  SqliteSynchronous,
} from './options.js';
export type { IsolationLevel, TransactionOptions, TransactionWork } from './transaction-options.js';
export { Migrator } from './migrator.js';
export { StatementCache } from './statement-cache.js';
export { unreadWrite } from './unread-write.js';
export type { Migration, MigrationStatus, MigrationStep } from './migrator.js';
