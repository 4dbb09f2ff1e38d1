import { z } from 'zod';

const CharacterId = z.string().min(1).max(64);
const ContentId = z.string().regex(/^[a-z][a-z0-9_]*$/);
const Stack = z.object({ itemId: z.string(), count: z.int().min(1) });

/** What this system reads of a quest in the content. */
export const QuestView = z.object({
  id: z.string(),
  name: z.string(),
  giver: z.string(),
  level: z.int(),
  requires: z.array(z.string()),
  objectives: z.array(
    z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('kill'), monsterId: z.string(), count: z.int().min(1) }),
      z.object({ kind: z.literal('craft'), itemId: z.string(), count: z.int().min(1) }),
      z.object({ kind: z.literal('collect'), itemId: z.string(), count: z.int().min(1) }),
      z.object({ kind: z.literal('talk'), npcId: z.string() }),
      z.object({ kind: z.literal('reach'), regionId: z.string() }),
    ]),
  ),
  rewards: z.object({
    gold: z.int().min(0),
    xp: z.int().min(0),
    items: z.array(Stack),
    reputation: z.array(z.object({ factionId: z.string(), amount: z.int() })),
  }),
});
export type QuestView = z.infer<typeof QuestView>;
export type Objective = QuestView['objectives'][number];

/** Every status a quest has for a character; the first two are worked out, the others kept. */
export const QUEST_STATUSES = ['locked', 'available', 'active', 'completed', 'rewarded'] as const;
export const QuestStatus = z.enum(QUEST_STATUSES);
export type QuestStatus = z.infer<typeof QuestStatus>;

/**
 * A quest a character accepted, keyed `<characterId>:<questId>`: its status and, per objective in
 * content order, how far it got (kills, items crafted; 1 for a talk or a place reached; collect
 * objectives stay 0: they are checked at claim).
 */
export const Progress = z.strictObject({
  characterId: z.string(),
  ownerId: z.string(),
  questId: z.string(),
  status: z.enum(['active', 'completed', 'rewarded']),
  progress: z.array(z.int().min(0)),
  acceptedAt: z.string(),
  /**
   * The UUIDv7 the quest was taken at (the id of the dialogue choice that started it, or one made at accept): an event
   * with a smaller id happened before the quest was taken and advances nothing. Absent on older entries.
   */
  since: z.string().optional(),
  completedAt: z.string().optional(),
  rewardedAt: z.string().optional(),
});
export type Progress = z.infer<typeof Progress>;

export const CharacterRef = z.strictObject({ characterId: CharacterId });
export const QuestRef = z.strictObject({ characterId: CharacterId, questId: ContentId });

const Rewards = z.strictObject({
  gold: z.int(),
  xp: z.int(),
  items: z.array(z.strictObject({ itemId: z.string(), count: z.int() })),
  reputation: z.array(z.strictObject({ factionId: z.string(), amount: z.int() })),
});

/** One quest as a character sees it. */
export const QuestState = z.strictObject({
  questId: z.string(),
  name: z.string(),
  giver: z.string(),
  level: z.int(),
  status: QuestStatus,
  /** Locked: what is missing (the level, the quests still to be rewarded). */
  locked: z.strictObject({ level: z.int().optional(), requires: z.array(z.string()) }).optional(),
  objectives: z.array(
    z.strictObject({
      kind: z.enum(['kill', 'craft', 'collect', 'talk', 'reach']),
      /** The monster, item, NPC or region. */
      target: z.string(),
      count: z.int(),
      /** Collect: the items held now (taken at claim). */
      progress: z.int(),
      done: z.boolean(),
    }),
  ),
  rewards: Rewards,
});
export type QuestState = z.infer<typeof QuestState>;
export const QuestList = z.strictObject({ characterId: z.string(), quests: z.array(QuestState) });
export const Claimed = z.strictObject({
  characterId: z.string(),
  questId: z.string(),
  status: z.literal('rewarded'),
  rewards: Rewards,
});

/** What the quest system publishes. */
export const Accepted = z.strictObject({ characterId: z.string(), ownerId: z.string(), questId: z.string() });
export const Completed = Accepted;
export const Rewarded = Accepted.extend({ rewards: Rewards });
