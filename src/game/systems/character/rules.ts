import { ConflictError } from '../../../integration/index.js';
import type { Character, Inventory, ItemStack } from './schemas.js';

/** What a class gives a character as it levels: the xp each level needs in all, and the hp each adds. */
export interface LevelCurve {
  /** Level n + 1 needs `xpThresholds[n - 1]` xp in all. */
  readonly xpThresholds: readonly number[];
  readonly hpPerLevel: number;
}

/** The stacks added up into an inventory (a starting kit, a craft's output, loot). */
export function withItems(inventory: Inventory, stacks: readonly ItemStack[]): Inventory {
  const result = { ...inventory };
  for (const stack of stacks) result[stack.itemId] = (result[stack.itemId] ?? 0) + stack.count;
  return result;
}

/** The stacks taken out of an inventory; a ConflictError naming each item short (the inventory never goes negative). */
export function withoutItems(inventory: Inventory, stacks: readonly ItemStack[]): Inventory {
  const needed = new Map<string, number>();
  for (const stack of stacks) needed.set(stack.itemId, (needed.get(stack.itemId) ?? 0) + stack.count);
  const missing = [...needed].flatMap(([itemId, count]) => {
    const have = inventory[itemId] ?? 0;
    return have >= count ? [] : [{ itemId, needed: count, have }];
  });
  if (missing.length > 0) {
    throw new ConflictError(
      `Not enough items: ${missing.map((m) => `${m.itemId} (${m.have} of ${m.needed})`).join(', ')}.`,
      { details: { missing } },
    );
  }
  const result = { ...inventory };
  for (const [itemId, count] of needed) {
    const left = (result[itemId] ?? 0) - count;
    if (left > 0) result[itemId] = left;
    else delete result[itemId];
  }
  return result;
}

/** The character after gaining `xp`: its level from its total on the curve (never lower), a level-up healing fully. */
export function withXp(character: Character, xp: number, curve: LevelCurve): { character: Character; gained: number } {
  const total = character.xp + xp;
  let level = 1;
  while (level - 1 < curve.xpThresholds.length && total >= (curve.xpThresholds[level - 1] ?? Infinity)) level++;
  const gained = Math.max(0, level - character.level);
  const maxHp = character.maxHp + gained * curve.hpPerLevel;
  return {
    character: {
      ...character,
      xp: total,
      level: Math.max(character.level, level),
      maxHp,
      hp: gained > 0 ? maxHp : character.hp,
    },
    gained,
  };
}
