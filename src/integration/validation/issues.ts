import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { core } from 'zod';
import type { ValidationIssue } from '../errors/index.js';

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
export function issue(path: readonly (string | number)[], code: string, message: string, expected?: string, received?: string): ValidationIssue {
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
      return value.length > 40 ? `string(${value.length}) ${JSON.stringify(value.slice(0, 37))}...` : JSON.stringify(value);
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

/** Maps one Zod 4 issue (parsed with `reportInput`) to Weft's shape. */
export function fromZodIssue(raw: core.$ZodIssue): ValidationIssue {
  const path = keyPath(raw.path);
  const received = 'input' in raw ? describeValue(raw.input) : undefined;
  switch (raw.code) {
    case 'invalid_type':
      return issue(path, raw.code, raw.message, raw.expected, received);
    case 'too_big':
      return issue(path, raw.code, raw.message, `${raw.origin} ${raw.inclusive === false ? '<' : '<='} ${String(raw.maximum)}`, received);
    case 'too_small':
      return issue(path, raw.code, raw.message, `${raw.origin} ${raw.inclusive === false ? '>' : '>='} ${String(raw.minimum)}`, received);
    case 'invalid_value':
      return issue(path, raw.code, raw.message, `one of ${raw.values.map((v) => JSON.stringify(v)).join(' | ')}`, received);
    case 'invalid_format':
      return issue(path, raw.code, raw.message, raw.format, received);
    case 'unrecognized_keys':
      return issue(path, raw.code, raw.message, 'no other keys', raw.keys.join(', '));
    default:
      return issue(path, raw.code, raw.message, undefined, received);
  }
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
      const facts = [i.expected === undefined ? '' : `expected ${i.expected}`, i.received === undefined ? '' : `received ${i.received}`].filter(Boolean);
      return `${i.pathText}: ${i.message}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`;
    })
    .join('\n');
}
