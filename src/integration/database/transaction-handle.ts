// The handle a transaction's work receives, and the refusals that keep Kysely's own transaction methods from
// bypassing the unit of work (which sends BEGIN, COMMIT and SAVEPOINT on the connection itself).
import { Transaction, type ConnectionProvider, type DatabaseConnection, type Driver } from 'kysely';
import { UsageError } from '../errors/internal.js';

/** Lends one connection, and only while `owns()` holds. */
export class OwnedConnectionProvider implements ConnectionProvider {
  readonly #connection: DatabaseConnection;
  readonly #owns: () => boolean | Error;

  /** `owns`: true while the calling code may use the connection; an Error to reject with instead of the usual one. */
  constructor(connection: DatabaseConnection, owns: () => boolean | Error) {
    this.#connection = connection;
    this.#owns = owns;
  }

  provideConnection<T>(consumer: (connection: DatabaseConnection) => Promise<T>): Promise<T> {
    const owned = this.#owns();
    if (owned instanceof Error) return Promise.reject(owned);
    if (!owned) {
      return Promise.reject(
        new UsageError(
          'This transaction handle is used outside its transaction (it has ended, or the call runs in another async context); use db.executor().',
        ),
      );
    }
    return consumer(this.#connection);
  }
}

const nestingRefusedError = (): UsageError =>
  new UsageError(
    'Inside a transaction, nest with db.transaction(...) (a savepoint), not with Kysely transaction methods.',
  );
const nestingRefused = (): Promise<never> => Promise.reject(nestingRefusedError());

/** The driver a transaction handle hands to Kysely's own transaction methods: it refuses them all. */
export const NESTING_REFUSED: Driver = {
  init: () => Promise.resolve(),
  acquireConnection: nestingRefused,
  beginTransaction: nestingRefused,
  commitTransaction: nestingRefused,
  rollbackTransaction: nestingRefused,
  releaseConnection: () => Promise.resolve(),
  destroy: nestingRefused,
};

/** A transaction's handle: Kysely's own, whose `transaction()` throws a UsageError rather than Kysely's bare Error. */
export class UnitOfWorkTransaction<DB> extends Transaction<DB> {
  override transaction(): never {
    throw nestingRefusedError();
  }
}

/**
 * What the backends' drivers answer when Kysely's own transaction or savepoint methods reach them:
 * the unit of work sends BEGIN, COMMIT and SAVEPOINT on the connection itself, so only
 * `db.executor().transaction()` or `startTransaction()` on the root handle gets here, and those
 * would run outside the unit of work (no async context, no retries, no afterCommit).
 */
export function refuseKyselyTransaction(): Promise<never> {
  return Promise.reject(
    new UsageError(
      "Kysely's transaction() and startTransaction() bypass Weft's unit of work (no async context, no retries, no afterCommit); use db.transaction(fn).",
    ),
  );
}

/**
 * The transaction methods of a Kysely driver, all refusing: the unit of work sends BEGIN, COMMIT and
 * SAVEPOINT on the connection itself, so these are reached only by Kysely's own transaction methods
 * on the root handle, which would bypass it. Both of Weft's drivers extend it.
 */
export abstract class KyselyTransactionsRefused implements Pick<
  Driver,
  | 'beginTransaction'
  | 'commitTransaction'
  | 'rollbackTransaction'
  | 'savepoint'
  | 'rollbackToSavepoint'
  | 'releaseSavepoint'
> {
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
}
