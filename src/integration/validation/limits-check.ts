import { types } from 'node:util';
import type { ValidationIssue } from '../errors/internal.js';
import { errorText, issue } from './issues.js';
import { limitIssues } from './limit-issues.js';
import type { ValidationLimits } from './limits.js';

/** What `leaf` and `node` answer for a value that breaks a limit or that JSON would not keep. */
const FAILS = -1;
/** What `leaf` answers for an object or an array: `node` walks it. */
const WALK = -2;

const NONE: ValidationIssue[] = [];

/**
 * Checks `value` against the limits and that JSON carries it exactly, in one bounded pass: it never
 * descends past `maxDepth` (so cycles end too) and stops once the size is exceeded. Returns issues
 * of code `limit`, `not_json` (NaN, -0, a BigInt, a Date, a Map, a Proxy, undefined in an array...)
 * or `unreadable` (a getter that threw). Never throws. `undefined` at the root means no value, and
 * a property holding `undefined` is an absent one: both are left to the schema.
 */
export function checkLimits(value: unknown, limits: ValidationLimits): ValidationIssue[] {
  if (value === undefined) return NONE;
  // Most values are fine: answer those with a pass that builds no paths, and walk again for the details only when one
  // is not (or when reading it threw: the detailed walk reads each property on its own and says which one).
  let thrown: { error: unknown } | undefined;
  try {
    let bytes = leaf(value, limits, 0);
    if (bytes === WALK) bytes = node(value as object, limits, 0, 0);
    if (bytes !== FAILS && bytes <= limits.maxBytes) return NONE;
  } catch (error) {
    thrown = { error };
  }
  const issues = limitIssues(value, limits);
  if (issues.length > 0) return issues;
  // The first pass failed but the second found nothing: a getter that answers differently each time. Say so.
  return [
    thrown === undefined
      ? issue([], 'unreadable', 'The value changed while it was checked', 'a value that reads the same each time')
      : issue([], 'unreadable', `Reading the value threw: ${errorText(thrown.error)}`),
  ];
}

/*
 * The first pass: the approximate JSON size so far once `value` is counted, or FAILS. Leaves are
 * checked in the loops of `node` rather than by a call of `node` each, and the size travels as a
 * number rather than in an object: on the payload of `npm run bench -- validation` that paid for the
 * JSON checks. It may throw (a getter, a Proxy trap): the caller then walks again for the details.
 */

/** A string, number, boolean or null: the size once it is counted, or FAILS; WALK for an object or array. */
function leaf(value: unknown, limits: ValidationLimits, bytes: number): number {
  switch (typeof value) {
    case 'string':
      return value.length <= limits.maxStringLength ? bytes + value.length + 2 : FAILS;
    case 'number':
      // NaN and the infinities make `value - value` NaN; -0 is the one zero whose reciprocal is negative. JSON writes
      // back neither as it was.
      return value - value === 0 && (value !== 0 || 1 / value > 0) ? bytes + 8 : FAILS;
    case 'boolean':
      return bytes + 8;
    case 'object':
      return value === null ? bytes + 8 : WALK;
    default:
      // undefined (met only in arrays: a property holding it is skipped), bigint, symbol, function: not JSON.
      return FAILS;
  }
}

/** An object or array and everything in it: the size once it is counted, or FAILS. */
function node(value: object, limits: ValidationLimits, depth: number, bytes: number): number {
  // A Proxy can answer differently each time it is read, so what passed here need not be what the schema sees.
  if (depth >= limits.maxDepth || types.isProxy(value)) return FAILS;
  const proto: unknown = Object.getPrototypeOf(value);
  const maxBytes = limits.maxBytes;
  if (Array.isArray(value)) {
    if (proto !== Array.prototype || value.length > limits.maxArrayLength) return FAILS;
    bytes += 2 + value.length;
    // A hole reads as undefined, so sparse arrays fail here too.
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const before = bytes;
      bytes = leaf(item, limits, before);
      if (bytes === WALK) bytes = node(item as object, limits, depth + 1, before);
      if (bytes === FAILS || bytes > maxBytes) return FAILS;
    }
    return bytes;
  }
  // A Date, Map, Set, typed array or class instance: JSON would write something else (a string, `{}`), or nothing.
  if (proto !== Object.prototype && proto !== null) return FAILS;
  let keys = 0;
  // for...in also meets keys inherited from a polluted Object.prototype: those fail here too, as they should.
  for (const key in value) {
    if (++keys > limits.maxKeys || key === '__proto__' || key === 'constructor' || key === 'prototype') return FAILS;
    const item = (value as Record<string, unknown>)[key];
    // A property holding undefined is an absent one: JSON leaves it out, and reading it back gives undefined again.
    if (item === undefined) continue;
    const before = bytes + key.length + 4;
    bytes = leaf(item, limits, before);
    if (bytes === WALK) bytes = node(item as object, limits, depth + 1, before);
    if (bytes === FAILS || bytes > maxBytes) return FAILS;
  }
  return bytes;
}
