import { types } from 'node:util';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { core } from 'zod';
import type { ValidationIssue } from '../errors/internal.js';

export type { ValidationIssue };

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * The most issues one validation reports; the rest are counted (`omittedIssues`). A 30 KB input can
 * break a schema 200,000 times: enough to act on is a hundred, and a result stays small.
 */
export const MAX_ISSUES = 100;

/** The most characters of an issue's `message`, `expected`, `received` and `pathText`; longer text is cut. */
export const MAX_ISSUE_TEXT = 500;

/** `['inputs', 2, 'itemId']` as `$.inputs[2].itemId`; keys that are not identifiers are quoted. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '$';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else if (typeof key === 'string' && IDENTIFIER.test(key)) text += `.${key}`;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text;
}

/**
 * Builds an issue, deriving `pathText` from `path`. Its texts are cut to {@link MAX_ISSUE_TEXT}
 * characters: a rule's error message or a list of unknown keys can be as long as the input.
 */
export function issue(
  path: readonly (string | number)[],
  code: string,
  message: string,
  expected?: string,
  received?: string,
): ValidationIssue {
  return {
    path,
    pathText: cut(formatPath(path)),
    code,
    message: cut(message),
    ...(expected === undefined ? {} : { expected: cut(expected) }),
    ...(received === undefined ? {} : { received: cut(received) }),
  };
}

/** `text`, or its start and how much was left out when it is longer than MAX_ISSUE_TEXT. */
function cut(text: string): string {
  if (text.length <= MAX_ISSUE_TEXT) return text;
  let end = MAX_ISSUE_TEXT - 40;
  // Never end on the first half of a surrogate pair: the text stays well-formed.
  if (/[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end--;
  return `${text.slice(0, end)}... (${text.length - end} more characters)`;
}

/** A short, safe description of a value for `received`: never the whole of a large input. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array(${value.length})`;
  switch (typeof value) {
    case 'string':
      return value.length > 40
        ? `string(${value.length}) ${JSON.stringify(value.slice(0, 37))}...`
        : JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`;
    case 'undefined':
      return 'undefined';
    case 'object':
      return kindOf(value);
    default:
      return typeof value;
  }
}

/**
 * What kind of object `value` is, for messages: `object`, `Date`, `Map`, `Uint8Array`, `Proxy`,
 * `Point` (a class instance). Never throws, whatever the value's prototype or traps do.
 */
export function kindOf(value: object): string {
  if (types.isProxy(value)) return 'Proxy';
  try {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === null || proto === Object.prototype) return 'object';
    const name: unknown = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    // `Object` here is an object whose prototype is another plain object (Object.create(proto)).
    return typeof name === 'string' && name !== '' && name !== 'Object'
      ? name.slice(0, 40)
      : 'object with another prototype';
  } catch {
    // A getter on the prototype chain threw: the kind is unknown, which is what the message then says.
    return 'unreadable object';
  }
}

function keyPath(path: readonly PropertyKey[]): (string | number)[] {
  return path.map((key) => (typeof key === 'symbol' ? String(key) : key));
}

/**
 * Maps one Zod 4 issue to Weft's shape. `received` is read from `root` at the issue's path, so
 * parsing needs no `reportInput` (which doubles Zod's cost on every call, valid ones included).
 */
export function fromZodIssue(raw: core.$ZodIssue, root: unknown): ValidationIssue {
  const path = keyPath(raw.path);
  const received = raw.code === 'unrecognized_keys' ? undefined : describeAt(root, path);
  switch (raw.code) {
    case 'invalid_type':
      return issue(path, raw.code, raw.message, raw.expected, received);
    case 'too_big':
      return issue(
        path,
        raw.code,
        raw.message,
        `${raw.origin} ${raw.inclusive === false ? '<' : '<='} ${String(raw.maximum)}`,
        received,
      );
    case 'too_small':
      return issue(
        path,
        raw.code,
        raw.message,
        `${raw.origin} ${raw.inclusive === false ? '>' : '>='} ${String(raw.minimum)}`,
        received,
      );
    case 'invalid_value':
      return issue(
        path,
        raw.code,
        raw.message,
        `one of ${raw.values.map((v) => JSON.stringify(v)).join(' | ')}`,
        received,
      );
    case 'invalid_format':
      return issue(
        path,
        raw.code,
        raw.message,
        raw.format === 'regex' && 'pattern' in raw ? `matching ${String(raw.pattern)}` : raw.format,
        received,
      );
    case 'unrecognized_keys':
      return issue(path, raw.code, raw.message, 'no other keys', raw.keys.join(', '));
    default:
      return issue(path, raw.code, raw.message, undefined, received);
  }
}

/**
 * A field whose value is a credential (`password`, `refreshToken`, `secret`, ...): an issue names its kind and length,
 * never its text, as issues reach problem documents and, through the errors that carry them, the log.
 */
const SECRET_FIELD = /passw|secret|token|api[-_]?key|credential/i;

/** `received` for the value at `path`: describeValue, but only the length of a string held by a secret field. */
function describeAt(root: unknown, path: readonly (string | number)[]): string {
  const value = valueAt(root, path);
  const field = path.at(-1);
  if (typeof field === 'string' && SECRET_FIELD.test(field) && typeof value === 'string') {
    return `string(${value.length})`;
  }
  return describeValue(value);
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined;
    try {
      node = (node as Record<string | number, unknown>)[key];
    } catch {
      // A getter that threw now but not during the checks before: `received` stays unknown, the issue stands.
      return undefined;
    }
  }
  return node;
}

/** Maps an issue of any Standard Schema validator (Valibot, ArkType, ...). */
export function fromStandardIssue(raw: StandardSchemaV1.Issue): ValidationIssue {
  const path = keyPath((raw.path ?? []).map((segment) => (typeof segment === 'object' ? segment.key : segment)));
  return issue(path, 'invalid', raw.message);
}

/** The message of anything thrown, never throwing itself (a thrown Proxy or a throwing `toString` included). */
export function errorText(error: unknown): string {
  try {
    return error instanceof Error ? String(error.message) : String(error);
  } catch {
    // The thrown value cannot even be printed: the issue still says that reading threw.
    return 'an error that cannot be printed';
  }
}

/** One line per issue, `$.a.b: message (expected X, received Y)`: for logs and error messages. */
export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues
    .map((i) => {
      const facts = [
        i.expected === undefined ? '' : `expected ${i.expected}`,
        i.received === undefined ? '' : `received ${i.received}`,
      ].filter(Boolean);
      return `${i.pathText}: ${i.message}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`;
    })
    .join('\n');
}
