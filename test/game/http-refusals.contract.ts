import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { TestIntegrationOptions } from 'weft/testing';
import type { GameApp, Player } from './http-harness.js';
import { auditedGame, buy, createCharacter, expectStatus, holdings, isProblem, post } from './http-play.js';
import { snapshot } from './http-snapshot.js';

interface Issue {
  readonly path: ReadonlyArray<string | number>;
  readonly pathText: string;
  readonly code: string;
  readonly message: string;
}

/** The issues of a 422 problem document (fails when it is not one). */
function issuesOf(answer: LightMyRequestResponse, what: string): readonly Issue[] {
  expect(answer.statusCode, `${what}: ${answer.body}`).toBe(422);
  expect(isProblem(answer), what).toBe(true);
  const { issues } = answer.json<{ issues?: Issue[] }>();
  expect(issues, `${what}: ${answer.body}`).toBeDefined();
  return issues ?? [];
}

/**
 * Requests a command refuses after their schema passed: each answer says why and changes nothing, on one backend.
 * Found by a QA pass over HTTP.
 */
export function httpRefusalsContract(name: string, options: TestIntegrationOptions): void {
  describe(`HTTP refusals: ${name}`, () => {
    const begin = auditedGame(options);
    const get = (game: GameApp, player: Player, url: string) =>
      game.request({ method: 'GET', url, headers: player.auth });

    it('lists issues naming the offending field on every 422 of a command’s own checks, and changes nothing', async () => {
      const { game, ann } = await begin();
      const mira = await createCharacter(game, ann, 'Mira', 'alchemist');
      const before = await holdings(game, ann, mira);
      const state = await snapshot(game.weft);
      const refused: Array<{ what: string; answer: LightMyRequestResponse; path: string[]; code: string }> = [
        {
          what: 'an unknown class',
          answer: await post(game, ann, '/characters', { name: 'Zed', class: 'wizard' }),
          path: ['class'],
          code: 'reference',
        },
        {
          what: 'an unknown monster',
          answer: await post(game, ann, `/characters/${mira}/encounters`, { monsterId: 'dragon' }),
          path: ['monsterId'],
          code: 'reference',
        },
        {
          what: 'an unknown region',
          answer: await post(game, ann, `/characters/${mira}/travel`, { regionId: 'atlantis' }),
          path: ['regionId'],
          code: 'reference',
        },
        {
          what: 'an item that is not for using',
          answer: await post(game, ann, `/characters/${mira}/use`, { itemId: 'herb' }),
          path: ['itemId'],
          code: 'not_usable',
        },
        {
          what: 'a transfer to oneself',
          answer: await post(game, ann, `/characters/${mira}/transfer`, { toCharacterId: mira, gold: 1 }),
          path: ['toCharacterId'],
          code: 'same_character',
        },
        {
          what: 'a cursor the ledger did not give',
          answer: await get(game, ann, `/characters/${mira}/ledger?cursor=zzz`),
          path: ['cursor'],
          code: 'invalid_cursor',
        },
      ];
      for (const { what, answer, path, code } of refused) {
        const issues = issuesOf(answer, what);
        expect(issues, what).toHaveLength(1);
        expect(issues[0], what).toMatchObject({ path, pathText: `$.${path.join('.')}`, code });
        expect(issues[0]?.message, what).not.toBe('');
      }
      await game.weft.events.drain();
      expect(await snapshot(game.weft)).toEqual(state);
      expect(await holdings(game, ann, mira)).toEqual(before);
    });

    it('refuses to sell an item the market pays nothing for, taking nothing; a sale that pays names its movement', async () => {
      const { game, ann } = await begin();
      const mira = await createCharacter(game, ann, 'Mira', 'alchemist');
      await buy(game, ann, mira, 'wood', 2);
      await game.weft.events.drain();
      const before = await holdings(game, ann, mira);
      expect(before.inventory.wood).toBe(2);
      const state = await snapshot(game.weft);

      const wood = await post(game, ann, `/characters/${mira}/market/sell`, { itemId: 'wood', quantity: 2 });
      expect(wood.statusCode, wood.body).toBe(404);
      expect(isProblem(wood)).toBe(true);
      expect(wood.json<{ detail: string }>().detail).toMatch(/does not buy wood/);
      await game.weft.events.drain();
      expect(await snapshot(game.weft)).toEqual(state);
      expect(await holdings(game, ann, mira)).toEqual(before);

      const herb = expectStatus(
        await post(game, ann, `/characters/${mira}/market/sell`, { itemId: 'herb', quantity: 2 }),
        200,
        'sell herbs',
      ).json<{ movementId: string; total: number; gold: number }>();
      expect(herb.total).toBe(2);
      expect(herb.movementId).not.toBe('');
      const after = await holdings(game, ann, mira);
      expect(after.gold).toBe(before.gold + 2);
      expect(after.ledger[0]).toEqual({ movementId: herb.movementId, amount: 2, reason: 'selling' });
    });

    it('refuses a healing item at full hp with a 409, keeping it, and heals with it below full hp', async () => {
      const { game, ann } = await begin();
      const mira = await createCharacter(game, ann, 'Mira', 'alchemist');
      const character = async () =>
        expectStatus(await get(game, ann, `/characters/${mira}`), 200, 'character').json<{
          hp: number;
          maxHp: number;
          inventory: Record<string, number>;
        }>();
      const full = await character();
      expect(full.hp).toBe(full.maxHp);
      expect(full.inventory.healing_potion).toBe(3);
      const state = await snapshot(game.weft);

      const refused = await post(game, ann, `/characters/${mira}/use`, { itemId: 'healing_potion' });
      expect(refused.statusCode, refused.body).toBe(409);
      expect(isProblem(refused)).toBe(true);
      expect(refused.json()).toMatchObject({ code: 'WEFT_CONFLICT' });
      expect(refused.json<{ detail: string }>().detail).toMatch(/full hp/);
      await game.weft.events.drain();
      expect(await snapshot(game.weft)).toEqual(state);
      expect((await character()).inventory.healing_potion).toBe(3);

      // Hurt, the potion heals (30) and is used up.
      await game.weft.execute('character.change_hp', { characterId: mira, delta: -50 });
      const healed = expectStatus(
        await post(game, ann, `/characters/${mira}/use`, { itemId: 'healing_potion' }),
        200,
        'use a potion',
      );
      expect(healed.json()).toEqual({ hp: full.maxHp - 20, maxHp: full.maxHp });
      expect((await character()).inventory.healing_potion).toBe(2);
      // Short of full by less than a potion heals: it heals to full, and then it is refused again.
      await game.weft.execute('character.change_hp', { characterId: mira, delta: 15 });
      expect(
        expectStatus(
          await post(game, ann, `/characters/${mira}/use`, { itemId: 'healing_potion' }),
          200,
          'again',
        ).json(),
      ).toEqual({ hp: full.maxHp, maxHp: full.maxHp });
      expect((await post(game, ann, `/characters/${mira}/use`, { itemId: 'healing_potion' })).statusCode).toBe(409);
      expect((await character()).inventory.healing_potion).toBe(1);
    });

    it('uses a potion once for an Idempotency-Key, as its route says, and answers a retry with the first answer', async () => {
      const { game, ann } = await begin();
      const mira = await createCharacter(game, ann, 'Mira', 'alchemist');
      await game.weft.execute('character.change_hp', { characterId: mira, delta: -70 });
      const key = { 'idempotency-key': 'potion-1' };
      const first = expectStatus(
        await post(game, ann, `/characters/${mira}/use`, { itemId: 'healing_potion' }, key),
        200,
        'use with a key',
      );
      const again = expectStatus(
        await post(game, ann, `/characters/${mira}/use`, { itemId: 'healing_potion' }, key),
        200,
        'the retry',
      );
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(first.json());
      const after = expectStatus(await get(game, ann, `/characters/${mira}`), 200, 'character').json<{
        hp: number;
        inventory: Record<string, number>;
      }>();
      expect(after.inventory.healing_potion).toBe(2);
      expect(after.hp).toBe(first.json<{ hp: number }>().hp);
    });
  });
}
