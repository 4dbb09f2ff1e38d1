import { z } from 'zod';

const Id = z.string().min(1).max(64);
const ItemId = z.string().regex(/^[a-z][a-z0-9_]*$/);
const Hp = z.int().min(0);

/** A stack of one item a fight dropped. */
export const LootStack = z.strictObject({ itemId: ItemId, count: z.int().min(1) });
export type LootStack = z.infer<typeof LootStack>;

/** One blow: who struck, whether it landed, and the damage it did (0 on a miss). */
export const Strike = z.strictObject({
  by: z.enum(['character', 'monster']),
  hit: z.boolean(),
  damage: z.int().min(0),
});
export type Strike = z.infer<typeof Strike>;

/** One round: the character strikes, then the monster if it still stands; both sides' hp after it. */
export const Round = z.strictObject({
  round: z.int().min(1),
  strikes: z.array(Strike).min(1).max(2),
  characterHp: Hp,
  monsterHp: Hp,
});
export type Round = z.infer<typeof Round>;

/** The character as it went into the fight: its stats from class, level and best gear, and its hp then. */
export const CharacterSide = z.strictObject({
  class: z.string(),
  level: z.int().min(1),
  hp: z.int().min(1),
  attack: z.int().min(0),
  defense: z.int().min(0),
  /** The weapon whose attack counted, if it held any. */
  weaponId: ItemId.nullable(),
  /** The armor whose defense counted, if it held any. */
  armorId: ItemId.nullable(),
});
export type CharacterSide = z.infer<typeof CharacterSide>;

/** The monster as the content described it when the fight ran: its stats, xp, gold range and loot table. */
export const MonsterSide = z.strictObject({
  id: ItemId,
  level: z.int().min(1),
  hp: z.int().min(1),
  attack: z.int().min(0),
  defense: z.int().min(0),
  xp: z.int().min(0),
  faction: z.string(),
  gold: z.strictObject({ min: z.int().min(0), max: z.int().min(0) }),
  loot: z.array(z.strictObject({ itemId: ItemId, chance: z.number().min(0).max(1), min: z.int(), max: z.int() })),
});
export type MonsterSide = z.infer<typeof MonsterSide>;

/** Everything a fight depends on besides its seed: kept with the encounter, so a replay needs nothing else. */
export const FightInputs = z.strictObject({ character: CharacterSide, monster: MonsterSide });
export type FightInputs = z.infer<typeof FightInputs>;

/**
 * `won`: the monster fell. `lost`: the character fell. `draw`: both stood after the round cap; the
 * character withdraws with the hp it has left, and gets no xp and no loot.
 */
export const Result = z.enum(['won', 'lost', 'draw']);
export type Result = z.infer<typeof Result>;

/** What a fight came to: its rounds, and what the character gains and loses (nothing gained unless won). */
export const Outcome = z.strictObject({
  result: Result,
  rounds: z.array(Round),
  xp: z.int().min(0),
  hpLost: z.int().min(0),
  loot: z.array(LootStack),
  gold: z.int().min(0),
});
export type Outcome = z.infer<typeof Outcome>;

/** A fight as stored and served: who, where, the seed and inputs it ran from, and its outcome. */
export const Encounter = z.strictObject({
  id: z.string(),
  characterId: z.string(),
  ownerId: z.string(),
  monsterId: z.string(),
  region: z.string(),
  /** The seed of xoroshiro128plus: a 31-bit non-negative integer. */
  seed: z.int().min(0).max(0x7fff_ffff),
  inputs: FightInputs,
  ...Outcome.shape,
  at: z.string(),
});
export type Encounter = z.infer<typeof Encounter>;

/** A fight run again from its stored seed and inputs, and whether it came out the same. */
export const Replay = z.strictObject({
  encounterId: z.string(),
  seed: z.int(),
  /** Every round and the outcome (result, xp, hp lost, loot, gold) are the ones stored. */
  identical: z.boolean(),
  /** The first round that differs (or, when the rounds agree and the outcome does not, the round after the last). */
  differingRound: z.int().min(1).nullable(),
  ...Outcome.shape,
});
export type Replay = z.infer<typeof Replay>;

export const FightInput = z.strictObject({ characterId: Id, monsterId: Id });
export const EncounterRef = z.strictObject({ encounterId: Id });

/** What the combat system publishes when a fight ends; character, economy, quest and diplomacy hear it. */
export const EncounterResolved = z.strictObject({
  encounterId: z.string(),
  characterId: z.string(),
  ownerId: z.string(),
  monsterId: z.string(),
  faction: z.string(),
  region: z.string(),
  won: z.boolean(),
  /** 0 on a loss or a draw. */
  xp: z.int().min(0),
  hpLost: z.int().min(0),
  loot: z.array(z.strictObject({ itemId: z.string(), count: z.int().min(1) })),
  gold: z.int().min(0),
});
export type EncounterResolved = z.infer<typeof EncounterResolved>;
