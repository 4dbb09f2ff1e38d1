import { z } from 'zod';

const CharacterId = z.string().min(1).max(64);
const ContentId = z.string().regex(/^[a-z][a-z0-9_]*$/);

/** An option's id: `<node>.<index>`, the node it belongs to and its place among the node's options. */
export const OptionId = z.string().regex(/^[a-z][a-z0-9_]*\.(0|[1-9][0-9]?)$/, 'an option id is <node>.<index>');

const Effect = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('start_quest'), questId: z.string() }),
  z.object({ kind: z.literal('reputation'), factionId: z.string(), amount: z.int() }),
]);
const Node = z.object({
  text: z.string(),
  options: z.array(z.object({ text: z.string(), next: z.string().optional(), effects: z.array(Effect).optional() })),
});
/** What this system reads of an NPC in the content. */
export const NpcView = z.object({
  id: z.string(),
  name: z.string(),
  faction: z.string(),
  region: z.string(),
  dialogue: z.object({ start: z.string(), nodes: z.record(z.string(), Node) }),
});
export type NpcView = z.infer<typeof NpcView>;
export type DialogueNode = z.infer<typeof Node>;

/**
 * Where a character's conversation with an NPC stands, keyed `<characterId>:<npcId>`: the node it
 * is at (null between conversations: the next starts at the tree's start), and the options whose
 * reputation was granted already (once per character and option).
 */
export const Conversation = z.strictObject({
  characterId: z.string(),
  npcId: z.string(),
  nodeId: z.string().nullable(),
  granted: z.array(OptionId),
});
export type Conversation = z.infer<typeof Conversation>;

export const NpcRef = z.strictObject({ characterId: CharacterId, npcId: ContentId });
export const ChooseInput = NpcRef.extend({ optionId: OptionId });

const Reputation = z.array(z.strictObject({ factionId: z.string(), amount: z.int() }));

/** The node a character is at with an NPC, and the options it may choose there. */
export const DialogueView = z.strictObject({
  characterId: z.string(),
  npcId: z.string(),
  name: z.string(),
  nodeId: z.string(),
  text: z.string(),
  options: z.array(
    z.strictObject({
      optionId: OptionId,
      text: z.string(),
      /** Choosing it ends the conversation. */
      ends: z.boolean(),
      startsQuests: z.array(z.string()),
    }),
  ),
});
export type DialogueView = z.infer<typeof DialogueView>;

/** What a choice did: the quests it starts, the reputation it grants, and the node now (null: it ended). */
export const Choice = z.strictObject({
  characterId: z.string(),
  npcId: z.string(),
  optionId: OptionId,
  startQuests: z.array(z.string()),
  reputation: Reputation,
  next: DialogueView.nullable(),
});

/** What the dialogue system publishes. */
export const Talked = z.strictObject({ characterId: z.string(), ownerId: z.string(), npcId: z.string() });
export const OptionChosen = z.strictObject({
  characterId: z.string(),
  ownerId: z.string(),
  npcId: z.string(),
  nodeId: z.string(),
  optionId: OptionId,
  /** The quests the option starts (the quest system accepts each that is still available). */
  startQuests: z.array(z.string()),
  /** The reputation to grant now (the diplomacy system applies it); empty once the option granted it. */
  reputation: Reputation,
});
