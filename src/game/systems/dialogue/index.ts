import type { z } from 'zod';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  defineSystem,
  type SystemDefinition,
} from '../../../integration/index.js';
import { contentOf } from '../../shared/content.js';
import {
  ChooseInput,
  Choice,
  Conversation,
  DialogueView,
  NpcRef,
  NpcView,
  OptionChosen,
  Talked,
  type DialogueNode,
} from './schemas.js';
import { currentNode, isOffered, optionsOf, type OfferedOption } from './tree.js';

const npcs = contentOf('npcs', NpcView);

declare module '../../../integration/index.js' {
  interface WeftCommands {
    'dialogue.view': { input: { characterId: string; npcId: string }; output: DialogueView };
    'dialogue.choose': {
      input: { characterId: string; npcId: string; optionId: string };
      output: z.infer<typeof Choice>;
    };
  }
  interface WeftEvents {
    'dialogue.talked': z.infer<typeof Talked>;
    'dialogue.option_chosen': z.infer<typeof OptionChosen>;
  }
}

/** What the dialogue reads of a character. */
interface Speaker {
  readonly id: string;
  readonly ownerId: string;
  readonly region: string;
}

/**
 * The dialogue system: NPCs' dialogue trees, and where each character's conversation with each
 * NPC stands. To talk, a character stands in the NPC's region (else 409) and is not hostile to
 * the NPC's faction (else 403: the NPC refuses). Options that start a quest are offered only while
 * the quest is available to the character. A choice publishes `dialogue.option_chosen` (the quests
 * it starts, the reputation it grants: once per character and option), which the quest and
 * diplomacy systems hear; the first choice of a conversation publishes `dialogue.talked`.
 */
export function dialogueSystem(): SystemDefinition<'dialogue'> {
  return defineSystem({
    name: 'dialogue',
    setup(sys) {
      const conversations = sys.state.slice('conversations', { schema: Conversation });
      const talked = sys.events.define({
        name: 'talked',
        durable: true,
        schema: Talked,
        partitionKey: (e) => e.characterId,
      });
      const optionChosen = sys.events.define({
        name: 'option_chosen',
        durable: true,
        schema: OptionChosen,
        partitionKey: (e) => e.characterId,
      });

      const keyOf = (characterId: string, npcId: string) => `${characterId}:${npcId}`;

      /** The character and the NPC, once the NPC agrees to talk: in its region, and not hostile to its faction. */
      async function meet(characterId: string, npcId: string): Promise<{ speaker: Speaker; npc: NpcView }> {
        const speaker: Speaker = await sys.execute('character.get', { characterId });
        const npc = (await npcs(sys.execute)).find((n) => n.id === npcId);
        if (npc === undefined) throw new NotFoundError(`No NPC ${npcId}.`, { details: { npcId } });
        if (speaker.region !== npc.region) {
          throw new ConflictError(`${npc.name} is in ${npc.region}; your character is in ${speaker.region}.`, {
            details: { npcId, npcRegion: npc.region, region: speaker.region },
          });
        }
        const { standing } = await sys.execute('diplomacy.standing', { characterId, factionId: npc.faction });
        if (standing === 'hostile') {
          throw new ForbiddenError(`${npc.name} will not talk to a character hostile to ${npc.faction}.`, {
            details: { npcId, factionId: npc.faction, standing },
          });
        }
        return { speaker, npc };
      }

      /** The statuses of the quests a node's options start (asked only when some option starts one). */
      async function questStatuses(characterId: string, options: readonly OfferedOption[]) {
        const statuses = new Map<string, string>();
        if (options.every((o) => o.startQuests.length === 0)) return statuses;
        for (const quest of (await sys.execute('quest.list', { characterId })).quests)
          statuses.set(quest.questId, quest.status);
        return statuses;
      }

      async function viewOf(
        speaker: Speaker,
        npc: NpcView,
        at: { id: string; node: DialogueNode },
      ): Promise<DialogueView> {
        const options = optionsOf(at.id, at.node);
        const statuses = await questStatuses(speaker.id, options);
        return {
          characterId: speaker.id,
          npcId: npc.id,
          name: npc.name,
          nodeId: at.id,
          text: at.node.text,
          options: options
            .filter((o) => isOffered(o, statuses))
            .map((o) => ({
              optionId: o.optionId,
              text: o.text,
              ends: o.next === undefined,
              startsQuests: [...o.startQuests],
            })),
        };
      }

      sys.command(
        'view',
        {
          input: NpcRef,
          output: DialogueView,
          readOnly: true,
          description: 'Where a character’s conversation with an NPC stands, and the options it may choose.',
        },
        async ({ characterId, npcId }) => {
          const { speaker, npc } = await meet(characterId, npcId);
          const kept = await conversations.get(keyOf(characterId, npcId));
          return viewOf(speaker, npc, currentNode(npc, kept?.nodeId ?? null));
        },
      );

      sys.command(
        'choose',
        {
          input: ChooseInput,
          output: Choice,
          idempotent: true,
          description: 'Chooses an option of the node the conversation is at.',
        },
        async ({ characterId, npcId, optionId }) => {
          const { speaker, npc } = await meet(characterId, npcId);
          const key = keyOf(characterId, npcId);
          const kept = await conversations.entry(key);
          const at = currentNode(npc, kept?.value.nodeId ?? null);
          const option = optionsOf(at.id, at.node).find((o) => o.optionId === optionId);
          if (option === undefined) {
            if (!optionId.startsWith(`${at.id}.`)) {
              throw new ConflictError(`The conversation with ${npc.name} is at ${at.id}, not at ${optionId}.`, {
                details: { npcId, nodeId: at.id, optionId },
              });
            }
            throw new NotFoundError(`Node ${at.id} of ${npc.name} has no option ${optionId}.`, {
              details: { npcId, optionId },
            });
          }
          if (!isOffered(option, await questStatuses(characterId, [option]))) {
            throw new ConflictError(`Option ${optionId} starts a quest that is not available to this character.`, {
              details: { npcId, optionId, startQuests: option.startQuests },
            });
          }
          const granted = kept?.value.granted ?? [];
          const grants = option.reputation.length > 0 && !granted.includes(optionId);
          const nodeId = option.next ?? null;
          // Written only over the version read: of two choices made at once at one node, the second is a 409.
          await conversations
            .set(
              key,
              { characterId, npcId, nodeId, granted: grants ? [...granted, optionId] : granted },
              { expectedVersion: kept?.version ?? 0 },
            )
            .catch((error: unknown) => {
              throw error instanceof ConflictError
                ? new ConflictError(`The conversation with ${npc.name} moved on meanwhile; look again.`, {
                    cause: error,
                    details: { npcId },
                  })
                : error;
            });
          const reputation = grants ? option.reputation.map((r) => ({ ...r })) : [];
          // A conversation begins with the first choice made away from one: that is talking to the NPC.
          if ((kept?.value.nodeId ?? null) === null)
            await sys.events.publish(talked, { characterId, ownerId: speaker.ownerId, npcId });
          await sys.events.publish(optionChosen, {
            characterId,
            ownerId: speaker.ownerId,
            npcId,
            nodeId: at.id,
            optionId,
            startQuests: [...option.startQuests],
            reputation,
          });
          return {
            characterId,
            npcId,
            optionId,
            startQuests: [...option.startQuests],
            reputation,
            next: nodeId === null ? null : await viewOf(speaker, npc, currentNode(npc, nodeId)),
          };
        },
      );
    },
  });
}
