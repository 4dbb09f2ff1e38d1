import type { ValidationIssue } from '../errors/internal.js';
import { issue } from './issues.js';

/** Bounds every value is checked against before its schema, so hostile input costs little and never hangs. */
export interface ValidationLimits {
  /** Approximate size of the value serialized as JSON. */
  readonly maxBytes: number;
  /** Nesting of objects and arrays. */
  readonly maxDepth: number;
  readonly maxArrayLength: number;
  readonly maxStringLength: number;
  /** Keys of one object. */
  readonly maxKeys: number;
}

export const DEFAULT_LIMITS: ValidationLimits = {
  maxBytes: 1_000_000,
  maxDepth: 32,
  maxArrayLength: 10_000,
  maxStringLength: 100_000,
  maxKeys: 1_000,
};

/** Keys that can rewrite an object's prototype when merged; never legitimate game data. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Stop after this many limit issues: enough to act on, bounded for hostile input. */
const MAX_ISSUES = 20;

interface Walk {
  readonly limits: ValidationLimits;
  readonly issues: ValidationIssue[];
  bytes: number;
}

/**
 * Checks `value` against the limits in one bounded pass: it never descends past `maxDepth`
 * (so cycles end too) and stops once the size is exceeded. Returns issues of code `limit`.
 */
export function checkLimits(value: unknown, limits: ValidationLimits): ValidationIssue[] {
  // Most values are fine: answer those with a pass that builds no paths, and walk again for the details only when one
  // is not.
  const budget = { bytes: 0 };
  if (fits(value, limits, 0, budget) && budget.bytes <= limits.maxBytes) return NONE;
  const walk: Walk = { limits, issues: [], bytes: 0 };
  visit(value, walk, [], 0);
  return walk.issues;
}

const NONE: ValidationIssue[] = [];

/** True when nothing in `value` breaks a limit; adds its approximate size to `budget`. */
function fits(value: unknown, limits: ValidationLimits, depth: number, budget: { bytes: number }): boolean {
  if (typeof value === 'number' || typeof value === 'boolean') {
    budget.bytes += 8;
    return true;
  }
  if (typeof value === 'string') {
    budget.bytes += value.length + 2;
    return value.length <= limits.maxStringLength;
  }
  if (typeof value !== 'object' || value === null) {
    budget.bytes += 8;
    return true;
  }
  if (depth >= limits.maxDepth) return false;
  if (Array.isArray(value)) {
    if (value.length > limits.maxArrayLength) return false;
    budget.bytes += 2 + value.length;
    for (let i = 0; i < value.length; i++) {
      if (!fits(value[i], limits, depth + 1, budget) || budget.bytes > limits.maxBytes) return false;
    }
    return true;
  }
  if (!isPlainObject(value)) return true;
  let keys = 0;
  // for...in also meets keys inherited from a polluted Object.prototype: those fail here too, as they should.
  for (const key in value) {
    if (++keys > limits.maxKeys || key === '__proto__' || key === 'constructor' || key === 'prototype') return false;
    budget.bytes += key.length + 4;
    if (!fits((value as Record<string, unknown>)[key], limits, depth + 1, budget) || budget.bytes > limits.maxBytes)
      return false;
  }
  return true;
}

function visit(value: unknown, walk: Walk, path: (string | number)[], depth: number): void {
  if (walk.issues.length >= MAX_ISSUES) return;
  const { limits } = walk;
  if (typeof value === 'string') {
    walk.bytes += value.length + 2;
    if (value.length > limits.maxStringLength) {
      report(
        walk,
        path,
        `String is longer than ${limits.maxStringLength} characters`,
        `length <= ${limits.maxStringLength}`,
        `length ${value.length}`,
      );
    }
  } else if (typeof value === 'object' && value !== null) {
    if (depth >= limits.maxDepth) {
      report(
        walk,
        path,
        `Nested deeper than ${limits.maxDepth} levels`,
        `depth <= ${limits.maxDepth}`,
        `depth > ${limits.maxDepth}`,
      );
      return;
    }
    if (Array.isArray(value)) {
      walk.bytes += 2 + value.length;
      if (value.length > limits.maxArrayLength) {
        report(
          walk,
          path,
          `Array has more than ${limits.maxArrayLength} items`,
          `length <= ${limits.maxArrayLength}`,
          `length ${value.length}`,
        );
        return;
      }
      for (let i = 0; i < value.length && walk.bytes <= limits.maxBytes; i++) {
        path.push(i);
        visit(value[i], walk, path, depth + 1);
        path.pop();
      }
    } else if (isPlainObject(value)) {
      const keys = Object.keys(value);
      walk.bytes += 2 + keys.length;
      if (keys.length > limits.maxKeys) {
        report(
          walk,
          path,
          `Object has more than ${limits.maxKeys} keys`,
          `keys <= ${limits.maxKeys}`,
          `${keys.length} keys`,
        );
        return;
      }
      for (const key of keys) {
        walk.bytes += key.length + 3;
        if (FORBIDDEN_KEYS.has(key)) {
          report(
            walk,
            [...path, key],
            `Key "${key}" is not allowed`,
            'a key other than __proto__, constructor, prototype',
            JSON.stringify(key),
          );
          continue;
        }
        if (walk.bytes > limits.maxBytes) break;
        path.push(key);
        visit((value as Record<string, unknown>)[key], walk, path, depth + 1);
        path.pop();
      }
    }
  } else {
    walk.bytes += 8;
  }
  if (depth === 0 && walk.bytes > limits.maxBytes) {
    report(
      walk,
      [],
      `Value is larger than ${limits.maxBytes} bytes`,
      `<= ${limits.maxBytes} bytes`,
      `> ${limits.maxBytes} bytes`,
    );
  }
}

function report(
  walk: Walk,
  path: readonly (string | number)[],
  message: string,
  expected: string,
  received: string,
): void {
  walk.issues.push(issue([...path], 'limit', message, expected, received));
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Checks a limits override, filling the rest from the defaults. */
export function resolveLimits(overrides: Partial<ValidationLimits> | undefined): ValidationLimits {
  return { ...DEFAULT_LIMITS, ...overrides };
}
