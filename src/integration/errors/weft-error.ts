/**
 * Every error code Weft raises, with the HTTP status it maps to.
 * Codes are stable: clients and alert rules match on them, so a code is never renamed.
 */
export const ERROR_CODES = {
  WEFT_INTERNAL: 500,
  WEFT_USAGE: 500,
  WEFT_INVALID_CONFIG: 500,
  WEFT_MIGRATION_FAILED: 500,
  WEFT_CONFLICT: 409,
  WEFT_TRANSACTION_CONFLICT: 409,
  WEFT_NOT_FOUND: 404,
  WEFT_METHOD_NOT_ALLOWED: 405,
  WEFT_UNAUTHORIZED: 401,
  WEFT_FORBIDDEN: 403,
  WEFT_BAD_REQUEST: 400,
  WEFT_REQUEST_TIMEOUT: 408,
  WEFT_PAYLOAD_TOO_LARGE: 413,
  WEFT_URI_TOO_LONG: 414,
  WEFT_UNSUPPORTED_MEDIA_TYPE: 415,
  WEFT_HEADERS_TOO_LARGE: 431,
  WEFT_VALIDATION: 422,
  WEFT_RATE_LIMITED: 429,
  WEFT_UNAVAILABLE: 503,
  WEFT_DATABASE_BUSY: 503,
  WEFT_CLOSED: 503,
  WEFT_OVERLOADED: 503,
  WEFT_TIMEOUT: 504,
} as const;

/** A stable Weft error code such as `WEFT_CONFLICT`. */
export type WeftErrorCode = keyof typeof ERROR_CODES;

/** Options every Weft error accepts. */
export interface WeftErrorOptions {
  /** The error this one wraps (a driver error, a failed fetch). */
  readonly cause?: unknown;
  /** Structured facts for logs and problem documents (a constraint name, a host). Never secrets. */
  readonly details?: Readonly<Record<string, unknown>>;
  /**
   * Members the problem document adds beside `detail` (RFC 9457 extension members): facts a client acts on, such as
   * the entries a rollback was refused over. Shown to the caller: never secrets or driver text.
   */
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/**
 * The base of every error Weft throws: a stable `code`, the HTTP `status` it maps to,
 * optional structured `details`, and the wrapped `cause`.
 */
export class WeftError extends Error {
  readonly code: WeftErrorCode;
  readonly status: number;
  readonly details: Readonly<Record<string, unknown>>;
  /** Extension members of the error's problem document (WeftErrorOptions.extensions). */
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(code: WeftErrorCode, message: string, options: WeftErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = ERROR_CODES[code];
    this.details = Object.freeze({ ...options.details });
    this.extensions = Object.freeze({ ...options.extensions });
  }

  /** A JSON-safe view for logs and HTTP bodies; the cause is left out on purpose (it may hold driver text). */
  toJSON(): {
    name: string;
    code: WeftErrorCode;
    status: number;
    message: string;
    details: Readonly<Record<string, unknown>>;
  } {
    return { name: this.name, code: this.code, status: this.status, message: this.message, details: this.details };
  }
}

/** A write lost a race: a unique key already taken, a stale version, a serialization failure. HTTP 409. */
export class ConflictError extends WeftError {
  constructor(
    message: string,
    options: WeftErrorOptions & { code?: 'WEFT_CONFLICT' | 'WEFT_TRANSACTION_CONFLICT' } = {},
  ) {
    super(options.code ?? 'WEFT_CONFLICT', message, options);
  }
}

/** The caller did not say who it is, or its credentials are wrong: no token, a bad token. HTTP 401. */
export class UnauthorizedError extends WeftError {
  constructor(message: string, options: WeftErrorOptions = {}) {
    super('WEFT_UNAUTHORIZED', message, options);
  }
}

/** The codes of requests refused as requests, before any rule of the game applies (see BadRequestError). */
export type BadRequestCode =
  | 'WEFT_BAD_REQUEST'
  | 'WEFT_METHOD_NOT_ALLOWED'
  | 'WEFT_REQUEST_TIMEOUT'
  | 'WEFT_PAYLOAD_TOO_LARGE'
  | 'WEFT_URI_TOO_LONG'
  | 'WEFT_UNSUPPORTED_MEDIA_TYPE'
  | 'WEFT_HEADERS_TOO_LARGE';

/**
 * The request itself is refused before any rule applies: a body that is not JSON or missing (400, the default), a
 * method the path does not answer (405), a request too slow (408), a body, URI or headers too large (413, 414, 431),
 * a body of a media type the API does not read (415).
 */
export class BadRequestError extends WeftError {
  constructor(message: string, options: WeftErrorOptions & { code?: BadRequestCode } = {}) {
    super(options.code ?? 'WEFT_BAD_REQUEST', message, options);
  }
}

/** Too many requests: slow down; `retryAfterSeconds` says when to try again (HTTP `Retry-After`). HTTP 429. */
export class RateLimitedError extends WeftError {
  readonly retryAfterSeconds: number;

  constructor(message: string, options: WeftErrorOptions & { retryAfterSeconds: number }) {
    super('WEFT_RATE_LIMITED', message, {
      ...options,
      details: { ...options.details, retryAfterSeconds: options.retryAfterSeconds },
    });
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** The caller may not do this: a system publishing an event it does not own. HTTP 403. */
export class ForbiddenError extends WeftError {
  constructor(message: string, options: WeftErrorOptions = {}) {
    super('WEFT_FORBIDDEN', message, options);
  }
}

/** The thing asked for does not exist. HTTP 404. */
export class NotFoundError extends WeftError {
  constructor(message: string, options: WeftErrorOptions = {}) {
    super('WEFT_NOT_FOUND', message, options);
  }
}

/**
 * One thing wrong with a value, and where. Kept as data; formatting is the reader's choice.
 * Produced by the validation part, carried by ValidationError, shown in problem documents.
 */
export interface ValidationIssue {
  /** Keys and indexes from the root to the offending value; empty for the root itself. */
  readonly path: readonly (string | number)[];
  /** The same path as text: `$.inputs[2].itemId`. */
  readonly pathText: string;
  /** What kind of problem: `invalid_type`, `too_big`, `limit`, `reference`, `rule`, ... */
  readonly code: string;
  readonly message: string;
  /** What was accepted, in words (`integer`, `<= 100`, `one of "a" | "b"`), when known. */
  readonly expected?: string;
  /** What was found, shortened, when known. */
  readonly received?: string;
}

/** Input broke a rule: a schema, a foreign key, a NOT NULL or CHECK constraint. HTTP 422. */
export class ValidationError extends WeftError {
  /** Every problem found, with its path; empty when the database reported the violation. */
  readonly issues: readonly ValidationIssue[];

  constructor(message: string, options: WeftErrorOptions & { issues?: readonly ValidationIssue[] } = {}) {
    super('WEFT_VALIDATION', message, options);
    this.issues = Object.freeze([...(options.issues ?? [])]);
  }
}

/** A dependency cannot serve: the database is unreachable, busy past its retries, or closed. HTTP 503. */
export class UnavailableError extends WeftError {
  constructor(
    message: string,
    options: WeftErrorOptions & {
      code?: 'WEFT_UNAVAILABLE' | 'WEFT_DATABASE_BUSY' | 'WEFT_CLOSED' | 'WEFT_OVERLOADED';
    } = {},
  ) {
    super(options.code ?? 'WEFT_UNAVAILABLE', message, options);
  }
}

/** An operation ran out of time. HTTP 504. */
export class TimeoutError extends WeftError {
  constructor(message: string, options: WeftErrorOptions = {}) {
    super('WEFT_TIMEOUT', message, options);
  }
}

/** A setting is wrong; the message names the setting, the value received and what is accepted. */
export class ConfigError extends WeftError {
  constructor(message: string, options: WeftErrorOptions = {}) {
    super('WEFT_INVALID_CONFIG', message, options);
  }
}

/**
 * A programming mistake: Weft's API used in a way it refuses (a Kysely transaction that would
 * bypass the unit of work, a transaction handle kept past its transaction). Fix the calling code;
 * retrying cannot help. HTTP 500.
 */
export class UsageError extends WeftError {
  constructor(message: string, options: WeftErrorOptions = {}) {
    super('WEFT_USAGE', message, options);
  }
}

/** True when `error` is a Weft error, optionally with the given code. */
export function isWeftError(error: unknown, code?: WeftErrorCode): error is WeftError {
  return error instanceof WeftError && (code === undefined || error.code === code);
}
