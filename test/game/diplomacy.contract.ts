import { afterEach, describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError, type EventEnvelope } from 'weft/internal';
import type { TestIntegration, TestIntegrationOptions } from 'weft/testing';
import { standingOf } from '../../src/game/systems/diplomacy/standing.js';
import { ann, bob, fight, fights, questWorld } from './quest-world.js';

/** The diplomacy system on one database backend. */
export function diplomacyContract(name: string, options: TestIntegrationOptions): void {
  describe(`diplomacy: ${name}`, () => {
    let weft: TestIntegration;
    afterEach(async () => {
      await weft.close();
    });

    async function world() {
      weft = await questWorld(options);
      const hero = await weft.execute('character.create', { name: 'Ann', class: 'ranger' }, { actor: ann });
      const crossings: EventEnvelope[] = [];
      weft.system('test_probe').events.subscribe('diplomacy.standing_changed', (e) => void crossings.push(e));
      await weft.events.ready();
      return { hero, crossings };
    }

    const reputation = async (characterId: string) =>
      Object.fromEntries(
        (await weft.execute('diplomacy.reputation', { characterId }, { actor: ann })).factions.map((f) => [
          f.factionId,
          `${f.reputation} ${f.standing}`,
        ]),
      );

    it('puts reputations in bands, from each faction’s starting reputation', async () => {
      const { hero } = await world();
      expect((await weft.execute('diplomacy.factions', {})).factions.map((f) => f.id)).toEqual([
        'town_guard',
        'miners_guild',
        'forest_wardens',
        'goblin_clans',
        'the_wild',
      ]);
      expect(await reputation(hero.id)).toEqual({
        town_guard: '0 neutral',
        miners_guild: '0 neutral',
        forest_wardens: '0 neutral',
        goblin_clans: '-100 unfriendly',
        the_wild: '-50 unfriendly',
      });
      const bands = [-1000, -301, -300, -1, 0, 299, 300, 599, 600, 899, 900, 1000].map(standingOf);
      expect(bands).toEqual([
        'hostile',
        'hostile',
        'unfriendly',
        'unfriendly',
        'neutral',
        'neutral',
        'friendly',
        'friendly',
        'honored',
        'honored',
        'exalted',
        'exalted',
      ]);
    });

    it('spreads a change to allies (same sign) and enemies (opposite sign), and publishes band crossings', async () => {
      const { hero, crossings } = await world();
      const change = (factionId: string, amount: number) =>
        weft.execute(
          'diplomacy.change_reputation',
          { characterId: hero.id, factionId, amount, reason: 'test' },
          { actor: ann },
        );
      // The guard's ally gains half, its enemies lose half; the neutral wardens are untouched.
      expect((await change('town_guard', 100)).changes).toEqual([
        { factionId: 'town_guard', amount: 100, reputation: 100, standing: 'neutral' },
        { factionId: 'miners_guild', amount: 50, reputation: 50, standing: 'neutral' },
        { factionId: 'goblin_clans', amount: -50, reputation: -150, standing: 'unfriendly' },
        { factionId: 'the_wild', amount: -50, reputation: -100, standing: 'unfriendly' },
      ]);
      await weft.events.drain();
      expect(crossings).toEqual([]);
      // Two bands crossed at once: the wardens rise to friendly, their enemy the goblins fall to hostile.
      await change('forest_wardens', 350);
      // A change is cut at the bounds (its spread too): the amount applied says so.
      expect((await change('town_guard', 2000)).changes[0]).toEqual({
        factionId: 'town_guard',
        amount: 900,
        reputation: 1000,
        standing: 'exalted',
      });
      await weft.events.drain();
      expect(crossings.map((e) => e.data)).toEqual([
        { characterId: hero.id, ownerId: ann.id, factionId: 'forest_wardens', from: 'neutral', to: 'friendly' },
        { characterId: hero.id, ownerId: ann.id, factionId: 'goblin_clans', from: 'unfriendly', to: 'hostile' },
        { characterId: hero.id, ownerId: ann.id, factionId: 'town_guard', from: 'neutral', to: 'exalted' },
        { characterId: hero.id, ownerId: ann.id, factionId: 'miners_guild', from: 'neutral', to: 'exalted' },
        { characterId: hero.id, ownerId: ann.id, factionId: 'the_wild', from: 'unfriendly', to: 'hostile' },
      ]);
      expect(await reputation(hero.id)).toEqual({
        town_guard: '1000 exalted',
        miners_guild: '1000 exalted',
        forest_wardens: '350 friendly',
        goblin_clans: '-1000 hostile',
        the_wild: '-1000 hostile',
      });

      // Refused: an unknown faction, a zero change, another player's character.
      await expect(change('dragons', 5)).rejects.toBeInstanceOf(ValidationError);
      await expect(change('town_guard', 0)).rejects.toBeInstanceOf(ValidationError);
      await expect(
        weft.execute('diplomacy.reputation', { characterId: hero.id }, { actor: bob }),
      ).rejects.toBeInstanceOf(NotFoundError);
      await expect(
        weft.execute(
          'diplomacy.change_reputation',
          { characterId: hero.id, factionId: 'town_guard', amount: 5, reason: 'test' },
          { actor: bob },
        ),
      ).rejects.toBeInstanceOf(NotFoundError);
    });

    it('lowers the standing with a beaten monster’s faction, and raises it with that faction’s enemies', async () => {
      const { hero } = await world();
      await fights(weft, [
        fight(hero, 'goblin_scout', 'goblin_clans'),
        fight(hero, 'goblin_scout', 'goblin_clans', false),
        fight(hero, 'goblin_warrior', 'goblin_clans'),
      ]);
      await weft.events.drain();
      // Two won fights: -5 each with the goblins, +2 each with the three factions hostile to them.
      expect(await reputation(hero.id)).toEqual({
        town_guard: '4 neutral',
        miners_guild: '4 neutral',
        forest_wardens: '4 neutral',
        goblin_clans: '-110 unfriendly',
        the_wild: '-50 unfriendly',
      });
    });
  });
}
