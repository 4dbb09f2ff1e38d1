import { ValidationError } from '../errors/internal.js';
import { describeValue, issue } from '../validation/internal.js';

/**
 * The longest key (and list prefix or cursor), in UTF-16 code units as `key.length` counts them. A
 * key names an entry; a longer one is data in the wrong place, and PostgreSQL refuses an index row
 * past about 2.7 KB with a raw error.
 */
export const MAX_KEY_LENGTH = 512;

/** Pages of `list` hold at most this many entries. */
export const MAX_PAGE = 1000;

/** `String.prototype.isWellFormed` (ES2024): Node 20 has it, the ES2023 lib Weft compiles against does not type it. */
type WellFormedCheck = string & { isWellFormed(): boolean };

/**
 * Refuses, with a ValidationError (422), a key that is not a string of 1 to MAX_KEY_LENGTH code
 * units, well-formed Unicode (no lone surrogate: PostgreSQL would store it as U+FFFD, so two keys
 * would become one, and SQLite would give back another key) and without NUL (PostgreSQL text cannot
 * hold it). `field` names it in the issue (`key`, `cursor`, `transactionId`); `prefix` may be empty.
 */
export function checkKey(key: unknown, field = 'key', options: { empty?: boolean } = {}): asserts key is string {
  if (
    typeof key === 'string' &&
    key.length <= MAX_KEY_LENGTH &&
    (key.length > 0 || options.empty === true) &&
    (key as WellFormedCheck).isWellFormed() &&
    !key.includes('\u0000')
  )
    return;
  const why =
    typeof key !== 'string'
      ? 'is not a string'
      : key.length === 0
        ? 'is empty'
        : key.length > MAX_KEY_LENGTH
          ? `is longer than ${MAX_KEY_LENGTH} characters`
          : key.includes('\u0000')
            ? 'contains NUL (\\u0000)'
            : 'is not well-formed Unicode (it holds a lone surrogate)';
  refuse(
    field,
    'invalid_key',
    `A state ${field} ${why}`,
    `a well-formed string of ${options.empty === true ? 0 : 1} to ${MAX_KEY_LENGTH} characters without NUL`,
    typeof key === 'string' && key.length > MAX_KEY_LENGTH ? `string(${key.length})` : describeValue(key),
  );
}

/** Refuses a list of keys that is not an array of 1 to MAX_PAGE keys, each checked as `checkKey` checks one. */
export function checkKeys(keys: unknown): asserts keys is readonly string[] {
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_PAGE) {
    const message = `keys must be a list of 1 to ${MAX_PAGE} keys`;
    refuse('keys', 'invalid_keys', message, `an array of 1 to ${MAX_PAGE} keys`, describeValue(keys));
  }
  for (const key of keys as unknown[]) checkKey(key);
}

/** Refuses a version that is not a safe integer of at least `min` (1 for a version to roll back to, 0 expected). */
export function checkVersion(version: unknown, field: string, min: 0 | 1): asserts version is number {
  if (typeof version === 'number' && Number.isSafeInteger(version) && version >= min) return;
  refuse(
    field,
    'invalid_version',
    `${field} must be an integer >= ${min}`,
    `an integer from ${min} to ${Number.MAX_SAFE_INTEGER}`,
    describeValue(version),
  );
}

/** Refuses a page size that is not an integer from 1 to MAX_PAGE. */
export function checkLimit(limit: unknown): asserts limit is number {
  if (typeof limit === 'number' && Number.isSafeInteger(limit) && limit >= 1 && limit <= MAX_PAGE) return;
  const message = `list limit must be an integer from 1 to ${MAX_PAGE}`;
  refuse('limit', 'invalid_limit', message, `an integer from 1 to ${MAX_PAGE}`, describeValue(limit));
}

function refuse(field: string, code: string, message: string, expected: string, received: string): never {
  throw new ValidationError(`${message}; received ${received}.`, {
    issues: [issue([field], code, message, expected, received)],
    details: { field },
  });
}
