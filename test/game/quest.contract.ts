import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, type EventEnvelope } from 'weft/internal';
import type { TestIntegration, TestIntegrationOptions } from 'weft/testing';
import { ann, bob, fight, fights, publishAs, questWorld } from './quest-world.js';

/** The quest system on one database backend. */
export function questContract(name: string, options: TestIntegrationOptions): void {
  describe(`quest: ${name}`, () => {
    let weft: TestIntegration;
    afterEach(async () => {
      await weft.close();
    });

    /** A warrior of Ann's (level 1, 50 gold, in greenvale), with its wallet open. */
    async function world() {
      weft = await questWorld(options);
      const hero = await weft.execute('character.create', { name: 'Ann', class: 'warrior' }, { actor: ann });
      await weft.events.drain();
      return hero;
    }

    const statusOf = async (characterId: string, questId: string) =>
      (await weft.execute('quest.list', { characterId }, { actor: ann })).quests.find((q) => q.questId === questId);

    async function refusal(run: Promise<unknown>): Promise<unknown> {
      return run.then(
        () => new Error('the step was allowed'),
        (error: unknown) => error,
      );
    }

    it('walks the state machine and refuses every illegal step with a 409', async () => {
      const hero = await world();
      const events: EventEnvelope[] = [];
      weft.system('test_probe').events.subscribe('quest.*', (e) => void events.push(e));
      await weft.events.ready();
      const as = { actor: ann };
      const ref = (questId: string) => ({ characterId: hero.id, questId });

      expect(await statusOf(hero.id, 'slime_cleanup')).toMatchObject({ status: 'available' });
      expect(await statusOf(hero.id, 'goblin_threat')).toMatchObject({
        status: 'locked',
        locked: { level: 3, requires: ['slime_cleanup'] },
      });
      // locked -> accept, available -> claim: refused.
      const locked = await refusal(weft.execute('quest.accept', ref('goblin_threat'), as));
      expect(locked).toBeInstanceOf(ConflictError);
      expect((locked as ConflictError).details).toMatchObject({ status: 'locked' });
      expect(await refusal(weft.execute('quest.claim', ref('slime_cleanup'), as))).toBeInstanceOf(ConflictError);

      // available -> active.
      expect(await weft.execute('quest.accept', ref('slime_cleanup'), as)).toMatchObject({
        status: 'active',
        objectives: [{ kind: 'kill', target: 'slime', count: 5, progress: 0, done: false }],
      });
      // active -> accept, active -> claim: refused.
      expect(await refusal(weft.execute('quest.accept', ref('slime_cleanup'), as))).toBeInstanceOf(ConflictError);
      const early = await refusal(weft.execute('quest.claim', ref('slime_cleanup'), as));
      expect((early as ConflictError).details).toMatchObject({ status: 'active' });

      // Kills advance it: a lost fight and another monster do not count.
      await fights(weft, [
        fight(hero, 'slime', 'the_wild', false),
        fight(hero, 'wolf', 'the_wild'),
        ...Array.from({ length: 4 }, () => fight(hero, 'slime', 'the_wild')),
      ]);
      await weft.events.drain();
      expect(await statusOf(hero.id, 'slime_cleanup')).toMatchObject({
        status: 'active',
        objectives: [{ progress: 4, done: false }],
      });
      await fights(weft, [fight(hero, 'slime', 'the_wild'), fight(hero, 'slime', 'the_wild')]);
      await weft.events.drain();
      // active -> completed, capped at the count.
      expect(await statusOf(hero.id, 'slime_cleanup')).toMatchObject({
        status: 'completed',
        objectives: [{ progress: 5, done: true }],
      });
      expect(await refusal(weft.execute('quest.accept', ref('slime_cleanup'), as))).toBeInstanceOf(ConflictError);

      // completed -> rewarded: gold, xp and reputation in the claim.
      expect(await weft.execute('quest.claim', ref('slime_cleanup'), as)).toMatchObject({ status: 'rewarded' });
      expect(await weft.execute('economy.wallet', { characterId: hero.id }, as)).toMatchObject({ gold: 50 + 20 });
      expect(await weft.execute('character.get', { characterId: hero.id }, as)).toMatchObject({ xp: 50 });
      const guard = (await weft.execute('diplomacy.reputation', { characterId: hero.id }, as)).factions.find(
        (f) => f.factionId === 'town_guard',
      );
      // +10 from the quest, and +2 for each of the seven fights won against the wild (the guard is hostile to it).
      expect(guard).toMatchObject({ reputation: 10 + 7 * 2, standing: 'neutral' });

      // rewarded -> claim, rewarded -> accept: refused.
      const again = await refusal(weft.execute('quest.claim', ref('slime_cleanup'), as));
      expect((again as ConflictError).details).toMatchObject({ status: 'rewarded' });
      expect(await refusal(weft.execute('quest.accept', ref('slime_cleanup'), as))).toBeInstanceOf(ConflictError);

      // The required quest is rewarded: goblin_threat waits for level 3 only, then opens.
      expect(await statusOf(hero.id, 'goblin_threat')).toMatchObject({
        status: 'locked',
        locked: { level: 3, requires: [] },
      });
      await weft.execute('character.gain_xp', { characterId: hero.id, xp: 200 });
      expect(await statusOf(hero.id, 'goblin_threat')).toMatchObject({ status: 'available' });

      // An unknown quest is a 404; so is another player's character.
      expect(await refusal(weft.execute('quest.accept', ref('dragon_slaying'), as))).toBeInstanceOf(NotFoundError);
      expect(await refusal(weft.execute('quest.list', { characterId: hero.id }, { actor: bob }))).toBeInstanceOf(
        NotFoundError,
      );
      expect(await refusal(weft.execute('quest.accept', ref('goblin_threat'), { actor: bob }))).toBeInstanceOf(
        NotFoundError,
      );

      await weft.events.drain();
      expect(events.map((e) => `${e.type} ${String((e.data as { questId: string }).questId)}`)).toEqual([
        'quest.accepted slime_cleanup',
        'quest.completed slime_cleanup',
        'quest.rewarded slime_cleanup',
      ]);
    });

    it('advances craft, reach and talk objectives by events, and checks and takes collected items at claim', async () => {
      const hero = await world();
      const as = { actor: ann };
      await weft.execute('character.gain_xp', { characterId: hero.id, xp: 100 }); // level 2

      // reach: moving into the region; the kills follow.
      await weft.execute('quest.accept', { characterId: hero.id, questId: 'scout_the_hills' }, as);
      await weft.execute('character.move', { characterId: hero.id, regionId: 'oakwood' }, as);
      await weft.events.drain();
      expect((await statusOf(hero.id, 'scout_the_hills'))?.objectives.map((o) => o.progress)).toEqual([0, 0]);
      await weft.execute('character.move', { characterId: hero.id, regionId: 'greenvale' }, as);
      await weft.execute('character.move', { characterId: hero.id, regionId: 'ironhill' }, as);
      await fights(weft, [fight(hero, 'goblin_scout', 'goblin_clans'), fight(hero, 'goblin_scout', 'goblin_clans')]);
      await weft.events.drain();
      expect(await statusOf(hero.id, 'scout_the_hills')).toMatchObject({
        status: 'completed',
        objectives: [
          { kind: 'reach', progress: 1 },
          { kind: 'kill', progress: 2 },
        ],
      });

      // craft: counted by the items made, only of the objective's item.
      await weft.execute('quest.accept', { characterId: hero.id, questId: 'forge_a_sword' }, as);
      const crafted = (itemId: string, count: number) => ({
        characterId: hero.id,
        ownerId: ann.id,
        recipeId: `make_${itemId}`,
        itemId,
        count,
      });
      await publishAs(weft, 'crafting', 'crafting.item_crafted', crafted('copper_bar', 3));
      await weft.events.drain();
      expect(await statusOf(hero.id, 'forge_a_sword')).toMatchObject({ status: 'active' });
      await publishAs(weft, 'crafting', 'crafting.item_crafted', crafted('copper_sword', 1));
      await weft.events.drain();
      expect(await statusOf(hero.id, 'forge_a_sword')).toMatchObject({ status: 'completed' });
      await weft.execute('quest.claim', { characterId: hero.id, questId: 'forge_a_sword' }, as);

      // talk: through the dialogue system, to an NPC of the region the character stands in.
      await weft.execute('character.gain_xp', { characterId: hero.id, xp: 1000 }); // level 6
      await weft.execute('quest.accept', { characterId: hero.id, questId: 'deep_trouble' }, as);
      await weft.execute('dialogue.choose', { characterId: hero.id, npcId: 'smith_bram', optionId: 'greet.2' }, as);
      await weft.events.drain();
      expect((await statusOf(hero.id, 'deep_trouble'))?.objectives).toMatchObject([
        { kind: 'talk', target: 'smith_bram', progress: 1, done: true },
        { kind: 'kill', target: 'skeleton_miner', progress: 0, done: false },
      ]);

      // collect: the quest completes on its kills; the claim wants the pelts and takes them.
      await weft.execute('quest.accept', { characterId: hero.id, questId: 'wolf_hunt' }, as);
      await fights(
        weft,
        Array.from({ length: 4 }, () => fight(hero, 'wolf', 'the_wild')),
      );
      await weft.events.drain();
      expect(await statusOf(hero.id, 'wolf_hunt')).toMatchObject({
        status: 'completed',
        objectives: [
          { kind: 'kill', done: true },
          { kind: 'collect', target: 'wolf_pelt', progress: 0, done: false },
        ],
      });
      const missing = await refusal(weft.execute('quest.claim', { characterId: hero.id, questId: 'wolf_hunt' }, as));
      expect(missing).toBeInstanceOf(ConflictError);
      expect((missing as ConflictError).details.missing).toEqual([{ itemId: 'wolf_pelt', needed: 2, have: 0 }]);
      // Nothing of the refused claim stayed: still completed, no gold paid.
      expect(await statusOf(hero.id, 'wolf_hunt')).toMatchObject({ status: 'completed' });
      const gold = await weft.execute('economy.wallet', { characterId: hero.id }, as);
      await weft.execute(
        'character.give_items',
        { characterId: hero.id, items: [{ itemId: 'wolf_pelt', count: 3 }], reason: 'loot' },
        as,
      );
      expect((await statusOf(hero.id, 'wolf_hunt'))?.objectives[1]).toMatchObject({ progress: 2, done: true });
      await weft.execute('quest.claim', { characterId: hero.id, questId: 'wolf_hunt' }, as);
      const after = await weft.execute('character.get', { characterId: hero.id }, as);
      expect(after.inventory).toMatchObject({ wolf_pelt: 1, healing_potion: 1 });
      expect(await weft.execute('economy.wallet', { characterId: hero.id }, as)).toEqual({
        ...gold,
        gold: (gold.status === 'open' ? gold.gold : 0) + 30,
      });

      // A place to reach where the character stands when it accepts is reached at once.
      const scout = await weft.execute('character.create', { name: 'Ann Two', class: 'warrior' }, as);
      await weft.execute('character.gain_xp', { characterId: scout.id, xp: 100 });
      await weft.execute('character.move', { characterId: scout.id, regionId: 'ironhill' }, as);
      const accepted = await weft.execute('quest.accept', { characterId: scout.id, questId: 'scout_the_hills' }, as);
      expect(accepted).toMatchObject({ status: 'active', objectives: [{ progress: 1, done: true }, { progress: 0 }] });
    });

    it('counts only what happened after the quest was taken, even when its event arrives after the accept', async () => {
      const hero = await world();
      const as = { actor: ann };
      await weft.execute('character.gain_xp', { characterId: hero.id, xp: 100 }); // level 2
      // A kill and a craft made before the accept, whose events are delivered after it (their commit comes first;
      // here one transaction holds both, so delivery waits for the accept).
      await weft.transaction(async () => {
        await fights(weft, [fight(hero, 'slime', 'the_wild'), fight(hero, 'slime', 'the_wild')]);
        const sword = { characterId: hero.id, ownerId: ann.id, recipeId: 'forge_copper_sword', itemId: 'copper_sword' };
        await publishAs(weft, 'crafting', 'crafting.item_crafted', { ...sword, count: 1 });
        await weft.execute('quest.accept', { characterId: hero.id, questId: 'slime_cleanup' }, as);
        await weft.execute('quest.accept', { characterId: hero.id, questId: 'forge_a_sword' }, as);
      });
      await weft.events.drain();
      expect(await statusOf(hero.id, 'slime_cleanup')).toMatchObject({
        status: 'active',
        objectives: [{ progress: 0 }],
      });
      expect(await statusOf(hero.id, 'forge_a_sword')).toMatchObject({
        status: 'active',
        objectives: [{ progress: 0 }],
      });
      // What happens after counts.
      await fights(weft, [fight(hero, 'slime', 'the_wild')]);
      await weft.events.drain();
      expect(await statusOf(hero.id, 'slime_cleanup')).toMatchObject({ objectives: [{ progress: 1 }] });

      // A quest a dialogue choice starts counts from the choice, not from the kill before it.
      const choose = (optionId: string) =>
        weft.execute('dialogue.choose', { characterId: hero.id, npcId: 'warden_lyra', optionId }, as);
      await weft.execute('character.move', { characterId: hero.id, regionId: 'oakwood' }, as);
      await weft.transaction(async () => {
        await fights(weft, [fight(hero, 'wolf', 'the_wild')]);
        await choose('greet.0'); // starts wolf_hunt
      });
      await weft.events.drain();
      expect(await statusOf(hero.id, 'wolf_hunt')).toMatchObject({
        status: 'active',
        objectives: [{ progress: 0 }, {}],
      });
      await fights(weft, [fight(hero, 'wolf', 'the_wild')]);
      await weft.events.drain();
      expect(await statusOf(hero.id, 'wolf_hunt')).toMatchObject({ objectives: [{ progress: 1 }, {}] });
    });

    it('pays a claim once: a repeat is a 409, a retried key replays, and of claims at once exactly one pays', async () => {
      const hero = await world();
      const as = { actor: ann };
      const ref = { characterId: hero.id, questId: 'slime_cleanup' };
      await weft.execute('quest.accept', ref, as);
      await fights(
        weft,
        Array.from({ length: 5 }, () => fight(hero, 'slime', 'the_wild')),
      );
      await weft.events.drain();

      const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => weft.execute('quest.claim', ref, as)));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const refusals = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as Error] : []));
      expect(refusals.filter((e) => !(e instanceof ConflictError)).map((e) => `${e.name}: ${e.message}`)).toEqual([]);
      expect(await weft.execute('economy.wallet', { characterId: hero.id }, as)).toMatchObject({ gold: 70 });
      expect(await weft.execute('character.get', { characterId: hero.id }, as)).toMatchObject({ xp: 50 });
      const ledger = await weft.execute('economy.ledger', { characterId: hero.id }, as);
      expect(ledger.lines.filter((l) => l.reason === 'quest_reward')).toHaveLength(1);
      expect((await weft.execute('economy.audit', {})).balanced).toBe(true);

      // A claim retried with its idempotency key gets the first answer and pays nothing more.
      const second = await weft.execute('character.create', { name: 'Ann Two', class: 'warrior' }, as);
      const ref2 = { characterId: second.id, questId: 'slime_cleanup' };
      await weft.execute('quest.accept', ref2, as);
      await fights(
        weft,
        Array.from({ length: 5 }, () => fight(second, 'slime', 'the_wild')),
      );
      await weft.events.drain();
      const first = await weft.execute('quest.claim', ref2, { ...as, idempotencyKey: 'claim-1' });
      expect(await weft.execute('quest.claim', ref2, { ...as, idempotencyKey: 'claim-1' })).toEqual(first);
      expect(await weft.execute('economy.wallet', { characterId: second.id }, as)).toMatchObject({ gold: 70 });
    });

    it('pays claims while their characters sell at the market, all at once, with no deadlock', async () => {
      // No retries: a deadlock reaches the caller instead of being retried away. A claim paid the gold (the wallet's
      // lock) before the xp (the character's) while a sale takes the items before paying: on PostgreSQL the two
      // could each wait for the other.
      weft = await questWorld({ ...options, retry: { maxAttempts: 1 } });
      const heroes = [];
      for (let i = 0; i < 8; i++) {
        const hero = await weft.execute('character.create', { name: `Hero${i}`, class: 'warrior' }, { actor: ann });
        await weft.execute('character.give_items', {
          characterId: hero.id,
          items: [{ itemId: 'healing_potion', count: 10 }],
          reason: 'loot',
        });
        await weft.execute('quest.accept', { characterId: hero.id, questId: 'slime_cleanup' }, { actor: ann });
        heroes.push(hero);
      }
      await fights(
        weft,
        heroes.flatMap((hero) => Array.from({ length: 5 }, () => fight(hero, 'slime', 'the_wild'))),
      );
      await weft.events.drain();
      const sells = 6;
      const outcomes = await Promise.allSettled(
        heroes.flatMap((hero) => [
          weft.execute('quest.claim', { characterId: hero.id, questId: 'slime_cleanup' }, { actor: ann }),
          ...Array.from({ length: sells }, () =>
            weft.execute(
              'economy.sell',
              { characterId: hero.id, itemId: 'healing_potion', quantity: 1 },
              { actor: ann },
            ),
          ),
        ]),
      );
      expect(outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []))).toEqual([]);
      for (const hero of heroes) {
        // 50 to start, 20 for the quest, 6 a potion (src/game/content/market.json); 50 xp.
        expect(await weft.execute('economy.wallet', { characterId: hero.id }, { actor: ann })).toMatchObject({
          gold: 50 + 20 + sells * 6,
        });
        expect(await weft.execute('character.get', { characterId: hero.id }, { actor: ann })).toMatchObject({
          xp: 50,
          inventory: expect.objectContaining({ healing_potion: 10 - sells }) as unknown,
        });
      }
    });
  });
}
