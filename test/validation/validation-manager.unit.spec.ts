import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, ConflictError, NotFoundError, ValidationError } from 'weft/internal';
import { ValidationManager, type Schema } from 'weft/internal';

const recipe = z.object({
  id: z.string().min(1),
  inputs: z.array(z.object({ itemId: z.string(), count: z.int().min(1).max(99) })).min(1),
  output: z.string(),
  station: z.enum(['forge', 'loom']),
});

function manager(): ValidationManager {
  const validation = new ValidationManager();
  validation.registerSchema('crafting.recipe', recipe, { owner: 'crafting' });
  return validation;
}

describe('ValidationManager: schemas and issues', () => {
  it('returns the parsed value for valid data', () => {
    const value = { id: 'sword', inputs: [{ itemId: 'iron', count: 2 }], output: 'sword', station: 'forge' };
    expect(manager().validateData('crafting.recipe', value)).toEqual({ ok: true, value, warnings: [] });
    expect(manager().validate('crafting.recipe', value)).toBe(true);
  });

  it('reports every issue with path (array and text), code, message, expected and received', () => {
    const result = manager().validateData('crafting.recipe', {
      id: 'sword',
      inputs: [
        { itemId: 'iron', count: 2 },
        { itemId: 7, count: 1.5 },
      ],
      output: 'sword',
      station: 'oven',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: ['inputs', 1, 'itemId'],
          pathText: '$.inputs[1].itemId',
          code: 'invalid_type',
          expected: 'string',
          received: 'number 7',
        }),
        expect.objectContaining({
          path: ['inputs', 1, 'count'],
          pathText: '$.inputs[1].count',
          code: 'invalid_type',
          expected: 'int',
          received: 'number 1.5',
        }),
        expect.objectContaining({
          pathText: '$.station',
          code: 'invalid_value',
          expected: 'one of "forge" | "loom"',
          received: '"oven"',
        }),
      ]),
    );
    expect(result.issues.every((i) => typeof i.message === 'string' && i.message.length > 0)).toBe(true);
  });

  it('throws NotFoundError for an unknown schema name instead of answering ok: false', () => {
    expect(() => manager().validateData('crafting.nothing', {})).toThrow(NotFoundError);
  });

  it('assertValid throws a 422 ValidationError carrying the issues, and returns the value otherwise', () => {
    const error = (() => {
      try {
        manager().assertValid('crafting.recipe', { id: '' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ status: 422, code: 'WEFT_VALIDATION' });
    expect((error as ValidationError).issues.map((i) => i.pathText)).toEqual(
      expect.arrayContaining(['$.id', '$.inputs', '$.output', '$.station']),
    );
    expect((error as Error).message).toContain('$.id:');
  });

  it('keeps every version readable and refuses a changed schema without a new version', () => {
    const validation = manager();
    validation.registerSchema('crafting.recipe', recipe, { owner: 'crafting' }); // same schema again: no-op
    expect(() => validation.registerSchema('crafting.recipe', z.object({ id: z.string() }))).toThrow(ConflictError);
    validation.registerSchema('crafting.recipe', z.object({ id: z.string(), tier: z.int() }), {
      version: 2,
      owner: 'crafting',
    });
    expect(validation.validate('crafting.recipe', { id: 'a', tier: 1 })).toBe(true);
    expect(validation.validateData('crafting.recipe', { id: 'a', tier: 1 }, { version: 1 }).ok).toBe(false);
    expect(() => validation.validateData('crafting.recipe', {}, { version: 3 })).toThrow(
      /has no version 3; registered: 1, 2/,
    );
  });

  it('accepts any Standard Schema validator, not only Zod', () => {
    const evenNumber: Schema<number> = {
      '~standard': {
        version: 1,
        vendor: 'handmade',
        validate: (value) =>
          typeof value === 'number' && value % 2 === 0
            ? { value }
            : { issues: [{ message: 'must be even', path: ['n'] }] },
      },
    };
    const validation = new ValidationManager();
    validation.registerSchema('data.even', evenNumber);
    expect(validation.validateData('data.even', 4)).toEqual({ ok: true, value: 4, warnings: [] });
    expect(validation.validateData('data.even', 3)).toMatchObject({
      ok: false,
      issues: [{ pathText: '$.n', message: 'must be even' }],
    });
    expect(() => validation.toJSONSchema('data.even')).toThrow(NotFoundError);
  });

  it('refuses what is not a schema and badly formed names', () => {
    const validation = new ValidationManager();
    expect(() => validation.registerSchema('crafting.recipe', {} as Schema)).toThrow(ConfigError);
    expect(() => validation.registerSchema('Crafting Recipe', recipe)).toThrow(ConfigError);
  });

  it('exports the schema as JSON Schema', () => {
    expect(manager().toJSONSchema('crafting.recipe')).toMatchObject({
      type: 'object',
      required: ['id', 'inputs', 'output', 'station'],
      properties: { station: { enum: ['forge', 'loom'] } },
    });
  });

  it('keeps the most recent failures per name, bounded, with time and correlation id', () => {
    let correlation = 'req-1';
    const validation = new ValidationManager({ historySize: 2, correlationId: () => correlation });
    validation.registerSchema('crafting.recipe', recipe);
    validation.registerSchema('data.item', z.object({ id: z.string() }));
    validation.validate('crafting.recipe', { id: 1 });
    correlation = 'req-2';
    validation.validate('crafting.recipe', { id: 2 });
    validation.validate('crafting.recipe', { id: 3 });
    validation.validate('data.item', {});
    const recipes = validation.getValidationErrors('crafting.recipe');
    expect(recipes).toHaveLength(2);
    expect(recipes[0]).toMatchObject({ name: 'crafting.recipe', correlationId: 'req-2' });
    expect(recipes[1]?.issues[0]).toMatchObject({ received: 'number 3' });
    expect(typeof recipes[0]?.time).toBe('string');
    expect(validation.getValidationErrors()).toHaveLength(3);
  });

  it('names a wrong option, the value and what is accepted', () => {
    expect(() => new ValidationManager({ limits: { maxDepth: -1 } })).toThrow(
      /setting limits.maxDepth: .*received: number -1/,
    );
    expect(() => new ValidationManager({ histroySize: 5 } as never)).toThrow(/unknown setting histroySize/);
  });
});

describe('ValidationManager: business rules', () => {
  it('runs rules after the schema passes and adds issues of code rule, with paths where the rule gives them', () => {
    const validation = manager();
    validation.registerRule('crafting.no_self_input', {
      appliesTo: 'crafting.recipe',
      message: 'A recipe never takes its own output as an input',
      check: (value: z.infer<typeof recipe>) =>
        value.inputs.flatMap((input, i) => (input.itemId === value.output ? [{ path: ['inputs', i, 'itemId'] }] : [])),
    });
    validation.registerRule('crafting.small_recipe', {
      appliesTo: 'crafting.recipe',
      severity: 'warning',
      message: 'Big recipes confuse players',
      check: (value: z.infer<typeof recipe>) => value.inputs.length < 2,
    });
    const result = validation.validateData('crafting.recipe', {
      id: 'x',
      inputs: [
        { itemId: 'a', count: 1 },
        { itemId: 'x', count: 1 },
      ],
      output: 'x',
      station: 'forge',
    });
    expect(result).toMatchObject({
      ok: false,
      issues: [
        {
          code: 'rule',
          pathText: '$.inputs[1].itemId',
          message: 'A recipe never takes its own output as an input',
          expected: 'crafting.no_self_input',
        },
      ],
      warnings: [{ code: 'rule', pathText: '$', message: 'Big recipes confuse players' }],
    });
  });

  it('does not run rules on a value that failed its schema, and reports a throwing rule as an issue', () => {
    const validation = manager();
    let ran = 0;
    validation.registerRule('crafting.counts', {
      appliesTo: 'crafting.recipe',
      message: 'never',
      check: () => {
        ran++;
        throw new Error('rule bug');
      },
    });
    expect(validation.validate('crafting.recipe', { id: 1 })).toBe(false);
    expect(ran).toBe(0);
    const result = validation.validateData('crafting.recipe', {
      id: 'x',
      inputs: [{ itemId: 'a', count: 1 }],
      output: 'x',
      station: 'loom',
    });
    expect(result).toMatchObject({
      ok: false,
      issues: [{ code: 'rule', message: 'Rule "crafting.counts" failed to run: rule bug' }],
    });
  });

  it('runs async rules in validateCrossSystem, and says so when validateData meets one', async () => {
    const validation = manager();
    validation.registerRule('crafting.station_open', {
      appliesTo: 'crafting.recipe',
      message: 'station closed',
      check: (value: z.infer<typeof recipe>) => Promise.resolve(value.station === 'forge'),
    });
    const loom = { id: 'x', inputs: [{ itemId: 'a', count: 1 }], output: 'x', station: 'loom' };
    expect(() => validation.validateData('crafting.recipe', loom)).toThrow(
      /asynchronous; validate with validateCrossSystem/,
    );
    expect(await validation.validateCrossSystem('crafting.recipe', loom)).toMatchObject({
      ok: false,
      issues: [{ code: 'rule', message: 'station closed' }],
    });
  });
});

describe('ValidationManager: cross-system references', () => {
  it('resolves all ids of a value in one call and reports each unknown one where it stands', async () => {
    const validation = manager();
    validation.registerSchema('data.item', z.object({ id: z.string() }), { owner: 'data' });
    const calls: Array<readonly (string | number)[]> = [];
    const items = new Set(['iron', 'wood']);
    validation.registerReference({
      from: 'crafting.recipe',
      path: 'inputs[].itemId',
      to: 'data.item',
      resolve: (ids) => {
        calls.push(ids);
        return ids.filter((id) => items.has(String(id)));
      },
    });
    const value = {
      id: 'axe',
      inputs: [
        { itemId: 'iron', count: 1 },
        { itemId: 'wood', count: 1 },
        { itemId: 'iron_ore', count: 2 },
        { itemId: 'iron', count: 1 },
      ],
      output: 'axe',
      station: 'forge',
    };
    const result = await validation.validateCrossSystem('crafting.recipe', value);
    expect(calls).toEqual([['iron', 'wood', 'iron_ore']]);
    expect(result).toMatchObject({
      ok: false,
      issues: [
        {
          code: 'reference',
          path: ['inputs', 2, 'itemId'],
          pathText: '$.inputs[2].itemId',
          message: 'unknown data.item "iron_ore"',
        },
      ],
    });
    expect(
      await validation.validateCrossSystem('crafting.recipe', { ...value, inputs: value.inputs.slice(0, 2) }),
    ).toMatchObject({ ok: true });
  });

  it('refuses a malformed reference path', () => {
    expect(() =>
      manager().registerReference({
        from: 'crafting.recipe',
        path: 'inputs[.itemId',
        to: 'data.item',
        resolve: () => [],
      }),
    ).toThrow(ConfigError);
  });
});

describe('ValidationManager: integration lint', () => {
  it('reports events without schema, subscriptions matching nothing, rules and references naming unknown schemas, and two owners', () => {
    const validation = manager();
    validation.registerSchema('crafting.item_crafted', z.object({ itemId: z.string() }), { owner: 'crafting' });
    validation.registerSchema('crafting.item_crafted', z.object({ itemId: z.string(), n: z.int() }), {
      owner: 'economy',
      version: 2,
    });
    validation.registerReference({ from: 'crafting.recipe', path: 'output', to: 'data.item', resolve: () => [] });
    validation.registerRule('quest.rule', { appliesTo: 'quest.quest', message: 'x', check: () => true });
    const report = validation.validateIntegration({
      events: [{ type: 'crafting.item_crafted' }, { type: 'combat.monster_slain' }],
      subscriptions: [
        { pattern: 'crafting.*' },
        { pattern: '*' },
        { pattern: 'economy.gold_spent', name: 'quest-tracker' },
      ],
    });
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.code).sort()).toEqual([
      'event_without_schema',
      'reference_unknown_schema',
      'rule_unknown_schema',
      'schema_two_owners',
      'subscription_matches_nothing',
    ]);
    expect(report.problems.find((p) => p.code === 'subscription_matches_nothing')?.message).toBe(
      'Subscription "economy.gold_spent" (quest-tracker) matches no published event type.',
    );
  });

  it('passes a clean wiring', () => {
    const validation = manager();
    validation.registerSchema('crafting.item_crafted', z.object({ itemId: z.string() }), { owner: 'crafting' });
    expect(
      validation.validateIntegration({
        events: [{ type: 'crafting.item_crafted' }],
        subscriptions: [{ pattern: 'crafting.item_crafted' }],
      }),
    ).toEqual({ ok: true, problems: [] });
  });
});
