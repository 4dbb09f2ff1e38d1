import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { core } from 'zod';
import type { ValidationIssue } from '../errors/internal.js';

export type { ValidationIssue };

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

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

/** Builds an issue, deriving `pathText` from `path`. */
export function issue(
  path: readonly (string | number)[],
  code: string,
  message: string,
  expected?: string,
  received?: string,
): ValidationIssue {
  return {
    path,
    pathText: formatPath(path),
    code,
    message,
    ...(expected === undefined ? {} : { expected }),
    ...(received === undefined ? {} : { received }),
  };
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
      return 'object';
    default:
      return typeof value;
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
  const received = raw.code === 'unrecognized_keys' ? undefined : describeValue(valueAt(root, path));
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

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

/** Maps an issue of any Standard Schema validator (Valibot, ArkType, ...). */
export function fromStandardIssue(raw: StandardSchemaV1.Issue): ValidationIssue {
  const path = keyPath((raw.path ?? []).map((segment) => (typeof segment === 'object' ? segment.key : segment)));
  return issue(path, 'invalid', raw.message);
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
