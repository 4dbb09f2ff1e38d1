import { z } from 'zod';

/** An id in content files: snake_case, stable, referenced by other records. */
const Id = z.string().regex(/^[a-z][a-z0-9_]*$/, 'an id is snake_case, such as iron_ore');
const Name = z.string().min(1).max(80);
const Count = z.int().min(1).max(999);
const Gold = z.int().min(0).max(1_000_000);

/** Something a character can hold. `value` is the base price in gold the market prices build on. */
export const Item = z.strictObject({
  id: Id,
  name: Name,
  kind: z.enum(['material', 'weapon', 'armor', 'consumable', 'quest']),
  value: Gold,
  stats: z
    .strictObject({
      attack: z.int().min(0).max(1000).optional(),
      defense: z.int().min(0).max(1000).optional(),
      heal: z.int().min(0).max(1000).optional(),
    })
    .optional(),
});
export type Item = z.infer<typeof Item>;

/** Turns ingredients and a fee into an output. */
export const Recipe = z.strictObject({
  id: Id,
  name: Name,
  inputs: z
    .array(z.strictObject({ itemId: Id, count: Count }))
    .min(1)
    .max(8),
  output: z.strictObject({ itemId: Id, count: Count }),
  fee: Gold,
  level: z.int().min(1).max(100),
});
export type Recipe = z.infer<typeof Recipe>;

/** A foe of a faction, found in regions, dropping loot. */
export const Monster = z.strictObject({
  id: Id,
  name: Name,
  level: z.int().min(1).max(100),
  hp: z.int().min(1).max(100_000),
  attack: z.int().min(0).max(1000),
  defense: z.int().min(0).max(1000),
  xp: z.int().min(0).max(100_000),
  gold: z.strictObject({ min: Gold, max: Gold }),
  faction: Id,
  loot: z.array(z.strictObject({ itemId: Id, chance: z.number().min(0).max(1), min: Count, max: Count })).max(10),
});
export type Monster = z.infer<typeof Monster>;

const Objective = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('kill'), monsterId: Id, count: Count }),
  z.strictObject({ kind: z.literal('craft'), itemId: Id, count: Count }),
  z.strictObject({ kind: z.literal('collect'), itemId: Id, count: Count }),
  z.strictObject({ kind: z.literal('talk'), npcId: Id }),
  z.strictObject({ kind: z.literal('reach'), regionId: Id }),
]);

/** A task an NPC gives: objectives, and what completing it pays. */
export const Quest = z.strictObject({
  id: Id,
  name: Name,
  giver: Id,
  level: z.int().min(1).max(100),
  requires: z.array(Id).max(10),
  objectives: z.array(Objective).min(1).max(6),
  rewards: z.strictObject({
    gold: Gold,
    xp: z.int().min(0).max(100_000),
    items: z.array(z.strictObject({ itemId: Id, count: Count })).max(6),
    reputation: z.array(z.strictObject({ factionId: Id, amount: z.int().min(-1000).max(1000) })).max(4),
  }),
});
export type Quest = z.infer<typeof Quest>;

/** A group characters gain or lose standing with; its stance toward the others. */
export const Faction = z.strictObject({
  id: Id,
  name: Name,
  startingReputation: z.int().min(-1000).max(1000),
  relations: z.record(Id, z.enum(['ally', 'neutral', 'hostile'])),
});
export type Faction = z.infer<typeof Faction>;

/** What choosing a dialogue option does. */
const Effect = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('start_quest'), questId: Id }),
  z.strictObject({ kind: z.literal('reputation'), factionId: Id, amount: z.int().min(-100).max(100) }),
]);

/** One line of an NPC and the answers a player may give. */
const DialogueNode = z.strictObject({
  text: z.string().min(1).max(1000),
  options: z
    .array(
      z.strictObject({
        text: z.string().min(1).max(300),
        next: Id.optional(),
        effects: z.array(Effect).max(4).optional(),
      }),
    )
    .max(6),
});

/** A character of the world who talks: a dialogue tree from `start`; an option without `next` ends it. */
export const Npc = z.strictObject({
  id: Id,
  name: Name,
  faction: Id,
  region: Id,
  dialogue: z.strictObject({ start: Id, nodes: z.record(Id, DialogueNode) }),
});
export type Npc = z.infer<typeof Npc>;
export type DialogueTree = Npc['dialogue'];

/** A place: its level range, its neighbours, the monsters found there. */
export const Region = z.strictObject({
  id: Id,
  name: Name,
  level: z.strictObject({ min: z.int().min(1).max(100), max: z.int().min(1).max(100) }),
  neighbors: z.array(Id).max(8),
  monsters: z.array(Id).max(12),
  start: z.boolean().optional(),
});
export type Region = z.infer<typeof Region>;

/** What a new character of a class starts with, and how it grows per level. */
export const CharacterClass = z.strictObject({
  id: Id,
  name: Name,
  base: z.strictObject({
    hp: z.int().min(1).max(10_000),
    attack: z.int().min(0).max(1000),
    defense: z.int().min(0).max(1000),
  }),
  perLevel: z.strictObject({
    hp: z.int().min(0).max(1000),
    attack: z.int().min(0).max(100),
    defense: z.int().min(0).max(100),
  }),
  startingItems: z.array(z.strictObject({ itemId: Id, count: Count })).max(8),
  startingGold: Gold,
  /** XP to reach level 2, 3, ...: strictly increasing. */
  xpThresholds: z.array(z.int().min(1)).min(1).max(99),
});
export type CharacterClass = z.infer<typeof CharacterClass>;

/** What the market pays for an item (`sell`) and asks for it (`buy`); absent items are not traded. */
export const MarketPrice = z.strictObject({ itemId: Id, buy: z.int().min(1).max(1_000_000), sell: Gold });
export type MarketPrice = z.infer<typeof MarketPrice>;

/** Every collection: its file is `<name>.json` and its schema is registered as `data.<schema>`. */
export const COLLECTIONS = {
  items: { schema: 'item', shape: Item },
  recipes: { schema: 'recipe', shape: Recipe },
  monsters: { schema: 'monster', shape: Monster },
  quests: { schema: 'quest', shape: Quest },
  factions: { schema: 'faction', shape: Faction },
  npcs: { schema: 'npc', shape: Npc },
  regions: { schema: 'region', shape: Region },
  classes: { schema: 'class', shape: CharacterClass },
  market: { schema: 'market_price', shape: MarketPrice },
} as const;

/** The game's content, loaded and cross-checked. */
export interface Content {
  readonly items: readonly Item[];
  readonly recipes: readonly Recipe[];
  readonly monsters: readonly Monster[];
  readonly quests: readonly Quest[];
  readonly factions: readonly Faction[];
  readonly npcs: readonly Npc[];
  readonly regions: readonly Region[];
  readonly classes: readonly CharacterClass[];
  readonly market: readonly MarketPrice[];
}

/** The collections the public content routes serve. */
export const PUBLIC_COLLECTIONS = [
  'items',
  'recipes',
  'monsters',
  'quests',
  'factions',
  'npcs',
  'regions',
  'classes',
  'market',
] as const;
export type PublicCollection = (typeof PUBLIC_COLLECTIONS)[number];
