import type { ValidationIssue } from '../errors/internal.js';
import { describeValue, errorText, issue, kindOf } from './issues.js';
import type { ValidationLimits } from './limits.js';

/** Stop after this many limit issues: enough to act on, bounded for hostile input. */
const MAX_LIMIT_ISSUES = 20;

/** Keys that can rewrite an object's prototype when merged; never legitimate game data. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** What JSON carries, for `expected`. */
const JSON_DATA = 'JSON data: null, a boolean, a finite number, a string, an array or a plain object';

/** What to send instead of a kind of object JSON would not keep. */
const INSTEAD: Readonly<Record<string, string>> = {
  Date: 'send its ISO string (toISOString())',
  Map: 'send a plain object or an array of pairs',
  Set: 'send an array',
  Proxy: 'send a plain copy',
};

interface Walk {
  readonly limits: ValidationLimits;
  readonly issues: ValidationIssue[];
  bytes: number;
}

/**
 * The second, detailed pass of the limits check, run only when the first found something: each
 * problem as an issue at its path. It reads every property on its own, so a getter that throws is
 * an `unreadable` issue where it stands, and it stops after {@link MAX_LIMIT_ISSUES}.
 */
export function limitIssues(value: unknown, limits: ValidationLimits): ValidationIssue[] {
  const walk: Walk = { limits, issues: [], bytes: 0 };
  visit(value, walk, [], 0);
  if (walk.bytes > limits.maxBytes) {
    report(walk, [], 'limit', `Value is larger than ${limits.maxBytes} bytes`, `<= ${limits.maxBytes} bytes`, {
      text: `> ${limits.maxBytes} bytes`,
    });
  }
  return walk.issues;
}

function visit(value: unknown, walk: Walk, path: (string | number)[], depth: number): void {
  if (walk.issues.length >= MAX_LIMIT_ISSUES) return;
  const { limits } = walk;
  switch (typeof value) {
    case 'string':
      walk.bytes += value.length + 2;
      if (value.length > limits.maxStringLength) {
        report(
          walk,
          path,
          'limit',
          `String is longer than ${limits.maxStringLength} characters`,
          `length <= ${limits.maxStringLength}`,
          { text: `length ${value.length}` },
        );
      }
      return;
    case 'number':
      walk.bytes += 8;
      if (!Number.isFinite(value))
        report(walk, path, 'not_json', `${value} is not a JSON number`, 'a finite number', { value });
      else if (Object.is(value, -0))
        report(walk, path, 'not_json', 'JSON cannot keep -0: it reads back as 0 (add 0 to make it 0)', '0', {
          text: '-0',
        });
      return;
    case 'boolean':
      walk.bytes += 8;
      return;
    case 'object':
      break;
    case 'undefined':
      // Met only in arrays (a property holding undefined is an absent one): JSON writes it as null.
      report(walk, path, 'not_json', 'undefined in an array is not JSON: it would read back as null', JSON_DATA, {
        value,
      });
      return;
    default:
      report(walk, path, 'not_json', `A ${typeof value} is not JSON`, JSON_DATA, { value });
      return;
  }
  if (value === null) {
    walk.bytes += 8;
    return;
  }
  if (depth >= limits.maxDepth) {
    report(walk, path, 'limit', `Nested deeper than ${limits.maxDepth} levels`, `depth <= ${limits.maxDepth}`, {
      text: `depth > ${limits.maxDepth}`,
    });
    return;
  }
  const kind = kindOf(value);
  if (kind === 'object') {
    visitObject(value, walk, path, depth);
  } else if (kind !== 'Proxy' && Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype) {
    visitArray(value, walk, path, depth);
  } else {
    const instead = INSTEAD[kind];
    report(
      walk,
      path,
      'not_json',
      `${/^[AEIOU]/.test(kind) ? 'An' : 'A'} ${kind} is not JSON data: it would be stored as something else${instead === undefined ? '' : `; ${instead}`}`,
      JSON_DATA,
      { text: kind },
    );
  }
}

function visitArray(array: unknown[], walk: Walk, path: (string | number)[], depth: number): void {
  const { limits } = walk;
  walk.bytes += 2 + array.length;
  if (array.length > limits.maxArrayLength) {
    report(
      walk,
      path,
      'limit',
      `Array has more than ${limits.maxArrayLength} items`,
      `length <= ${limits.maxArrayLength}`,
      { text: `length ${array.length}` },
    );
    return;
  }
  for (let i = 0; i < array.length && walk.bytes <= limits.maxBytes; i++) {
    path.push(i);
    if (i in array) {
      const item = read(array, i, walk, path);
      if (item.ok) visit(item.value, walk, path, depth + 1);
    } else {
      report(walk, path, 'not_json', 'A hole in a sparse array is not JSON: it would read back as null', JSON_DATA, {
        text: 'a hole',
      });
    }
    path.pop();
    if (walk.issues.length >= MAX_LIMIT_ISSUES) return;
  }
}

function visitObject(object: object, walk: Walk, path: (string | number)[], depth: number): void {
  const { limits } = walk;
  let keys = 0;
  // for...in, as in the first pass: keys inherited from a polluted Object.prototype are met and refused too.
  for (const key in object) {
    if (++keys > limits.maxKeys) {
      report(walk, path, 'limit', `Object has more than ${limits.maxKeys} keys`, `keys <= ${limits.maxKeys}`, {
        text: `more than ${limits.maxKeys} keys`,
      });
      return;
    }
    if (FORBIDDEN_KEYS.has(key)) {
      report(
        walk,
        [...path, key],
        'limit',
        `Key "${key}" is not allowed`,
        'a key other than __proto__, constructor, prototype',
        { text: JSON.stringify(key) },
      );
      continue;
    }
    path.push(key);
    const item = read(object as Record<string, unknown>, key, walk, path);
    // Counted as the first pass counts: a property holding undefined is an absent one.
    if (item.ok && item.value !== undefined) {
      walk.bytes += key.length + 4;
      visit(item.value, walk, path, depth + 1);
    }
    path.pop();
    if (walk.bytes > limits.maxBytes) return;
    if (walk.issues.length >= MAX_LIMIT_ISSUES) return;
  }
}

/** Reads one property; a getter that throws becomes an `unreadable` issue at its path. */
function read(
  container: Readonly<Record<string | number, unknown>> | readonly unknown[],
  key: string | number,
  walk: Walk,
  path: readonly (string | number)[],
): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: (container as Readonly<Record<string | number, unknown>>)[key] };
  } catch (error) {
    report(walk, path, 'unreadable', `Reading this value threw: ${errorText(error)}`, JSON_DATA, {
      text: 'a getter that threw',
    });
    return { ok: false };
  }
}

function report(
  walk: Walk,
  path: readonly (string | number)[],
  code: 'limit' | 'not_json' | 'unreadable',
  message: string,
  expected: string,
  received: { text: string } | { value: unknown },
): void {
  walk.issues.push(
    issue([...path], code, message, expected, 'text' in received ? received.text : describeValue(received.value)),
  );
}
