import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationManager } from 'weft/internal';

function manager(limits = {}): ValidationManager {
  const validation = new ValidationManager({ limits });
  validation.registerSchema('data.any', z.unknown());
  validation.registerSchema('data.score', z.object({ score: z.int() }));
  return validation;
}

function limitIssues(validation: ValidationManager, value: unknown) {
  const result = validation.validateData('data.any', value);
  return result.ok ? [] : result.issues;
}

describe('limits against hostile input', () => {
  it('stops nesting past maxDepth, where it happens, and ends on a cyclic value', () => {
    const deep: Record<string, unknown> = {};
    let node = deep;
    for (let i = 0; i < 50; i++) node = node.next = {};
    expect(limitIssues(manager({ maxDepth: 10 }), deep)).toEqual([
      expect.objectContaining({ code: 'limit', pathText: `$${'.next'.repeat(10)}`, expected: 'depth <= 10' }),
    ]);
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    expect(limitIssues(manager(), cyclic)[0]).toMatchObject({ code: 'limit', message: 'Nested deeper than 32 levels' });
  });

  it('bounds arrays, strings, keys and total size', () => {
    const validation = manager({ maxArrayLength: 3, maxStringLength: 5, maxKeys: 2, maxBytes: 100 });
    expect(limitIssues(validation, { a: [1, 2, 3, 4] })).toEqual([
      expect.objectContaining({ pathText: '$.a', received: 'length 4' }),
    ]);
    expect(limitIssues(validation, { a: 'toolong' })).toEqual([
      expect.objectContaining({ pathText: '$.a', expected: 'length <= 5' }),
    ]);
    expect(limitIssues(validation, { a: 1, b: 2, c: 3 })).toEqual([
      expect.objectContaining({ pathText: '$', received: 'more than 2 keys' }),
    ]);
    expect(
      limitIssues(
        validation,
        Array.from({ length: 3 }, () => ({ s: '12345', t: ['12345', '12345'] })),
      ),
    ).toEqual([expect.objectContaining({ pathText: '$', message: 'Value is larger than 100 bytes' })]);
  });

  it('refuses __proto__, constructor and prototype keys, even when JSON.parse made them own keys', () => {
    const parsed: unknown = JSON.parse('{"item":{"__proto__":{"admin":true}},"constructor":1}');
    const issues = limitIssues(manager(), parsed);
    expect(issues.map((i) => i.pathText)).toEqual(['$.item.__proto__', '$.constructor']);
    expect(issues.every((i) => i.code === 'limit')).toBe(true);
  });

  it('rejects NaN, Infinity and unsafe integers where the schema says integer', () => {
    const validation = manager();
    for (const score of [Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, 1.5]) {
      expect(validation.validate('data.score', { score })).toBe(false);
    }
    expect(validation.validate('data.score', { score: 2 ** 53 - 1 })).toBe(true);
  });

  it('answers a large hostile value with a limit issue instead of walking all of it', () => {
    const huge = Array.from({ length: 200_000 }, (_, i) => ({ id: i, name: 'x'.repeat(20) }));
    const issues = limitIssues(manager({ maxArrayLength: 1_000_000 }), huge);
    expect(issues).toEqual([expect.objectContaining({ code: 'limit', message: 'Value is larger than 1000000 bytes' })]);
  });
});
