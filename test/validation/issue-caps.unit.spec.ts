import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError, ValidationManager } from 'weft/internal';

/** Twenty required fields: each `{}` breaks every one of them. */
const row = z.object(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`field${i}`, z.string()])));
/** 30 KB, within every limit (10,000 items): 200,000 issues for Zod. */
const hostile = Array.from({ length: 10_000 }, () => ({}));

function manager(options: ConstructorParameters<typeof ValidationManager>[0] = {}): ValidationManager {
  const validation = new ValidationManager(options);
  validation.registerSchema('data.rows', z.array(row));
  validation.registerSchema('data.any', z.unknown());
  return validation;
}

/** The heap after a full collection, in bytes. */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

describe('issues stay bounded whatever the input', () => {
  it('reports the first hundred issues of 200,000 and counts the rest, in the result and in the error', () => {
    expect(JSON.stringify(hostile).length).toBeLessThan(31_000);
    const validation = manager();
    const result = validation.validateData('data.rows', hostile);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toHaveLength(100);
    expect(result.omittedIssues).toBe(200_000 - 100);
    expect(result.issues[0]).toMatchObject({ pathText: '$[0].field0', code: 'invalid_type' });
    expect(JSON.stringify(result).length).toBeLessThan(30_000);

    const error = (() => {
      try {
        validation.assertValid('data.rows', hostile);
      } catch (thrown) {
        return thrown;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toHaveLength(100);
    expect((error as ValidationError).details).toEqual({ schema: 'data.rows', omittedIssues: 199_900 });
    expect((error as ValidationError).message).toMatch(/\.\.\. and 199900 more issues$/);
    expect((error as ValidationError).message.length).toBeLessThan(20_000);
  }, 30_000);

  it('bounds the issues of a rule that reports a violation per item, synchronous or not', async () => {
    const validation = manager();
    validation.registerSchema('data.list', z.array(z.int()));
    validation.registerRule<number[]>('data.all_odd', {
      appliesTo: 'data.list',
      message: 'must be odd',
      check: (list) => list.flatMap((n, i) => (n % 2 === 1 ? [] : Array.from({ length: 50 }, () => ({ path: [i] })))),
    });
    const evens = Array.from({ length: 10_000 }, () => 2);
    for (const result of [
      validation.validateData('data.list', evens),
      await validation.validateCrossSystem('data.list', evens),
    ]) {
      expect(result).toMatchObject({ ok: false, omittedIssues: 500_000 - 100 });
      expect(result.ok ? [] : result.issues).toHaveLength(100);
    }
  });

  it('cuts long messages, expected and received texts', () => {
    const validation = manager();
    validation.registerSchema('data.strict', z.strictObject({}));
    validation.registerRule('data.loud', {
      appliesTo: 'data.any',
      message: 'x'.repeat(100_000),
      check: () => {
        throw new Error('y'.repeat(100_000));
      },
    });
    const keys = Object.fromEntries(Array.from({ length: 900 }, (_, i) => [`unexpected_key_number_${i}`, i]));
    for (const result of [validation.validateData('data.any', 1), validation.validateData('data.strict', keys)]) {
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      for (const found of result.issues) {
        for (const text of [found.message, found.expected ?? '', found.received ?? '', found.pathText])
          expect(text.length).toBeLessThanOrEqual(500);
      }
    }
    const strict = validation.validateData('data.strict', keys);
    expect(strict.ok ? '' : strict.issues[0]?.received).toMatch(/^unexpected_key_number_0, .*\(\d+ more characters\)$/);
  });

  it('keeps at most historyBytes of issues per schema in the failure log', () => {
    const validation = manager({ historyBytes: 64 * 1024 });
    for (let i = 0; i < 4; i++) validation.validateData('data.rows', hostile);
    const kept = validation.getValidationErrors('data.rows');
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(4);
    expect(JSON.stringify(kept).length).toBeLessThan(64 * 1024);
    expect(kept.every((failure) => failure.omittedIssues === 199_900)).toBe(true);
  }, 30_000);

  it('holds the heap steady over many failures of that input', () => {
    const validation = manager();
    validation.validateData('data.rows', hostile);
    const before = heapAfterGc();
    let grown = 0;
    for (let i = 0; i < 8; i++) {
      validation.validateData('data.rows', hostile);
      grown = heapAfterGc() - before;
      // Unbounded, each failure keeps 155 MB: stop at the first sign rather than exhaust the machine.
      if (grown > 20_000_000) break;
    }
    expect(grown).toBeLessThan(20_000_000);
  }, 30_000);
});
