import { z } from 'zod';
import { MAX_REPUTATION, MIN_REPUTATION, STANDINGS } from './standing.js';

const CharacterId = z.string().min(1).max(64);
const FactionId = z.string().regex(/^[a-z][a-z0-9_]*$/);
const Reputation = z.int().min(MIN_REPUTATION).max(MAX_REPUTATION);
export const Standing = z.enum(STANDINGS);

/** What this system reads of a faction in the content. */
export const FactionView = z.object({
  id: z.string(),
  name: z.string(),
  startingReputation: z.int(),
  relations: z.record(z.string(), z.enum(['ally', 'neutral', 'hostile'])),
});
export type FactionView = z.infer<typeof FactionView>;

/**
 * A character's reputations, one entry per character: only the factions a change reached are
 * listed; the others are at their starting reputation.
 */
export const Reputations = z.strictObject({
  characterId: z.string(),
  ownerId: z.string(),
  factions: z.record(FactionId, Reputation),
});
export type Reputations = z.infer<typeof Reputations>;

export const CharacterRef = z.strictObject({ characterId: CharacterId });
export const StandingInput = z.strictObject({ characterId: CharacterId, factionId: FactionId });
export const ChangeInput = z.strictObject({
  characterId: CharacterId,
  factionId: FactionId,
  /** Non-zero; a change is cut at the bounds of reputation. */
  amount: z
    .int()
    .min(-2 * MAX_REPUTATION)
    .max(2 * MAX_REPUTATION)
    .refine((n) => n !== 0, 'a change of reputation is not zero'),
  /** Why, for the event and the logs: `kill`, `quest:<id>`, `dialogue:<npc>`, ... */
  reason: z.string().min(1).max(60),
});

/** The list of factions, with their stance toward the others. */
export const FactionList = z.strictObject({
  factions: z.array(
    z.strictObject({
      id: z.string(),
      name: z.string(),
      startingReputation: z.int(),
      relations: z.record(z.string(), z.enum(['ally', 'neutral', 'hostile'])),
    }),
  ),
});

/** A character's standing with one faction. */
export const StandingView = z.strictObject({
  factionId: z.string(),
  reputation: z.int(),
  standing: Standing,
});
export const CharacterStanding = StandingView.extend({ characterId: z.string() });
export const ReputationView = z.strictObject({
  characterId: z.string(),
  factions: z.array(StandingView.extend({ name: z.string() })),
});

/** One faction a change reached: the amount applied (after the bounds) and where it left the character. */
const Applied = z.strictObject({
  factionId: z.string(),
  amount: z.int(),
  reputation: z.int(),
  standing: Standing,
});
export const ChangeResult = z.strictObject({ characterId: z.string(), changes: z.array(Applied) });

/** Published for every change of reputation, with the factions it spread to. */
export const ReputationChanged = z.strictObject({
  characterId: z.string(),
  ownerId: z.string(),
  factionId: z.string(),
  reason: z.string(),
  changes: z.array(Applied),
});
/** Published when a change moves a character into another band with a faction. */
export const StandingChanged = z.strictObject({
  characterId: z.string(),
  ownerId: z.string(),
  factionId: z.string(),
  from: Standing,
  to: Standing,
});
