import { afterEach, describe, expect, it } from 'vitest';
import type { TestIntegrationOptions } from 'weft/testing';
import { gameApp, type GameApp } from './http-harness.js';
import { createCharacter } from './http-play.js';

/** The market's prices of a healing potion (src/game/content/market.json). */
const BUY = 18;
const SELL = 6;

/**
 * One player buying and selling at once over HTTP, on one database backend: every request goes through, and gold and
 * items add up. On PostgreSQL a buy locked the wallet before the character while a sale (and a craft) locked the
 * character first: 20 buys and sells of one character at once deadlocked 216 times, took 20 s a round, and answered
 * 409s and 503s.
 */
export function marketRacesContract(name: string, options: TestIntegrationOptions): void {
  describe(`one player at the market, many requests at once: ${name}`, () => {
    let game: GameApp;
    afterEach(async () => {
      await game.close();
    });

    it('answers every buy and sale of one character sent at once, and the gold and items add up', async () => {
      game = await gameApp(options);
      const ann = await game.player('ann');
      const mira = await createCharacter(game, ann, 'Mira', 'warrior');
      await game.weft.execute('economy.credit', { characterId: mira, gold: 10_000, source: 'loot' });
      await game.weft.execute('character.give_items', {
        characterId: mira,
        items: [{ itemId: 'healing_potion', count: 100 }],
        reason: 'loot',
      });
      const look = async () => {
        const [character, wallet] = await Promise.all([
          game.request({ method: 'GET', url: `/characters/${mira}`, headers: ann.auth }),
          game.request({ method: 'GET', url: `/characters/${mira}/wallet`, headers: ann.auth }),
        ]);
        return {
          potions: character.json<{ inventory: Record<string, number> }>().inventory.healing_potion ?? 0,
          gold: wallet.json<{ gold: number }>().gold,
        };
      };
      const before = await look();
      const rounds = 3;
      for (let round = 0; round < rounds; round++) {
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            game.request({
              method: 'POST',
              url: `/characters/${mira}/market/${i % 2 === 0 ? 'buy' : 'sell'}`,
              headers: ann.auth,
              payload: { itemId: 'healing_potion', quantity: 1 },
            }),
          ),
        );
        expect(answers.map((answer) => answer.statusCode)).toEqual(Array(20).fill(200));
      }
      // Ten buys and ten sales a round: as many potions as before, and the market's margin gone from the wallet.
      expect(await look()).toEqual({ potions: before.potions, gold: before.gold - rounds * 10 * (BUY - SELL) });
    });
  });
}
