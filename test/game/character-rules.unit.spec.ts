import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConflictError } from 'weft';
import { withItems, withoutItems, withXp } from '../../src/game/systems/character/rules.js';
import type { Character, Inventory } from '../../src/game/systems/character/schemas.js';

const itemId = fc.constantFrom('wood', 'plank', 'copper_ore', 'bread');
const stacks = fc.array(fc.record({ itemId, count: fc.integer({ min: 1, max: 50 }) }), { maxLength: 8 });
const inventory: fc.Arbitrary<Inventory> = fc.dictionary(itemId, fc.integer({ min: 1, max: 100 }));

const mira: Character = {
  id: 'c1',
  ownerId: 'u1',
  name: 'Mira',
  class: 'warrior',
  level: 1,
  xp: 0,
  hp: 50,
  maxHp: 120,
  region: 'greenvale',
  inventory: {},
  createdAt: '2026-12-06T00:00:00.000Z',
};
const curve = { xpThresholds: [100, 250, 500], hpPerLevel: 12 };

describe('the character rules', () => {
  it('takes back exactly what was given, leaving no empty stack, and never changes its input', () => {
    fc.assert(
      fc.property(inventory, stacks, (start, given) => {
        const frozen = structuredClone(start);
        const richer = withItems(start, given);
        expect(withoutItems(richer, given)).toEqual(start);
        expect(start).toEqual(frozen);
        expect(Object.values(withoutItems(richer, given)).every((count) => count > 0)).toBe(true);
      }),
    );
  });

  it('refuses to take more than there is, naming each item short, and takes nothing', () => {
    fc.assert(
      fc.property(inventory, stacks, (start, wanted) => {
        const short = [...new Set(wanted.map((s) => s.itemId))].filter(
          (id) => wanted.filter((s) => s.itemId === id).reduce((sum, s) => sum + s.count, 0) > (start[id] ?? 0),
        );
        if (short.length === 0) return;
        const frozen = structuredClone(start);
        const refused = (() => {
          try {
            withoutItems(start, wanted);
            return undefined;
          } catch (error) {
            return error;
          }
        })();
        expect(refused).toBeInstanceOf(ConflictError);
        const missing = (refused as ConflictError).details.missing as Array<{ itemId: string }>;
        expect(missing.map((m) => m.itemId).sort()).toEqual([...short].sort());
        expect(start).toEqual(frozen);
      }),
    );
  });

  it('levels by total xp on the curve, never down, healing fully on a level-up only', () => {
    expect(withXp(mira, 99, curve)).toEqual({ character: { ...mira, xp: 99 }, gained: 0 });
    expect(withXp(mira, 260, curve)).toEqual({
      character: { ...mira, xp: 260, level: 3, maxHp: 144, hp: 144 },
      gained: 2,
    });
    expect(withXp({ ...mira, level: 4, xp: 600, maxHp: 156 }, 10, curve)).toMatchObject({
      character: { level: 4, xp: 610, maxHp: 156, hp: 50 },
      gained: 0,
    });
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 10 }), (gains) => {
        let character = mira;
        for (const xp of gains) {
          const after = withXp(character, xp, curve).character;
          expect(after.level).toBeGreaterThanOrEqual(character.level);
          expect(after.xp).toBe(character.xp + xp);
          character = after;
        }
      }),
    );
  });
});
