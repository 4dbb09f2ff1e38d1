import {
  ConflictError,
  TimeoutError,
  UnavailableError,
  UsageError,
  ValidationError,
  WeftError,
} from '../errors/internal.js';

/** What a driver error means, independent of the driver that raised it. */
export type DriverErrorKind =
  | 'unique'
  | 'foreign-key'
  | 'not-null'
  | 'check'
  | 'invalid-text'
  | 'invalid-value'
  | 'value-too-large'
  | 'too-many-values'
  | 'serialization'
  | 'deadlock'
  | 'stale-statement'
  | 'lost-statement'
  | 'busy'
  | 'connection'
  | 'timeout'
  | 'read-only';

/** Reads one backend's errors; each backend supplies its own. */
export type DriverErrorClassifier = (error: unknown) => DriverErrorKind | undefined;

/**
 * What the caller is told when its input broke the database's rules. The problem document shows
 * this message, so it never holds driver text: that names tables, columns, indexes and
 * constraints. Those stay in the error's `cause` and its `log` fields (see `DriverErrorLog`).
 */
const INPUT_MESSAGES = {
  unique: 'A row with the same unique key already exists',
  'foreign-key': 'A value refers to a row that does not exist, or a row still referred to cannot be removed',
  'not-null': 'A required value is missing (null where the database needs a value)',
  check: "A value breaks one of the database's rules (a CHECK constraint)",
  'invalid-text': 'A text value holds a character the database cannot store (such as NUL, \\u0000)',
  'invalid-value': "A value does not fit its column's type (text where a number belongs, a number out of range)",
  'value-too-large': 'A value is too large for the database to store or index',
  'too-many-values': 'A statement carries more values than the database accepts in one statement; send fewer at once',
} as const satisfies Partial<Record<DriverErrorKind, string>>;

/** The kinds a transaction is retried on as a whole. */
const RETRYABLE: ReadonlySet<DriverErrorKind> = new Set([
  'serialization',
  'deadlock',
  'stale-statement',
  'lost-statement',
  'busy',
]);

/** Internal marker: the kind a mapped error came from, so the unit of work can decide to retry. */
const KIND = Symbol('weft.driverErrorKind');

interface Classified {
  [KIND]?: DriverErrorKind;
}

/**
 * The names a driver error carries, for logs only: a mapped error holds them as its `log` field,
 * which pino's error serializer prints and which neither `toJSON()` nor the problem document
 * includes. (SQLite gives no such fields; its names are in the `cause` message, which logs show too.)
 */
export interface DriverErrorLog {
  readonly driverCode?: string;
  readonly schema?: string;
  readonly table?: string;
  readonly column?: string;
  readonly constraint?: string;
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
  const log = logFields(error);
  // Only the driver's code, never a name: `details` reaches clients.
  const options = { cause: error, details: log.driverCode === undefined ? {} : { driverCode: log.driverCode } };
  let mapped: WeftError;
  switch (kind) {
    case 'unique':
      mapped = new ConflictError(INPUT_MESSAGES.unique, options);
      break;
    case 'foreign-key':
    case 'not-null':
    case 'check':
    case 'invalid-text':
    case 'invalid-value':
    case 'value-too-large':
    case 'too-many-values':
      mapped = new ValidationError(INPUT_MESSAGES[kind], options);
      break;
    case 'serialization':
    case 'deadlock':
      mapped = new ConflictError(`Transaction lost a race (${kind}): ${messageOf(error)}`, {
        cause: error,
        code: 'WEFT_TRANSACTION_CONFLICT',
      });
      break;
    case 'stale-statement':
    case 'lost-statement':
      // The driver forgets the statement (or stops naming) before this reaches the unit of work: the next try is anew.
      mapped = new ConflictError(`A prepared statement no longer runs as prepared: ${messageOf(error)}`, {
        cause: error,
        code: 'WEFT_TRANSACTION_CONFLICT',
      });
      break;
    case 'busy':
      // No driver text: PostgreSQL's (55P03) names the locked table.
      mapped = new UnavailableError(`${where} is busy (locked by another writer)`, {
        cause: error,
        code: 'WEFT_DATABASE_BUSY',
      });
      break;
    case 'connection':
      mapped = new UnavailableError(`${where} is unavailable: ${messageOf(error)}`, { cause: error });
      break;
    case 'timeout':
      mapped = new TimeoutError(`${where} timed out: ${messageOf(error)}`, { cause: error });
      break;
    case 'read-only':
      mapped = new UsageError(
        'A read-only transaction tried to write (a readOnly command, or a transaction with readOnly: true); ' +
          'declare it read-write to change anything.',
        options,
      );
      break;
  }
  (mapped as Classified)[KIND] = kind;
  return Object.assign(mapped, { log });
}

/**
 * The error for a statement with more bound values than the backend takes (`limit`), raised before
 * it is sent: PostgreSQL would answer with a protocol error that reads as a lost connection.
 */
export function tooManyValuesError(count: number, limit: number): ValidationError {
  const error = new ValidationError(INPUT_MESSAGES['too-many-values'], { details: { values: count, limit } });
  (error as Classified)[KIND] = 'too-many-values';
  return error;
}

/** The `log` fields of a mapped driver error (see `DriverErrorLog`), or undefined for any other error. */
export function driverErrorLog(error: unknown): DriverErrorLog | undefined {
  if (!(error instanceof WeftError) || (error as Classified)[KIND] === undefined) return undefined;
  return (error as WeftError & { log?: DriverErrorLog }).log;
}

/**
 * An error that says the transaction lost a race another one won (two first writes of one key, a
 * version that moved): a ConflictError (`WEFT_TRANSACTION_CONFLICT`) that the unit of work retries
 * as a whole, like a serialization failure, before it reaches the caller.
 */
export function lostRace(
  message: string,
  options: { cause?: unknown; details?: Record<string, unknown> } = {},
): ConflictError {
  const error = new ConflictError(message, { ...options, code: 'WEFT_TRANSACTION_CONFLICT' });
  (error as Classified)[KIND] = 'serialization';
  return error;
}

/** True when the whole transaction should be run again: it lost a race, nothing is wrong with it. */
export function isRetryable(error: unknown): boolean {
  const kind = error instanceof WeftError ? (error as Classified)[KIND] : undefined;
  return kind !== undefined && RETRYABLE.has(kind);
}

function logFields(error: unknown): DriverErrorLog {
  if (typeof error !== 'object' || error === null) return {};
  const record = error as Record<string, unknown>;
  const fields: Record<string, string> = {};
  for (const key of ['schema', 'table', 'column', 'constraint'] as const) {
    if (typeof record[key] === 'string') fields[key] = record[key];
  }
  if (typeof record.code === 'string') fields.driverCode = record.code;
  return fields;
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
  // A STRICT table's column given the wrong type; text as an INTEGER PRIMARY KEY.
  if (code === 'SQLITE_CONSTRAINT_DATATYPE' || code === 'SQLITE_MISMATCH') return 'invalid-value';
  if (code === 'SQLITE_TOOBIG') return 'value-too-large';
  // SQLite has no code of its own for it: the generic SQLITE_ERROR with this message.
  if (code === 'SQLITE_ERROR' && error instanceof Error && error.message.startsWith('too many SQL variables')) {
    return 'too-many-values';
  }
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

/** SQLSTATE codes that say a value the caller sent cannot be stored: 4xx, not a server failure. */
const POSTGRES_INPUT_CODES: ReadonlyMap<string, DriverErrorKind> = new Map([
  ['22021', 'invalid-text'], // character not in repertoire: NUL in a text value
  ['22P05', 'invalid-text'], // untranslatable character: \u0000 in a jsonb document
  ['22P02', 'invalid-value'], // invalid text representation: 'abc' for an integer, a malformed uuid or JSON
  ['22003', 'invalid-value'], // numeric value out of range
  ['22007', 'invalid-value'], // invalid datetime format
  ['22008', 'invalid-value'], // datetime field overflow
  ['22001', 'value-too-large'], // string data right truncation: too long for varchar(n)
  ['54000', 'value-too-large'], // program limit exceeded: an index row, a jsonb document too large
]);

/** Classifies node-postgres errors: SQLSTATE codes, socket errors, and the pool's own messages. */
export const classifyPostgresError: DriverErrorClassifier = (error) => {
  const code = codeOf(error);
  if (code !== undefined) {
    if (code === '23505') return 'unique';
    if (code === '23503') return 'foreign-key';
    if (code === '23502') return 'not-null';
    if (code === '23514') return 'check';
    const input = POSTGRES_INPUT_CODES.get(code);
    if (input !== undefined) return input;
    if (code === '40001') return 'serialization';
    if (code === '40P01') return 'deadlock';
    if (code === '57014') return 'timeout';
    if (code === '55P03') return 'busy';
    // read_only_sql_transaction: a write in a transaction begun read only.
    if (code === '25006') return 'read-only';
    // A named statement prepared before a migration changed its table's columns: PostgreSQL refuses to run it.
    if (
      code === '0A000' &&
      error instanceof Error &&
      error.message.includes('cached plan must not change result type')
    ) {
      return 'stale-statement';
    }
    // A named statement the connection no longer holds: something between Weft and the server (a pooler's reset,
    // `DEALLOCATE`, a transaction-mode pooler switching servers) dropped it.
    if (code === '26000') return 'lost-statement';
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
    /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect|does not support SSL/i.test(
      error.message,
    )
  ) {
    return 'connection';
  }
  return undefined;
};
