import { describe, expect, it } from 'vitest';
import type { TestIntegrationOptions } from 'weft/testing';
import { auditedGame, createCharacter, expectStatus, holdings, isProblem, post } from './http-play.js';
import { snapshot } from './http-snapshot.js';

/** Amounts no route may take: none is a count of gold or items. */
const BAD_AMOUNTS: ReadonlyArray<{ readonly name: string; readonly value: unknown }> = [
  { name: 'zero', value: 0 },
  { name: 'negative', value: -1 },
  { name: 'fractional', value: 1.5 },
  { name: '2**53', value: 2 ** 53 },
  { name: 'a huge double', value: 1e300 },
  { name: 'a string', value: '5' },
  { name: 'null', value: null },
  { name: 'a boolean', value: true },
  { name: 'an array', value: [5] },
];

/** Every bad amount on every route that moves gold or items is a 422 and moves nothing, on one backend. */
export function httpAmountsContract(name: string, options: TestIntegrationOptions): void {
  describe(`HTTP amounts: ${name}`, () => {
    const begin = auditedGame(options);
    async function start() {
      const table = await begin();
      const { game, ann, bob } = table;
      return {
        ...table,
        alchemist: await createCharacter(game, ann, 'Mira', 'alchemist'),
        ranger: await createCharacter(game, bob, 'Bert', 'ranger'),
      };
    }

    it('answers 422 to 0, -1, 1.5, 2**53, a string and other non-counts on transfer, buy, sell and craft', async () => {
      const { game, ann, bob, alchemist, ranger } = await start();
      const before = { mira: await holdings(game, ann, alchemist), bert: await holdings(game, bob, ranger) };
      const state = await snapshot(game.weft);
      const routes = [
        { url: `/characters/${alchemist}/transfer`, field: 'gold', body: { toCharacterId: ranger } },
        { url: `/characters/${alchemist}/market/buy`, field: 'quantity', body: { itemId: 'herb' } },
        { url: `/characters/${alchemist}/market/sell`, field: 'quantity', body: { itemId: 'herb' } },
        { url: `/characters/${alchemist}/craft`, field: 'times', body: { recipeId: 'bake_bread' } },
      ];
      for (const route of routes) {
        for (const amount of BAD_AMOUNTS) {
          const answer = await post(game, ann, route.url, { ...route.body, [route.field]: amount.value });
          const what = `${route.url} with ${amount.name}`;
          expect(answer.statusCode, `${what}: ${answer.body}`).toBe(422);
          expect(isProblem(answer), what).toBe(true);
          const paths = answer.json<{ issues: Array<{ path: unknown[] }> }>().issues.map((i) => i.path);
          expect(paths.length, what).toBeGreaterThan(0);
          for (const path of paths) expect(path, what).toEqual(['body', route.field]);
        }
      }
      // One past the most the market trades at once, too.
      for (const side of ['buy', 'sell']) {
        const answer = await post(game, ann, `/characters/${alchemist}/market/${side}`, {
          itemId: 'herb',
          quantity: 10_001,
        });
        expect(answer.statusCode, side).toBe(422);
      }
      const tooMany = await post(game, ann, `/characters/${alchemist}/craft`, { recipeId: 'bake_bread', times: 101 });
      expect(tooMany.statusCode).toBe(422);
      await game.weft.events.drain();
      expect(await snapshot(game.weft)).toEqual(state);
      expect({ mira: await holdings(game, ann, alchemist), bert: await holdings(game, bob, ranger) }).toEqual(before);
    });

    it('answers 422 to a transfer or a sale that would take a wallet past Number.MAX_SAFE_INTEGER', async () => {
      const { game, ann, bob, alchemist, ranger } = await start();
      // No play reaches such a fortune in a test's time: the economy credits it as loot, through the ledger.
      const rich = Number.MAX_SAFE_INTEGER - 60 - 10;
      await game.weft.execute('economy.credit', { characterId: ranger, gold: rich, source: 'loot' });
      await game.weft.events.drain();
      const before = { mira: await holdings(game, ann, alchemist), bert: await holdings(game, bob, ranger) };
      expect(before.bert.gold).toBe(Number.MAX_SAFE_INTEGER - 10);
      const state = await snapshot(game.weft);

      const transfer = await post(game, ann, `/characters/${alchemist}/transfer`, { toCharacterId: ranger, gold: 11 });
      expect(transfer.statusCode, transfer.body).toBe(422);
      expect(isProblem(transfer)).toBe(true);
      expect(transfer.json<{ detail: string }>().detail).toMatch(/more gold than a wallet can/);
      // The issue names the field whose amount is too much for the receiving wallet.
      expect(transfer.json<{ issues: unknown[] }>().issues).toEqual([
        expect.objectContaining({ path: ['gold'], pathText: '$.gold', code: 'too_big' }),
      ]);
      const topUp = await post(game, ann, `/characters/${alchemist}/transfer`, { toCharacterId: ranger, gold: 10 });
      expectStatus(topUp, 200, 'a transfer up to the limit');
      const full = await holdings(game, bob, ranger);
      expect(full.gold).toBe(Number.MAX_SAFE_INTEGER);
      const afterTopUp = { mira: await holdings(game, ann, alchemist), bert: full };
      await game.weft.events.drain();
      const topped = await snapshot(game.weft);
      expect(topped).not.toEqual(state);

      const back = await post(game, bob, `/characters/${ranger}/market/sell`, { itemId: 'bread', quantity: 1 });
      expect(back.statusCode, back.body).toBe(422);
      expect(back.json<{ detail: string }>().detail).toMatch(/more gold than a wallet can/);
      expect(back.json<{ issues: unknown[] }>().issues).toEqual([
        expect.objectContaining({ path: ['quantity'], pathText: '$.quantity', code: 'too_big' }),
      ]);
      const gift = await post(game, ann, `/characters/${alchemist}/transfer`, { toCharacterId: ranger, gold: 1 });
      expect(gift.statusCode).toBe(422);
      await game.weft.events.drain();
      expect(await snapshot(game.weft)).toEqual(topped);
      expect({ mira: await holdings(game, ann, alchemist), bert: await holdings(game, bob, ranger) }).toEqual(
        afterTopUp,
      );
    });
  });
}
