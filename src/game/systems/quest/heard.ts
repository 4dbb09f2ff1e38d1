import { z } from 'zod';

// What the quest system reads of the events it hears, each with its own view of the fields it uses.

/** `combat.encounter_resolved`: a won fight is a kill of its monster. */
export const EncounterResolved = z.object({ characterId: z.string(), monsterId: z.string(), won: z.boolean() });
/** `crafting.item_crafted`: `count` items of `itemId` made. */
export const ItemCrafted = z.object({ characterId: z.string(), itemId: z.string(), count: z.int().min(1) });
/** `character.moved`: the character reached `to`. */
export const Moved = z.object({ characterId: z.string(), to: z.string() });
/** `dialogue.talked`: the character talked to an NPC. */
export const Talked = z.object({ characterId: z.string(), npcId: z.string() });
/** `dialogue.option_chosen`: the quests the option starts. */
export const OptionChosen = z.object({ characterId: z.string(), startQuests: z.array(z.string()) });
