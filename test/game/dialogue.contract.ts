import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError, NotFoundError, type EventEnvelope } from 'weft/internal';
import type { TestIntegration, TestIntegrationOptions } from 'weft/testing';
import { ann, bob, questWorld } from './quest-world.js';

/** The dialogue system on one database backend. */
export function dialogueContract(name: string, options: TestIntegrationOptions): void {
  describe(`dialogue: ${name}`, () => {
    let weft: TestIntegration;
    afterEach(async () => {
      await weft.close();
    });

    /** Ann's warrior in greenvale, where Captain Ada and Tova the merchant stand. */
    async function world() {
      weft = await questWorld(options);
      const hero = await weft.execute('character.create', { name: 'Ann', class: 'warrior' }, { actor: ann });
      const heard: EventEnvelope[] = [];
      weft.system('test_probe').events.subscribe('dialogue.*', (e) => void heard.push(e));
      await weft.events.ready();
      await weft.events.drain();
      return { hero, heard };
    }

    const as = { actor: ann };
    const ids = (view: { options: ReadonlyArray<{ optionId: string }> } | null) => view?.options.map((o) => o.optionId);

    it('walks a tree, starts a quest through an option, and offers that option only while the quest is available', async () => {
      const { hero, heard } = await world();
      const talk = (optionId: string, idempotencyKey?: string) =>
        weft.execute(
          'dialogue.choose',
          { characterId: hero.id, npcId: 'captain_ada', optionId },
          idempotencyKey === undefined ? as : { ...as, idempotencyKey },
        );
      const view = () => weft.execute('dialogue.view', { characterId: hero.id, npcId: 'captain_ada' }, as);

      expect(await view()).toMatchObject({
        nodeId: 'greet',
        options: [
          { optionId: 'greet.0', ends: false, startsQuests: [] },
          { optionId: 'greet.1', ends: true },
        ],
      });
      const troubles = await talk('greet.0', 'talk-1');
      // A retried choice replays its answer: the conversation does not move twice.
      expect(await talk('greet.0', 'talk-1')).toEqual(troubles);
      expect(ids(troubles.next)).toEqual(['troubles.0', 'troubles.1', 'troubles.2']);
      expect(troubles.next?.options[0]).toMatchObject({ startsQuests: ['slime_cleanup'] });
      // An option of another node is a 409; one its node does not have, a 404.
      await expect(talk('greet.0')).rejects.toBeInstanceOf(ConflictError);
      await expect(talk('troubles.7')).rejects.toBeInstanceOf(NotFoundError);

      const accepted = await talk('troubles.0');
      expect(accepted).toMatchObject({ startQuests: ['slime_cleanup'], reputation: [], next: { nodeId: 'thanks' } });
      await weft.events.drain();
      const quest = (await weft.execute('quest.list', { characterId: hero.id }, as)).quests.find(
        (q) => q.questId === 'slime_cleanup',
      );
      expect(quest).toMatchObject({ status: 'active' });

      // The option without `next` ends the conversation; the next one starts at the start.
      expect(await talk('thanks.0')).toMatchObject({ next: null });
      expect(await view()).toMatchObject({ nodeId: 'greet' });
      // The quest is active now: its option is no longer offered, and choosing it is a 409.
      const again = await talk('greet.0');
      expect(ids(again.next)).toEqual(['troubles.1', 'troubles.2']);
      await expect(talk('troubles.0')).rejects.toBeInstanceOf(ConflictError);
      // goblin_threat is locked (level 3, slime_cleanup first): its option is hidden too.
      expect(ids((await talk('troubles.1')).next)).toEqual(['goblins.1']);

      await weft.events.drain();
      expect(heard.map((e) => `${e.type} ${(e.data as { optionId?: string }).optionId ?? ''}`.trim())).toEqual([
        'dialogue.talked',
        'dialogue.option_chosen greet.0',
        'dialogue.option_chosen troubles.0',
        'dialogue.option_chosen thanks.0',
        'dialogue.talked',
        'dialogue.option_chosen greet.0',
        'dialogue.option_chosen troubles.1',
      ]);
    });

    it('grants an option’s reputation once per character, through diplomacy', async () => {
      const { hero } = await world();
      const talk = (optionId: string) =>
        weft.execute('dialogue.choose', { characterId: hero.id, npcId: 'merchant_tova', optionId }, as);
      const guard = async () =>
        (await weft.execute('diplomacy.standing', { characterId: hero.id, factionId: 'town_guard' }, as)).reputation;
      await talk('greet.1');
      expect(await talk('news.0')).toMatchObject({ reputation: [{ factionId: 'town_guard', amount: 1 }], next: null });
      await talk('greet.1');
      expect(await talk('news.0')).toMatchObject({ reputation: [] });
      await weft.events.drain();
      expect(await guard()).toBe(1);
    });

    it('refuses a character hostile to the NPC’s faction (403), elsewhere (409), or not the caller’s (404)', async () => {
      const { hero } = await world();
      const ada = { characterId: hero.id, npcId: 'captain_ada' };
      // Smith Bram is in ironhill.
      await expect(
        weft.execute('dialogue.view', { characterId: hero.id, npcId: 'smith_bram' }, as),
      ).rejects.toBeInstanceOf(ConflictError);
      await expect(weft.execute('dialogue.view', { characterId: hero.id, npcId: 'nobody' }, as)).rejects.toBeInstanceOf(
        NotFoundError,
      );
      await expect(weft.execute('dialogue.view', ada, { actor: bob })).rejects.toBeInstanceOf(NotFoundError);
      // -301 with the guard is hostile: Captain Ada refuses, for viewing and for choosing.
      await weft.execute(
        'diplomacy.change_reputation',
        { characterId: hero.id, factionId: 'town_guard', amount: -301, reason: 'test' },
        as,
      );
      const refused = await weft.execute('dialogue.view', ada, as).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ForbiddenError);
      expect((refused as ForbiddenError).details).toMatchObject({ factionId: 'town_guard', standing: 'hostile' });
      await expect(weft.execute('dialogue.choose', { ...ada, optionId: 'greet.0' }, as)).rejects.toBeInstanceOf(
        ForbiddenError,
      );
      // One point back is unfriendly: she talks again.
      await weft.execute(
        'diplomacy.change_reputation',
        { characterId: hero.id, factionId: 'town_guard', amount: 1, reason: 'test' },
        as,
      );
      expect(await weft.execute('dialogue.view', ada, as)).toMatchObject({ nodeId: 'greet' });
    });
  });
}
