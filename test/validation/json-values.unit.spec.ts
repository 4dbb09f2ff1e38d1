import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationManager } from 'weft/internal';

/** Schemas that take anything: what the limits walk lets through, they store. */
function manager(limits = {}): ValidationManager {
  const validation = new ValidationManager({ limits });
  validation.registerSchema('data.any', z.any());
  validation.registerSchema('data.unknown', z.unknown());
  validation.registerSchema('data.record', z.record(z.string(), z.unknown()));
  return validation;
}

function issuesOf(validation: ValidationManager, name: string, value: unknown) {
  const result = validation.validateData(name, value);
  return result.ok ? [] : result.issues;
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

const sparse: unknown[] = [1];
sparse[2] = 3;

/** Each value JSON would not write back as it is, and what it would become. */
const notJson: Array<[label: string, value: unknown]> = [
  ['NaN (null)', Number.NaN],
  ['Infinity (null)', Number.POSITIVE_INFINITY],
  ['-Infinity (null)', Number.NEGATIVE_INFINITY],
  ['-0 (0)', -0],
  ['a Date (a string)', new Date(0)],
  ['a Map ({})', new Map([['a', 1]])],
  ['a Set ({})', new Set([1])],
  ['a BigInt (a TypeError)', 10n],
  ['a function (nothing)', () => 1],
  ['a symbol (nothing)', Symbol('s')],
  ['a class instance (a plain object)', new Point(1, 2)],
  ['Object.create(proto) (its own keys only)', Object.create({ inherited: 1 }) as unknown],
  ['a typed array ({"0":1})', new Uint8Array([1])],
  ['a boxed string (a string)', Object('text') as unknown],
  ['a RegExp ({})', /x/],
  ['an Error ({})', new Error('e')],
];

describe('values JSON cannot carry are refused, at their path, on every boundary that validates', () => {
  it.each(notJson)('refuses %s under a permissive schema', (_label, value) => {
    const validation = manager();
    for (const name of ['data.any', 'data.unknown', 'data.record']) {
      expect(issuesOf(validation, name, { deep: { value } })).toEqual([
        expect.objectContaining({ code: 'not_json', pathText: '$.deep.value' }),
      ]);
    }
    expect(issuesOf(validation, 'data.any', [0, [value]])).toEqual([
      expect.objectContaining({ code: 'not_json', pathText: '$[1][0]' }),
    ]);
  });

  it('refuses undefined and holes inside arrays, and keeps an undefined property as an absent one', () => {
    const validation = manager();
    expect(issuesOf(validation, 'data.any', { list: [1, undefined] })).toEqual([
      expect.objectContaining({ code: 'not_json', pathText: '$.list[1]' }),
    ]);
    expect(issuesOf(validation, 'data.any', { list: sparse })).toEqual([
      expect.objectContaining({ code: 'not_json', pathText: '$.list[1]', received: 'a hole' }),
    ]);
    expect(validation.validateData('data.any', { present: 1, absent: undefined }).ok).toBe(true);
    expect(validation.validateData('data.any', undefined).ok).toBe(true);
  });

  it('says what to send instead, and what it received', () => {
    const [date] = issuesOf(manager(), 'data.any', { at: new Date(0) });
    expect(date).toMatchObject({ received: 'Date', message: expect.stringContaining('toISOString') as string });
    const [nan] = issuesOf(manager(), 'data.any', { n: Number.NaN });
    expect(nan).toMatchObject({ received: 'number NaN', expected: 'a finite number' });
    const [point] = issuesOf(manager(), 'data.any', { p: new Point(1, 2) });
    expect(point).toMatchObject({ received: 'Point' });
  });

  it('accepts plain JSON data, null-prototype objects and lone surrogates in strings (JSON escapes them)', () => {
    const validation = manager();
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    for (const value of [null, true, 0, -1.5, 'x\uD801y', [], {}, bare, { a: [1, { b: null }] }])
      expect(validation.validateData('data.any', value)).toMatchObject({ ok: true });
  });
});

describe('limits apply to every value, and validation never throws', () => {
  it('refuses large typed arrays, Maps and Sets without walking them', () => {
    const validation = manager();
    const huge = [new Float64Array(5_000_000), new Map(Array.from({ length: 200_000 }, (_, i) => [i, i]))];
    const started = performance.now();
    for (const value of huge)
      expect(issuesOf(validation, 'data.any', { value })).toEqual([expect.objectContaining({ code: 'not_json' })]);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('turns a throwing getter into an issue at its path', () => {
    const validation = manager();
    const trap = {
      ok: 1,
      get boom(): never {
        throw new Error('getter exploded');
      },
    };
    const issues = issuesOf(validation, 'data.any', { nested: trap });
    expect(issues).toEqual([
      expect.objectContaining({
        code: 'unreadable',
        pathText: '$.nested.boom',
        message: 'Reading this value threw: getter exploded',
      }),
    ]);
    // A getter on an array index, and one that throws something that cannot even be printed.
    const list = [1, 2];
    Object.defineProperty(list, 1, {
      get: () => {
        throw Object.create(null) as unknown;
      },
    });
    expect(issuesOf(validation, 'data.any', list)).toEqual([
      expect.objectContaining({ code: 'unreadable', pathText: '$[1]' }),
    ]);
  });

  it('says so when a getter answers differently each time it is read', () => {
    let reads = 0;
    const fickle = {
      get n(): number {
        return reads++ === 0 ? Number.NaN : 1;
      },
    };
    expect(issuesOf(manager(), 'data.any', fickle)).toEqual([
      expect.objectContaining({ code: 'unreadable', pathText: '$', message: 'The value changed while it was checked' }),
    ]);
  });

  it('refuses a Proxy, whatever its traps do, before any trap runs', () => {
    const validation = manager();
    let trapped = 0;
    const throwing = new Proxy(
      {},
      {
        get: () => {
          trapped++;
          throw new Error('get trap');
        },
        ownKeys: () => {
          trapped++;
          throw new Error('ownKeys trap');
        },
        getPrototypeOf: () => {
          trapped++;
          throw new Error('getPrototypeOf trap');
        },
      },
    );
    const revocable = Proxy.revocable([1, 2], {});
    revocable.revoke();
    const quiet = new Proxy({ a: 1 }, {});
    for (const value of [throwing, revocable.proxy, quiet]) {
      expect(issuesOf(validation, 'data.any', { value })).toEqual([
        expect.objectContaining({ code: 'not_json', pathText: '$.value', received: 'Proxy' }),
      ]);
    }
    // At the root too, against a typed schema.
    validation.registerSchema('data.score', z.object({ score: z.int() }));
    expect(issuesOf(validation, 'data.score', throwing)).toEqual([
      expect.objectContaining({ code: 'not_json', pathText: '$' }),
    ]);
    expect(trapped).toBe(0);
  });

  it('turns a rule that answers something else than its contract into an issue of that rule', () => {
    const validation = manager();
    validation.registerRule('data.confused', {
      appliesTo: 'data.unknown',
      message: 'confused',
      check: (value) => value as never,
    });
    for (const answer of ['nope', 7, [null, { path: 5 }, { path: ['a', { no: 1 }] }]]) {
      const issues = issuesOf(validation, 'data.unknown', answer);
      expect(issues.length).toBeGreaterThan(0);
      expect(issues.every((found) => found.code === 'rule')).toBe(true);
    }
  });

  it('turns a schema that throws on a value into an issue', () => {
    const validation = manager();
    validation.registerSchema(
      'data.fragile',
      z.object({ n: z.int() }).refine(() => {
        throw new Error('refinement bug');
      }),
    );
    expect(issuesOf(validation, 'data.fragile', { n: 1 })).toEqual([
      expect.objectContaining({ code: 'schema', message: expect.stringContaining('refinement bug') as string }),
    ]);
  });
});
