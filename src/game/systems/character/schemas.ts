import { z } from 'zod';

const ItemId = z.string().regex(/^[a-z][a-z0-9_]*$/);

/** Item id -> quantity; an item a character has none of is not listed, so no quantity is ever 0 or negative. */
export const Inventory = z.record(ItemId, z.int().min(1).max(1_000_000));
export type Inventory = z.infer<typeof Inventory>;

/** A stack of one item: what give and take move. */
export const ItemStack = z.strictObject({ itemId: ItemId, count: z.int().min(1).max(10_000) });
export type ItemStack = z.infer<typeof ItemStack>;

/** A player's character, as stored and as served. */
export const Character = z.strictObject({
  id: z.string(),
  ownerId: z.string(),
  name: z.string(),
  class: z.string(),
  level: z.int().min(1),
  xp: z.int().min(0),
  hp: z.int().min(0),
  maxHp: z.int().min(1),
  region: z.string(),
  inventory: Inventory,
  createdAt: z.string(),
});
export type Character = z.infer<typeof Character>;

/**
 * A name: 3 to 24 letters, digits, spaces, apostrophes or hyphens, starting with a letter; unique whatever its case.
 */
export const CharacterName = z
  .string()
  .trim()
  .min(3)
  .max(24)
  .regex(
    /^\p{L}[\p{L}\p{N} '-]*$/u,
    'a name starts with a letter and has letters, digits, spaces, apostrophes or hyphens',
  );

export const CreateInput = z.strictObject({ name: CharacterName, class: z.string().min(1).max(40) });
export const CharacterRef = z.strictObject({ characterId: z.string().min(1).max(64) });
export const ItemsInput = z.strictObject({
  characterId: z.string().min(1).max(64),
  items: z.array(ItemStack).min(1).max(50),
  /** Why, for the logs: `loot`, `craft`, `quest_reward`, `market`, ... */
  reason: z.string().min(1).max(40),
});
export const XpInput = z.strictObject({ characterId: z.string().min(1).max(64), xp: z.int().min(1).max(1_000_000) });
export const HpInput = z.strictObject({
  characterId: z.string().min(1).max(64),
  delta: z.int().min(-1_000_000).max(1_000_000),
});
export const MoveInput = z.strictObject({
  characterId: z.string().min(1).max(64),
  regionId: z.string().min(1).max(64),
  /** Where the mover saw the character: when it has moved since, the move is a 409 (two travels at once). */
  from: z.string().min(1).max(64).optional(),
});
export const UseInput = z.strictObject({ characterId: z.string().min(1).max(64), itemId: z.string().min(1).max(64) });

/** What the character system publishes. */
export const Created = z.strictObject({
  characterId: z.string(),
  ownerId: z.string(),
  name: z.string(),
  class: z.string(),
  region: z.string(),
  startingGold: z.int().min(0),
});
export const LeveledUp = z.strictObject({ characterId: z.string(), ownerId: z.string(), level: z.int().min(2) });
export const ItemsChanged = z.strictObject({
  characterId: z.string(),
  ownerId: z.string(),
  /** Positive: gained; negative: lost. */
  changes: z.array(z.strictObject({ itemId: ItemId, delta: z.int() })),
  reason: z.string(),
});
export const Moved = z.strictObject({ characterId: z.string(), ownerId: z.string(), from: z.string(), to: z.string() });
