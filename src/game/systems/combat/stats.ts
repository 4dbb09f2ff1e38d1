import type { CharacterSide } from './schemas.js';

/** What the stats are computed from: a class's attack and defense at level 1 and per level after. */
export interface ClassStats {
  readonly id: string;
  readonly base: { readonly attack: number; readonly defense: number };
  readonly perLevel: { readonly attack: number; readonly defense: number };
}

/** What the stats read of an item: its kind, and the attack of a weapon or the defense of an armor. */
export interface GearStats {
  readonly id: string;
  readonly kind: string;
  readonly stats?: { readonly attack?: number | undefined; readonly defense?: number | undefined } | undefined;
}

/** What the stats read of a character. */
export interface Fighter {
  readonly class: string;
  readonly level: number;
  readonly hp: number;
  readonly inventory: Readonly<Record<string, number>>;
}

/**
 * A character's side of a fight: its class's base plus per level x (level - 1) for attack and
 * defense, plus the attack of the best weapon and the defense of the best armor it holds.
 * @example characterSide(hero, warrior, items) // { attack: 14, defense: 6, weaponId: 'copper_sword', ... }
 */
export function characterSide(
  fighter: Fighter,
  characterClass: ClassStats,
  items: readonly GearStats[],
): CharacterSide {
  const held = items.filter((item) => (fighter.inventory[item.id] ?? 0) > 0);
  const weapon = best(held, 'weapon', (item) => item.stats?.attack ?? 0);
  const armor = best(held, 'armor', (item) => item.stats?.defense ?? 0);
  const levels = fighter.level - 1;
  return {
    class: characterClass.id,
    level: fighter.level,
    hp: fighter.hp,
    attack: characterClass.base.attack + characterClass.perLevel.attack * levels + (weapon?.stats?.attack ?? 0),
    defense: characterClass.base.defense + characterClass.perLevel.defense * levels + (armor?.stats?.defense ?? 0),
    weaponId: weapon?.id ?? null,
    armorId: armor?.id ?? null,
  };
}

/**
 * The held item of a kind with the highest score; a tie goes to the smaller id, so the choice never
 * depends on the order of the inventory.
 */
function best(held: readonly GearStats[], kind: string, score: (item: GearStats) => number): GearStats | undefined {
  let found: GearStats | undefined;
  for (const item of held) {
    if (item.kind !== kind) continue;
    if (found === undefined || score(item) > score(found) || (score(item) === score(found) && item.id < found.id)) {
      found = item;
    }
  }
  return found;
}
