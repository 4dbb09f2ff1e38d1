import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationManager } from 'weft/internal';
import { hostileJunk, jsonView, materialize } from './hostile-values.js';
import { arbitraryFor, leafPaths, replaceAt } from './json-schema-arbitrary.js';

/** Schemas shaped like game data: every one is fuzzed the same way. */
const schemas = {
  'combat.monster_slain': z.object({
    monsterId: z.string().min(1).max(40),
    killerId: z.string().min(1),
    level: z.int().min(1).max(100),
    position: z.object({ x: z.number().min(-1e4).max(1e4), y: z.number().min(-1e4).max(1e4) }),
    tags: z.array(z.string().max(20)).max(8),
    rarity: z.enum(['common', 'rare', 'epic']),
    elite: z.boolean(),
  }),
  'crafting.recipe': z.object({
    id: z.string().min(1),
    inputs: z
      .array(z.object({ itemId: z.string().min(1), count: z.int().min(1).max(99) }))
      .min(1)
      .max(6),
    output: z.string().min(1),
  }),
  'economy.wallet': z.object({
    owner: z.string(),
    gold: z.int().min(0),
    history: z.array(z.object({ delta: z.int(), reason: z.enum(['loot', 'trade', 'craft']) })),
  }),
};

const validation = new ValidationManager();
for (const [name, schema] of Object.entries(schemas)) validation.registerSchema(name, schema);
validation.registerSchema('data.any', z.unknown());

describe.each(Object.keys(schemas))('fuzzing %s', (name) => {
  const valid = arbitraryFor(validation.toJSONSchema(name));

  it('accepts every value generated from the schema', () => {
    fc.assert(fc.property(valid, (value) => validation.validateData(name, value).ok));
  });

  it('rejects a value with one leaf mutated to the wrong type, with an issue at the mutation', () => {
    const mutated = valid.chain((value) => fc.constantFrom(...leafPaths(value)).map((path) => ({ value, path })));
    fc.assert(
      fc.property(
        mutated,
        fc.constantFrom<unknown>(null, { nested: true }, [1, 2], Symbol.for('x')),
        ({ value, path }, wrong) => {
          const result = validation.validateData(name, replaceAt(value, path, wrong));
          expect(result.ok).toBe(false);
          if (result.ok) return;
          expect(result.issues.map((issue) => issue.path)).toContainEqual(path);
        },
      ),
    );
  });

  it('never throws on random junk: class instances, throwing getters and Proxy traps included', () => {
    fc.assert(
      fc.property(hostileJunk, (described) => {
        const result = validation.validateData(name, materialize(described));
        expect(typeof result.ok).toBe('boolean');
      }),
    );
  });
});

describe('a permissive schema', () => {
  it('never throws, and passes only what JSON writes back exactly', () => {
    fc.assert(
      fc.property(hostileJunk, (described) => {
        const junk = materialize(described);
        const result = validation.validateData('data.any', junk);
        // undefined at the root is no value, left to the schema (z.unknown takes it).
        if (!result.ok || junk === undefined) return;
        // What passed is JSON data: written and read back, it is the same (an undefined property being an absent one).
        expect(isDeepStrictEqual(JSON.parse(JSON.stringify(junk)), jsonView(junk))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
