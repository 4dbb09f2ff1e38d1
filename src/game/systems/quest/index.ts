import type { z } from 'zod';
import {
  ConflictError,
  NotFoundError,
  defineSystem,
  uuidv7,
  type SystemDefinition,
} from '../../../integration/index.js';
import { contentOf } from '../../shared/content.js';
import { EncounterResolved, ItemCrafted, Moved, OptionChosen, Talked } from './heard.js';
import {
  advance,
  isDone,
  isTracked,
  lockOf,
  requiredOf,
  startingProgress,
  statusOf,
  targetOf,
  type Happening,
} from './machine.js';
import { payRewards } from './rewards.js';
import {
  Accepted,
  CharacterRef,
  Claimed,
  Completed,
  Progress,
  QuestList,
  QuestRef,
  QuestState,
  QuestView,
  Rewarded,
} from './schemas.js';

const quests = contentOf('quests', QuestView);

declare module '../../../integration/index.js' {
  interface WeftCommands {
    'quest.list': { input: { characterId: string }; output: z.infer<typeof QuestList> };
    'quest.accept': { input: { characterId: string; questId: string }; output: QuestState };
    'quest.claim': { input: { characterId: string; questId: string }; output: z.infer<typeof Claimed> };
  }
  interface WeftEvents {
    'quest.accepted': z.infer<typeof Accepted>;
    'quest.completed': z.infer<typeof Completed>;
    'quest.rewarded': z.infer<typeof Rewarded>;
  }
}

/** What the quest views read of a character. */
interface CharacterFacts {
  readonly id: string;
  readonly ownerId: string;
  readonly level: number;
  readonly region: string;
  readonly inventory: Readonly<Record<string, number>>;
}

/**
 * The quest system: the quests of the content, and per character and quest a state machine
 * (locked, available, active, completed, rewarded; see `machine.ts`). Other systems' events
 * advance the objectives (kills, crafts, talks, places reached); collect objectives are checked
 * and taken at claim, which pays the rewards through the economy, character and diplomacy
 * commands in its one transaction.
 */
export function questSystem(): SystemDefinition<'quest'> {
  return defineSystem({
    name: 'quest',
    setup(sys) {
      const progress = sys.state.slice('progress', { schema: Progress });
      const accepted = sys.events.define({
        name: 'accepted',
        durable: true,
        schema: Accepted,
        partitionKey: (e) => e.characterId,
      });
      const completed = sys.events.define({
        name: 'completed',
        durable: true,
        schema: Completed,
        partitionKey: (e) => e.characterId,
      });
      const rewarded = sys.events.define({
        name: 'rewarded',
        durable: true,
        schema: Rewarded,
        partitionKey: (e) => e.characterId,
      });

      const keyOf = (characterId: string, questId: string) => `${characterId}:${questId}`;
      /** The character, when the caller may act on it (the character system answers 404 otherwise). */
      const character = (characterId: string): Promise<CharacterFacts> => sys.execute('character.get', { characterId });

      async function questOf(questId: string): Promise<QuestView> {
        const quest = (await quests(sys.execute)).find((q) => q.id === questId);
        if (quest === undefined) throw new NotFoundError(`No quest ${questId}.`, { details: { questId } });
        return quest;
      }

      /** Every quest the character has accepted, by quest id. */
      async function journalOf(characterId: string): Promise<Map<string, Progress>> {
        const journal = new Map<string, Progress>();
        const prefix = `${characterId}:`;
        for (let cursor: string | undefined, first = true; first || cursor !== undefined; first = false) {
          const page = await progress.list({ prefix, limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
          for (const { value } of page.entries) journal.set(value.questId, value);
          cursor = page.cursor;
        }
        return journal;
      }

      const rewardedIn = (journal: ReadonlyMap<string, Progress>) =>
        new Set([...journal.values()].filter((p) => p.status === 'rewarded').map((p) => p.questId));

      function stateOf(quest: QuestView, facts: CharacterFacts, journal: ReadonlyMap<string, Progress>): QuestState {
        const kept = journal.get(quest.id);
        const rewardedQuests = rewardedIn(journal);
        const status = statusOf(quest, kept, facts.level, rewardedQuests);
        const locked = status === 'locked' ? lockOf(quest, facts.level, rewardedQuests) : undefined;
        return {
          questId: quest.id,
          name: quest.name,
          giver: quest.giver,
          level: quest.level,
          status,
          ...(locked === undefined ? {} : { locked }),
          objectives: quest.objectives.map((objective, i) => {
            const count = requiredOf(objective);
            const target = targetOf(objective);
            // A collect objective shows the items held until the claim takes them; a rewarded quest is all done.
            const got =
              status === 'rewarded'
                ? count
                : isTracked(objective)
                  ? (kept?.progress[i] ?? 0)
                  : Math.min(count, facts.inventory[target] ?? 0);
            return { kind: objective.kind, target, count, progress: got, done: got >= count };
          }),
          rewards: quest.rewards,
        };
      }

      /**
       * Takes an available quest to active (completed at once when no tracked objective is left). `since` is when it
       * was taken, as a UUIDv7: the dialogue choice's event id, or a new one at accept.
       */
      async function start(facts: CharacterFacts, quest: QuestView, since = uuidv7()): Promise<Progress> {
        const now = new Date().toISOString();
        const begun = startingProgress(quest, facts.region);
        const done = isDone(quest, begun);
        const { value } = await progress.create(keyOf(facts.id, quest.id), {
          characterId: facts.id,
          ownerId: facts.ownerId,
          questId: quest.id,
          status: done ? 'completed' : 'active',
          progress: begun,
          acceptedAt: now,
          since,
          ...(done ? { completedAt: now } : {}),
        });
        const event = { characterId: facts.id, ownerId: facts.ownerId, questId: quest.id };
        await sys.events.publish(accepted, event);
        if (done) await sys.events.publish(completed, event);
        return value;
      }

      /** A step the state machine does not allow from `status`: a 409 saying why. */
      function illegal(step: string, quest: QuestView, status: string, why: string): ConflictError {
        return new ConflictError(`Cannot ${step} ${quest.id}: it is ${status}; ${why}.`, {
          details: { questId: quest.id, status },
        });
      }

      sys.command(
        'list',
        { input: CharacterRef, output: QuestList, readOnly: true, description: 'Every quest and where it stands.' },
        async ({ characterId }) => {
          const facts = await character(characterId);
          const journal = await journalOf(characterId);
          return {
            characterId,
            quests: (await quests(sys.execute)).map((quest) => stateOf(quest, facts, journal)),
          };
        },
      );

      sys.command(
        'accept',
        { input: QuestRef, output: QuestState, description: 'Takes an available quest.' },
        async ({ characterId, questId }) => {
          const facts = await character(characterId);
          const quest = await questOf(questId);
          const journal = await journalOf(characterId);
          const status = statusOf(quest, journal.get(questId), facts.level, rewardedIn(journal));
          if (status !== 'available') throw illegal('accept', quest, status, 'only an available quest is accepted');
          journal.set(questId, await start(facts, quest));
          return stateOf(quest, facts, journal);
        },
      );

      sys.command(
        'claim',
        { input: QuestRef, output: Claimed, idempotent: true, description: 'Pays a completed quest, once.' },
        async ({ characterId, questId }) => {
          const facts = await character(characterId);
          const quest = await questOf(questId);
          const key = keyOf(characterId, questId);
          if ((await progress.get(key)) === undefined) {
            const journal = await journalOf(characterId);
            const status = statusOf(quest, undefined, facts.level, rewardedIn(journal));
            throw illegal('claim', quest, status, 'only a completed quest is claimed');
          }
          // Checked on the value the update holds (locked on PostgreSQL): of two claims at once, one pays.
          await progress.update(key, (kept) => {
            if (kept.status !== 'completed')
              throw illegal('claim', quest, kept.status, 'only a completed quest is claimed');
            return { ...kept, status: 'rewarded', rewardedAt: new Date().toISOString() };
          });
          await payRewards(sys.execute, characterId, quest);
          await sys.events.publish(rewarded, { characterId, ownerId: facts.ownerId, questId, rewards: quest.rewards });
          return { characterId, questId, status: 'rewarded' as const, rewards: quest.rewards };
        },
      );

      /**
       * Whether the event `eventId` happened after the quest was taken. Events are delivered after their commit, so a
       * kill made just before an accept may arrive after it: it must not count (ids are UUIDv7, ordered by time).
       */
      const after = (kept: Pick<Progress, 'since'>, eventId: string) =>
        kept.since === undefined || eventId >= kept.since;

      /**
       * Advances the character's active quests by what happened (the event `eventId`, which counts only for quests
       * taken before it); a quest whose objectives are all done completes.
       */
      async function happened(characterId: string, happening: Happening, eventId: string): Promise<void> {
        const all = await quests(sys.execute);
        for (const kept of (await journalOf(characterId)).values()) {
          if (kept.status !== 'active' || !after(kept, eventId)) continue;
          const quest = all.find((q) => q.id === kept.questId);
          if (quest === undefined) {
            sys.logger.warn({ characterId, questId: kept.questId }, 'an active quest is no longer in the content');
            continue;
          }
          if (advance(quest, kept.progress, happening) === undefined) continue;
          let finished = false;
          // Worked out again on the value the update holds: an accept or another event may have moved it.
          await progress.update(keyOf(characterId, quest.id), (current) => {
            const next =
              current.status === 'active' && after(current, eventId)
                ? advance(quest, current.progress, happening)
                : undefined;
            if (next === undefined) return current;
            finished = isDone(quest, next);
            const now = new Date().toISOString();
            return {
              ...current,
              progress: next,
              ...(finished ? { status: 'completed' as const, completedAt: now } : {}),
            };
          });
          if (finished) await sys.events.publish(completed, { characterId, ownerId: kept.ownerId, questId: quest.id });
        }
      }

      sys.events.subscribe('combat.encounter_resolved', async (event) => {
        const fight = EncounterResolved.parse(event.data);
        if (fight.won) await happened(fight.characterId, { kind: 'kill', monsterId: fight.monsterId }, event.id);
      });
      sys.events.subscribe('crafting.item_crafted', async (event) => {
        const crafted = ItemCrafted.parse(event.data);
        await happened(crafted.characterId, { kind: 'craft', itemId: crafted.itemId, count: crafted.count }, event.id);
      });
      sys.events.subscribe('character.moved', async (event) => {
        const moved = Moved.parse(event.data);
        await happened(moved.characterId, { kind: 'reach', regionId: moved.to }, event.id);
      });
      // One subscription for both dialogue events, so a talk and a quest it starts are handled in the order they
      // happened.
      sys.events.subscribe('dialogue.*', async (event) => {
        if (event.type === 'dialogue.talked') {
          const talked = Talked.parse(event.data);
          await happened(talked.characterId, { kind: 'talk', npcId: talked.npcId }, event.id);
        } else if (event.type === 'dialogue.option_chosen') {
          const chosen = OptionChosen.parse(event.data);
          for (const questId of chosen.startQuests) await startFromDialogue(chosen.characterId, questId, event.id);
        }
      });

      /**
       * A quest a dialogue option starts: dialogue offers the option only while the quest is
       * available, but the character may have accepted it since (through the route); then the
       * option has nothing left to do. The quest counts what happened from the choice on (`since`, the choice's event
       * id), not from when this handler runs.
       */
      async function startFromDialogue(characterId: string, questId: string, since: string): Promise<void> {
        const facts = await character(characterId);
        const quest = await questOf(questId);
        const journal = await journalOf(characterId);
        const status = statusOf(quest, journal.get(questId), facts.level, rewardedIn(journal));
        if (status === 'available') await start(facts, quest, since);
        else sys.logger.info({ characterId, questId, status }, 'a dialogue option started a quest no longer available');
      }
    },
  });
}
