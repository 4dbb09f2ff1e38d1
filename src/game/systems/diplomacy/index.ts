import { z } from 'zod';
import { NotFoundError, ValidationError, defineSystem, type SystemDefinition } from '../../../integration/index.js';
import { contentOf } from '../../shared/content.js';
import { unknownReference } from '../../shared/input-issues.js';
import {
  ChangeInput,
  ChangeResult,
  CharacterRef,
  CharacterStanding,
  FactionList,
  FactionView,
  ReputationChanged,
  ReputationView,
  Reputations,
  StandingChanged,
  StandingInput,
} from './schemas.js';
import { clampReputation, spreadOf, standingOf } from './standing.js';

/** One faction a change reached, and the reputation it had before. */
interface Applied {
  readonly factionId: string;
  readonly amount: number;
  readonly reputation: number;
  readonly from: number;
}

const factions = contentOf('factions', FactionView);

/** A won fight lowers the character's reputation with the monster's faction by this much (before the spread). */
export const KILL_REPUTATION = -5;

/** What this system reads of the events it hears: only the fields it uses. */
const EncounterResolved = z.object({ characterId: z.string(), faction: z.string(), won: z.boolean() });
const OptionChosen = z.object({
  characterId: z.string(),
  npcId: z.string(),
  reputation: z.array(z.object({ factionId: z.string(), amount: z.int() })),
});

declare module '../../../integration/index.js' {
  interface WeftCommands {
    'diplomacy.factions': { input: Record<string, never>; output: z.infer<typeof FactionList> };
    'diplomacy.reputation': { input: { characterId: string }; output: z.infer<typeof ReputationView> };
    'diplomacy.standing': {
      input: { characterId: string; factionId: string };
      output: z.infer<typeof CharacterStanding>;
    };
    'diplomacy.change_reputation': { input: z.input<typeof ChangeInput>; output: z.infer<typeof ChangeResult> };
  }
  interface WeftEvents {
    'diplomacy.reputation_changed': z.infer<typeof ReputationChanged>;
    'diplomacy.standing_changed': z.infer<typeof StandingChanged>;
  }
}

/**
 * The diplomacy system: the factions of the content and their relations, and each character's
 * reputation with each faction (from its starting reputation), in standing bands from hostile to
 * exalted. A change spreads to the faction's allies and to the factions hostile to it; crossing a
 * band is published. Won fights and dialogue choices change reputation through their events.
 */
export function diplomacySystem(): SystemDefinition<'diplomacy'> {
  return defineSystem({
    name: 'diplomacy',
    setup(sys) {
      const reputations = sys.state.slice('reputations', { schema: Reputations });
      const reputationChanged = sys.events.define({
        name: 'reputation_changed',
        durable: true,
        schema: ReputationChanged,
        partitionKey: (e) => e.characterId,
      });
      const standingChanged = sys.events.define({
        name: 'standing_changed',
        durable: true,
        schema: StandingChanged,
        partitionKey: (e) => e.characterId,
      });

      /** The character, when the caller may act on it (the character system answers 404 otherwise). */
      const character = (characterId: string) => sys.execute('character.get', { characterId });

      const reputationWith = (kept: Reputations | undefined, faction: FactionView): number =>
        kept?.factions[faction.id] ?? faction.startingReputation;

      async function faction(factionId: string): Promise<FactionView> {
        const found = (await factions(sys.execute)).find((f) => f.id === factionId);
        if (found === undefined) throw new NotFoundError(`No faction ${factionId}.`, { details: { factionId } });
        return found;
      }

      sys.command(
        'factions',
        { input: z.strictObject({}), output: FactionList, readOnly: true, description: 'The factions and relations.' },
        async () => ({
          factions: (await factions(sys.execute)).map((f) => ({
            id: f.id,
            name: f.name,
            startingReputation: f.startingReputation,
            relations: f.relations,
          })),
        }),
      );

      sys.command(
        'reputation',
        {
          input: CharacterRef,
          output: ReputationView,
          readOnly: true,
          description: 'A character’s reputation and standing with every faction.',
        },
        async ({ characterId }) => {
          await character(characterId);
          const kept = await reputations.get(characterId);
          return {
            characterId,
            factions: (await factions(sys.execute)).map((f) => {
              const reputation = reputationWith(kept, f);
              return { factionId: f.id, name: f.name, reputation, standing: standingOf(reputation) };
            }),
          };
        },
      );

      sys.command(
        'standing',
        {
          input: StandingInput,
          output: CharacterStanding,
          readOnly: true,
          description: 'A character’s standing with one faction.',
        },
        async ({ characterId, factionId }) => {
          await character(characterId);
          const reputation = reputationWith(await reputations.get(characterId), await faction(factionId));
          return { characterId, factionId, reputation, standing: standingOf(reputation) };
        },
      );

      sys.command(
        'change_reputation',
        {
          input: ChangeInput,
          output: ChangeResult,
          description: 'Changes a character’s reputation with a faction, spread by its relations.',
        },
        async ({ characterId, factionId, amount, reason }) => {
          const { ownerId } = await character(characterId);
          const all = await factions(sys.execute);
          const starting = new Map(all.map((f) => [f.id, f.startingReputation]));
          if (!starting.has(factionId)) {
            throw new ValidationError(`Unknown faction ${JSON.stringify(factionId)}.`, {
              details: { factionId },
              issues: [unknownReference('factionId', 'faction', factionId)],
            });
          }
          const spread = spreadOf(all, factionId, amount);
          // The spread names only factions of the content, so the fallback never applies.
          const at = (kept: Reputations | undefined, id: string) => kept?.factions[id] ?? starting.get(id) ?? 0;
          let changes: Applied[] = [];
          // Worked out on the value the upsert holds (locked on PostgreSQL): two changes at once queue here.
          await reputations.upsert(characterId, (kept) => {
            const next = { ...kept?.factions };
            changes = spread.map((change) => {
              const from = at(kept, change.factionId);
              const reputation = clampReputation(from + change.amount);
              next[change.factionId] = reputation;
              return { factionId: change.factionId, amount: reputation - from, reputation, from };
            });
            return { characterId, ownerId, factions: next };
          });
          const applied = changes.map((c) => ({
            factionId: c.factionId,
            amount: c.amount,
            reputation: c.reputation,
            standing: standingOf(c.reputation),
          }));
          await sys.events.publish(reputationChanged, { characterId, ownerId, factionId, reason, changes: applied });
          for (const change of changes) {
            const [from, to] = [standingOf(change.from), standingOf(change.reputation)];
            if (from !== to)
              await sys.events.publish(standingChanged, {
                characterId,
                ownerId,
                factionId: change.factionId,
                from,
                to,
              });
          }
          sys.logger.debug({ characterId, factionId, amount, reason }, 'reputation changed');
          return { characterId, changes: applied };
        },
      );

      // A won fight: the monster's faction thinks less of the character (and its enemies more).
      sys.events.subscribe('combat.encounter_resolved', async (event) => {
        const resolved = EncounterResolved.parse(event.data);
        if (!resolved.won) return;
        await sys.execute('diplomacy.change_reputation', {
          characterId: resolved.characterId,
          factionId: resolved.faction,
          amount: KILL_REPUTATION,
          reason: 'kill',
        });
      });
      // What a dialogue choice grants: dialogue publishes only the reputation still to give.
      sys.events.subscribe('dialogue.option_chosen', async (event) => {
        const chosen = OptionChosen.parse(event.data);
        for (const { factionId, amount } of chosen.reputation) {
          await sys.execute('diplomacy.change_reputation', {
            characterId: chosen.characterId,
            factionId,
            amount,
            reason: `dialogue:${chosen.npcId}`,
          });
        }
      });
    },
  });
}
