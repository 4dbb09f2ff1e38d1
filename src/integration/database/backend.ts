import type { CompiledQuery, Dialect, Kysely } from 'kysely';
import type { DriverErrorClassifier } from './driver-errors.js';

/**
 * What differs between backends, as flags the rest of Weft reads
 * instead of testing the backend's name.
 */
export interface DatabaseCapabilities {
  /** Short name for logs and messages only; never branch on it. */
  readonly dialect: 'sqlite' | 'postgres';
  /** `transaction(fn, { isolation })` is honoured; SQLite is always serializable and ignores it. */
  readonly isolationLevels: boolean;
  /** Several connections write at once, so transactions can lose races and be retried. */
  readonly concurrentWriters: boolean;
  /** `INSERT ... RETURNING` works. */
  readonly returning: boolean;
  /** A JSON column type with operators (PostgreSQL jsonb); otherwise JSON is stored as text. */
  readonly jsonb: boolean;
}

/** Connections: how many exist, how many are lent out, how many callers wait for one. */
export interface PoolStats {
  readonly size: number;
  readonly inUse: number;
  readonly waiting: number;
}

/**
 * One database backend: Kysely's own `Dialect` plus the few things Kysely leaves to us.
 * SQLite and PostgreSQL implement it; the contract suite runs against both.
 */
export interface DatabaseBackend {
  readonly capabilities: DatabaseCapabilities;
  /** `SQLite ./data/weft.db` or `PostgreSQL at host:port/db as user`: for messages, never a password. */
  readonly target: string;
  readonly dialect: Dialect;
  readonly classifyError: DriverErrorClassifier;
  /**
   * Takes an exclusive lock named `name`, held until the transaction of `executor` ends
   * (PostgreSQL advisory lock; SQLite needs none, its write transactions already exclude each other).
   */
  lockInTransaction(executor: Kysely<unknown>, name: string): Promise<void>;
  /** The statement that opens a transaction with these settings, compiled once and reused. */
  begin(settings: { readonly isolation?: 'read committed' | 'repeatable read' | 'serializable'; readonly readOnly: boolean }): CompiledQuery;
  poolStats(): PoolStats;
}
