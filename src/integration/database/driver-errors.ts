import { ConflictError, TimeoutError, UnavailableError, ValidationError, WeftError } from '../errors/internal.js';

/** What a driver error means, independent of the driver that raised it. */
export type DriverErrorKind =
  'unique' | 'foreign-key' | 'not-null' | 'check' | 'serialization' | 'deadlock' | 'busy' | 'connection' | 'timeout';

/** Reads one backend's errors; each backend supplies its own. */
export type DriverErrorClassifier = (error: unknown) => DriverErrorKind | undefined;

/** The kinds a transaction is retried on as a whole. */
const RETRYABLE: ReadonlySet<DriverErrorKind> = new Set(['serialization', 'deadlock', 'busy']);

/** Internal marker: the kind a mapped error came from, so the unit of work can decide to retry. */
const KIND = Symbol('weft.driverErrorKind');

interface Classified {
  [KIND]?: DriverErrorKind;
}

/**
 * Wraps a driver error in the matching WeftError, keeping the original as `cause`.
 * Errors that are already Weft errors, or that the classifier does not know, pass through unchanged
 * (a thrown non-Error is wrapped in one).
 */
export function mapDriverError(error: unknown, classify: DriverErrorClassifier, where: string): Error {
  if (error instanceof WeftError) return error;
  const kind = classify(error);
  if (kind === undefined) return error instanceof Error ? error : new Error(String(error), { cause: error });
  const text = messageOf(error);
  const details = constraintDetails(error);
  let mapped: WeftError;
  switch (kind) {
    case 'unique':
      mapped = new ConflictError(`Unique constraint violated: ${text}`, { cause: error, details });
      break;
    case 'foreign-key':
    case 'not-null':
    case 'check':
      mapped = new ValidationError(`Constraint violated (${kind}): ${text}`, { cause: error, details });
      break;
    case 'serialization':
    case 'deadlock':
      mapped = new ConflictError(`Transaction lost a race (${kind}): ${text}`, {
        cause: error,
        code: 'WEFT_TRANSACTION_CONFLICT',
      });
      break;
    case 'busy':
      mapped = new UnavailableError(`${where} is busy (locked by another writer): ${text}`, {
        cause: error,
        code: 'WEFT_DATABASE_BUSY',
      });
      break;
    case 'connection':
      mapped = new UnavailableError(`${where} is unavailable: ${text}`, { cause: error });
      break;
    case 'timeout':
      mapped = new TimeoutError(`${where} timed out: ${text}`, { cause: error });
      break;
  }
  (mapped as Classified)[KIND] = kind;
  return mapped;
}

/** True when the whole transaction should be run again: it lost a race, nothing is wrong with it. */
export function isRetryable(error: unknown): boolean {
  const kind = error instanceof WeftError ? (error as Classified)[KIND] : undefined;
  return kind !== undefined && RETRYABLE.has(kind);
}

function constraintDetails(error: unknown): Record<string, unknown> {
  if (typeof error !== 'object' || error === null) return {};
  const record = error as Record<string, unknown>;
  const details: Record<string, unknown> = {};
  for (const key of ['constraint', 'table', 'column'] as const) {
    if (typeof record[key] === 'string') details[key] = record[key];
  }
  if (typeof record.code === 'string') details.driverCode = record.code;
  return details;
}

function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.message === '') {
    return error.errors.map(messageOf).join('; ');
  }
  return error instanceof Error ? error.message : String(error);
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** Classifies better-sqlite3's SqliteError codes (extended result codes such as SQLITE_CONSTRAINT_UNIQUE). */
export const classifySqliteError: DriverErrorClassifier = (error) => {
  const code = codeOf(error);
  if (code === undefined || !code.startsWith('SQLITE_')) return undefined;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'unique';
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return 'foreign-key';
  if (code === 'SQLITE_CONSTRAINT_NOTNULL') return 'not-null';
  if (code === 'SQLITE_CONSTRAINT_CHECK') return 'check';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy';
  if (/^SQLITE_(CANTOPEN|IOERR|CORRUPT|NOTADB|READONLY|FULL)/.test(code)) return 'connection';
  return undefined;
};

const NODE_CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
]);

/** Classifies node-postgres errors: SQLSTATE codes, socket errors, and the pool's own messages. */
export const classifyPostgresError: DriverErrorClassifier = (error) => {
  const code = codeOf(error);
  if (code !== undefined) {
    if (code === '23505') return 'unique';
    if (code === '23503') return 'foreign-key';
    if (code === '23502') return 'not-null';
    if (code === '23514') return 'check';
    if (code === '40001') return 'serialization';
    if (code === '40P01') return 'deadlock';
    if (code === '57014') return 'timeout';
    if (code === '55P03') return 'busy';
    // 08: connection exception; 28: invalid authorization; 3D000: no such database; 53300: too many connections; 57P0x:
    // server shutting down.
    if (
      code.startsWith('08') ||
      code.startsWith('28') ||
      code === '3D000' ||
      code === '53300' ||
      /^57P0[1-3]$/.test(code)
    ) {
      return 'connection';
    }
    if (NODE_CONNECTION_CODES.has(code)) return 'connection';
  }
  if (error instanceof Error && typeof (error as { errors?: unknown }).errors !== 'undefined') {
    // AggregateError from trying several addresses (IPv4 and IPv6) of one host.
    const inner = (error as AggregateError).errors;
    if (inner.some((e) => classifyPostgresError(e) === 'connection')) return 'connection';
  }
  if (
    error instanceof Error &&
    /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect/i.test(error.message)
  ) {
    return 'connection';
  }
  return undefined;
};
