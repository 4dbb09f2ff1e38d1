import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import type { FightInputs, LootStack, Outcome, Round, Strike } from './schemas.js';

/** After this many rounds with both sides standing, the fight is a draw. */
export const ROUND_CAP = 50;

/** Seeds are 31-bit non-negative integers: xoroshiro128plus takes a 32-bit seed, and they stay plain JSON numbers. */
export const SEED_LIMIT = 0x8000_0000;

/** Loot chances are compared in millionths, so a chance of 0.8 is exact whatever the float. */
const CHANCE_SCALE = 1_000_000;

interface Fighter {
  readonly level: number;
  readonly attack: number;
  readonly defense: number;
}

/**
 * Runs a fight: the same seed and inputs always give the same rounds and outcome, so a stored fight
 * can be replayed. Every random draw comes from one xoroshiro128plus stream, in a fixed order: the
 * strikes round by round, then (on a win) each loot entry in table order, then the gold.
 * @example resolveFight(42, { character, monster }).result // 'won'
 */
export function resolveFight(seed: number, inputs: FightInputs): Outcome {
  const rng = xoroshiro128plus(seed);
  const { character, monster } = inputs;
  let characterHp = character.hp;
  let monsterHp = monster.hp;
  const rounds: Round[] = [];
  while (characterHp > 0 && monsterHp > 0 && rounds.length < ROUND_CAP) {
    // The character has the initiative: a monster that falls does not strike back.
    const strikes: Strike[] = [strike(rng, 'character', character, monster)];
    monsterHp = Math.max(0, monsterHp - (strikes[0]?.damage ?? 0));
    if (monsterHp > 0) {
      const back = strike(rng, 'monster', monster, character);
      strikes.push(back);
      characterHp = Math.max(0, characterHp - back.damage);
    }
    rounds.push({ round: rounds.length + 1, strikes, characterHp, monsterHp });
  }
  const result = monsterHp === 0 ? 'won' : characterHp === 0 ? 'lost' : 'draw';
  const hpLost = character.hp - characterHp;
  if (result !== 'won') return { result, rounds, xp: 0, hpLost, loot: [], gold: 0 };
  const loot = rollLoot(rng, inputs.monster.loot);
  const gold = uniformInt(rng, monster.gold.min, Math.max(monster.gold.min, monster.gold.max));
  return { result, rounds, xp: monster.xp, hpLost, loot, gold };
}

/**
 * One blow. It lands with 80% odds, 5 points more or less per level of difference, within 50% to 95%;
 * it does the attack plus up to a quarter more, less the defense, and at least 1, so every fight ends.
 */
function strike(rng: RandomGenerator, by: Strike['by'], attacker: Fighter, defender: Fighter): Strike {
  const chance = Math.min(95, Math.max(50, 80 + 5 * (attacker.level - defender.level)));
  const hit = uniformInt(rng, 1, 100) <= chance;
  if (!hit) return { by, hit, damage: 0 };
  const swing = attacker.attack + uniformInt(rng, 0, Math.floor(attacker.attack / 4));
  return { by, hit, damage: Math.max(1, swing - defender.defense) };
}

/** Each entry of the table drops with its chance, in a count from its range; one stack per item. */
function rollLoot(rng: RandomGenerator, table: FightInputs['monster']['loot']): LootStack[] {
  const counts = new Map<string, number>();
  for (const entry of table) {
    const dropped = uniformInt(rng, 1, CHANCE_SCALE) <= Math.round(entry.chance * CHANCE_SCALE);
    if (!dropped) continue;
    const count = uniformInt(rng, entry.min, Math.max(entry.min, entry.max));
    if (count > 0) counts.set(entry.itemId, (counts.get(entry.itemId) ?? 0) + count);
  }
  return [...counts].map(([itemId, count]) => ({ itemId, count }));
}
