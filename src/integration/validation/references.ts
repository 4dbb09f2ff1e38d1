import { ConfigError, type ValidationIssue } from '../errors/internal.js';
import { issue } from './issues.js';

/** An id found in a value at a reference path. */
export type ReferenceId = string | number;

/**
 * "Every `inputs[].itemId` of a `crafting.recipe` names an existing `data.item`".
 * `resolve` receives every distinct id of one value at once and answers which exist: one query a batch.
 */
export interface ReferenceRule {
  /** Schema whose values hold the ids. */
  readonly from: string;
  /** Where the ids are: dot-separated keys, `[]` for every item of an array (`inputs[].itemId`). */
  readonly path: string;
  /** Schema (or system) the ids point at; named in the issue. */
  readonly to: string;
  resolve(ids: readonly ReferenceId[]): Iterable<ReferenceId> | Promise<Iterable<ReferenceId>>;
}

/** A reference rule with its path parsed once. */
export interface CompiledReference extends ReferenceRule {
  readonly segments: readonly string[];
}

const SEGMENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Parses `inputs[].itemId` into `['inputs', '[]', 'itemId']`; a malformed path is a ConfigError. */
export function compileReference(rule: ReferenceRule): CompiledReference {
  const segments: string[] = [];
  for (const part of rule.path.split('.')) {
    const match = /^([^[\]]+)((?:\[\])*)$/.exec(part);
    if (match === null || !SEGMENT.test(match[1] ?? '')) {
      throw new ConfigError(
        `Reference path ${JSON.stringify(rule.path)} of "${rule.from}" is malformed; use keys and [] as in "inputs[].itemId".`,
      );
    }
    segments.push(match[1] ?? '');
    for (let i = 0; i < (match[2] ?? '').length / 2; i++) segments.push('[]');
  }
  return { ...rule, segments };
}

/**
 * Every id at the rule's path in `value`, with where it stands. Missing keys and non-arrays are skipped: the schema
 * judges shape.
 */
export function collectIds(
  value: unknown,
  segments: readonly string[],
): Array<{ path: (string | number)[]; id: ReferenceId }> {
  const found: Array<{ path: (string | number)[]; id: ReferenceId }> = [];
  const walk = (node: unknown, index: number, path: (string | number)[]): void => {
    if (index === segments.length) {
      if (typeof node === 'string' || typeof node === 'number') found.push({ path, id: node });
      return;
    }
    const segment = segments[index];
    if (segment === '[]') {
      if (Array.isArray(node)) node.forEach((item, i) => walk(item, index + 1, [...path, i]));
    } else if (typeof node === 'object' && node !== null && segment !== undefined && Object.hasOwn(node, segment)) {
      walk((node as Record<string, unknown>)[segment], index + 1, [...path, segment]);
    }
  };
  walk(value, 0, []);
  return found;
}

/** Checks one rule against one value: one `resolve` call for all its distinct ids. */
export async function checkReference(rule: CompiledReference, value: unknown): Promise<ValidationIssue[]> {
  const found = collectIds(value, rule.segments);
  if (found.length === 0) return [];
  const distinct = [...new Set(found.map((f) => f.id))];
  const existing = new Set(await rule.resolve(distinct));
  return found
    .filter((f) => !existing.has(f.id))
    .map((f) =>
      issue(
        f.path,
        'reference',
        `unknown ${rule.to} ${JSON.stringify(f.id)}`,
        `an existing ${rule.to}`,
        JSON.stringify(f.id),
      ),
    );
}
