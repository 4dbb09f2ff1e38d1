// What a caller may ask of one transaction (TransactionOptions), checked before anything is built for it, and the
// shapes the unit of work and the backends share.
import type { CompiledQuery, Kysely } from 'kysely';
import { ConfigError, ConflictError, UnavailableError, type WeftError } from '../errors/internal.js';
import type { RetryPolicy } from './options.js';
import { MAX_TIMER_MS } from './transaction-deadline.js';

/** Isolation levels a caller may ask for; backends without them (SQLite) are always serializable. */
export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

/** Every isolation level: the only texts a backend may put in its BEGIN statement. */
const ISOLATION_LEVELS: readonly unknown[] = [
  'read committed',
  'repeatable read',
  'serializable',
] satisfies IsolationLevel[];

/** Options of one `transaction` call. Only the outermost call's options count, but for `readOnly`. */
export interface TransactionOptions {
  readonly isolation?: IsolationLevel;
  /**
   * A read-only transaction; on SQLite it takes no write lock. Nested, it joins the transaction around it without a
   * savepoint (it has nothing to undo).
   */
  readonly readOnly?: boolean;
  /** Override the database's retry policy for this call; `false` runs it once. */
  readonly retry?: Partial<RetryPolicy> | false;
  /**
   * `'deferred'`: the commit returns before the transaction is flushed to disk. A process crash
   * never loses it; a machine crash may, whole (never in part), unless a later flushed commit
   * followed. For work that is redone when lost, such as event delivery bookkeeping. Default `'full'`.
   */
  readonly durability?: 'full' | 'deferred';
  /**
   * The longest one attempt may run once it has begun. On expiry the transaction is abandoned: it rolls back (the
   * connection is free again), the call rejects with a TimeoutError (WEFT_TIMEOUT), and any later use of the
   * database from the abandoned work's async context is refused with that error. Default: no limit.
   */
  readonly timeoutMs?: number;
  /** Abandons the transaction when it aborts, as `timeoutMs` does; the call rejects with the abort reason. */
  readonly signal?: AbortSignal;
}

/** Statements that let one transaction's commit skip the flush: before BEGIN, after BEGIN, after COMMIT or ROLLBACK. */
export interface DeferredFlush {
  readonly beforeBegin?: CompiledQuery;
  readonly afterBegin?: CompiledQuery;
  readonly afterEnd?: CompiledQuery;
}

/** The work of a transaction; it receives the transaction, which `executor()` also returns inside it. */
export type TransactionWork<DB, T> = (tx: Kysely<DB>) => Promise<T> | T;

/** Picks the BEGIN statement of the backend for the requested settings. */
export type BeginStatement = (settings: { isolation?: IsolationLevel; readOnly: boolean }) => CompiledQuery;

/** The error a transaction that kept losing races ends with, after `attempts` tries. */
export function gaveUp(error: unknown, attempts: number): WeftError {
  const message = `Transaction gave up after ${attempts} attempts: ${error instanceof Error ? error.message : String(error)}`;
  const details = { attempts };
  return error instanceof UnavailableError
    ? new UnavailableError(message, { code: 'WEFT_DATABASE_BUSY', cause: error, details })
    : new ConflictError(message, { code: 'WEFT_TRANSACTION_CONFLICT', cause: error, details });
}

/** The refusal of a transaction that finds `maxWaitingTransactions` others waiting already. */
export function overloaded(waiting: number, maxWaitingTransactions: number): UnavailableError {
  return new UnavailableError(
    `${maxWaitingTransactions} transactions are waiting for the database already (maxWaitingTransactions); try again later.`,
    { code: 'WEFT_OVERLOADED', details: { waiting, maxWaitingTransactions } },
  );
}

/** The first wrong option of an outermost transaction, or undefined. */
export function refusedOptions(options: TransactionOptions): ConfigError | undefined {
  const { durability, isolation, timeoutMs } = options;
  // The PostgreSQL backend writes the level into its START TRANSACTION text: anything else would be run as SQL.
  if (isolation !== undefined && !ISOLATION_LEVELS.includes(isolation))
    return new ConfigError(
      `Transaction isolation must be 'read committed', 'repeatable read' or 'serializable'; received ${JSON.stringify(isolation)}.`,
    );
  if (durability !== undefined && durability !== 'full' && durability !== 'deferred')
    return new ConfigError(
      `Transaction durability must be 'full' or 'deferred'; received ${JSON.stringify(durability)}.`,
    );
  if (timeoutMs !== undefined && (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMER_MS))
    return new ConfigError(
      `Transaction timeoutMs must be an integer from 1 to ${MAX_TIMER_MS}; received ${JSON.stringify(timeoutMs)}.`,
    );
  return undefined;
}
