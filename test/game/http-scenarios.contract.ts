import { describe, expect, it } from 'vitest';
import type { TestIntegrationOptions } from 'weft/testing';
import {
  auditedGame,
  buy,
  createCharacter,
  expectStatus,
  holdings,
  isProblem,
  post,
  statusCounts,
  type Table,
} from './http-play.js';

/** Whole game actions over HTTP, each ending with a balanced economy audit, on one backend. */
export function httpScenariosContract(name: string, options: TestIntegrationOptions): void {
  describe(`HTTP game scenarios: ${name}`, () => {
    // A fixed seed: every fight of a test is the same fight, whatever the run.
    const start = auditedGame({ ...options, game: { seed: () => 424_242 } });
    const limited = auditedGame({ ...options, rateLimits: { auth: 10_000, command: 20 } });

    /** Ann's warrior (50 gold) sends all its gold to Bob's ranger (60 gold) 100 times at once. */
    async function spendTheWalletAtOnce({ game, ann, bob }: Omit<Table, 'admin'>) {
      const giver = await createCharacter(game, ann, 'Anna', 'warrior');
      const taker = await createCharacter(game, bob, 'Bert', 'ranger');
      const answers = await Promise.all(
        Array.from({ length: 100 }, () =>
          post(game, ann, `/characters/${giver}/transfer`, { toCharacterId: taker, gold: 50 }),
        ),
      );
      return { giver, taker, answers };
    }

    it('refuses a craft without the gold or the items with a 409 naming what is missing, and changes nothing', async () => {
      const { game, ann, bob } = await start();
      const alchemist = await createCharacter(game, ann, 'Mira', 'alchemist');
      const friend = await createCharacter(game, bob, 'Bert', 'warrior');
      await buy(game, ann, alchemist, 'wood', 4);
      const before = await holdings(game, ann, alchemist);
      expect(before.gold).toBe(80 - 4 * 2);
      // 80 batches of planks: 160 wood and a fee of 80 gold; 4 wood and 72 gold held.
      const short = await post(game, ann, `/characters/${alchemist}/craft`, { recipeId: 'saw_planks', times: 80 });
      expect(short.statusCode).toBe(409);
      expect(isProblem(short)).toBe(true);
      expect(short.json<{ detail: string }>().detail).toBe('Missing for saw_planks x80: wood (4 of 160), 8 gold.');
      expect(await holdings(game, ann, alchemist)).toEqual(before);

      // The items held, the gold given away: only the gold is named.
      expectStatus(
        await post(game, ann, `/characters/${alchemist}/transfer`, { toCharacterId: friend, gold: before.gold }),
        200,
        'transfer',
      );
      const broke = await holdings(game, ann, alchemist);
      expect(broke.gold).toBe(0);
      const noGold = await post(game, ann, `/characters/${alchemist}/craft`, { recipeId: 'saw_planks', times: 2 });
      expect(noGold.statusCode).toBe(409);
      expect(noGold.json<{ detail: string }>().detail).toBe('Missing for saw_planks x2: 2 gold.');
      expect(await holdings(game, ann, alchemist)).toEqual(broke);
    });

    it('lets exactly one of 100 parallel transfers of a whole wallet through', async () => {
      const { game, ann, bob } = await start();
      const { giver, taker, answers } = await spendTheWalletAtOnce({ game, ann, bob });
      const counts = statusCounts(answers);
      expect(answers.filter((a) => a.statusCode >= 200 && a.statusCode < 300)).toHaveLength(1);
      expect(Object.keys(counts).map(Number).sort()).toEqual(expect.arrayContaining([200, 409]));
      for (const status of Object.keys(counts).map(Number))
        expect([200, 409, 429], `status ${status}`).toContain(status);
      for (const refused of answers.filter((a) => a.statusCode >= 400)) expect(isProblem(refused)).toBe(true);
      expect((await holdings(game, ann, giver)).gold).toBe(0);
      const received = await holdings(game, bob, taker);
      expect(received.gold).toBe(60 + 50);
      expect(received.ledger.filter((line) => line.reason === 'transfer')).toEqual([
        expect.objectContaining({ amount: 50 }),
      ]);
    });

    it('lets one of 100 parallel transfers through under a tight rate limit; the rest are 409 or 429', async () => {
      const { game, ann, bob } = await limited();
      const { taker, answers } = await spendTheWalletAtOnce({ game, ann, bob });
      const counts = statusCounts(answers);
      expect(counts[200]).toBe(1);
      expect(counts[429]).toBeGreaterThan(0);
      expect((counts[200] ?? 0) + (counts[409] ?? 0) + (counts[429] ?? 0)).toBe(100);
      for (const slowed of answers.filter((a) => a.statusCode === 429)) {
        expect(isProblem(slowed)).toBe(true);
        expect(Number(slowed.headers['retry-after'])).toBeGreaterThan(0);
      }
      expect((await holdings(game, bob, taker)).gold).toBe(60 + 50);
    });

    it('crafts once for 50 parallel requests with one Idempotency-Key, and refuses the key for another body', async () => {
      const { game, ann } = await start();
      const alchemist = await createCharacter(game, ann, 'Mira', 'alchemist');
      // Wood for ten batches of planks, so a second effect would have what it needs.
      await buy(game, ann, alchemist, 'wood', 20);
      const before = await holdings(game, ann, alchemist);
      const key = { 'idempotency-key': 'planks-1' };
      const answers = await Promise.all(
        Array.from({ length: 50 }, () =>
          post(game, ann, `/characters/${alchemist}/craft`, { recipeId: 'saw_planks' }, key),
        ),
      );
      expect(statusCounts(answers)).toEqual({ 200: 50 });
      expect(new Set(answers.map((a) => a.body)).size).toBe(1);
      expect(answers[0]!.json()).toMatchObject({ recipeId: 'saw_planks', itemId: 'plank', made: 2, fee: 1 });
      expect(answers.filter((a) => a.headers['idempotent-replayed'] === 'true')).toHaveLength(49);
      const after = await holdings(game, ann, alchemist);
      expect(after.inventory).toEqual({ ...before.inventory, wood: 20 - 2, plank: 2 });
      expect(after.gold).toBe(before.gold - 1);
      expect(after.ledger.filter((line) => line.reason === 'crafting_fee')).toHaveLength(1);

      const other = await post(game, ann, `/characters/${alchemist}/craft`, { recipeId: 'saw_planks', times: 2 }, key);
      expect(other.statusCode).toBe(422);
      expect(isProblem(other)).toBe(true);
      expect(await holdings(game, ann, alchemist)).toEqual(after);
    });

    it('moves gold once for 50 parallel transfers with one Idempotency-Key', async () => {
      const { game, ann, bob } = await start();
      const giver = await createCharacter(game, ann, 'Anna', 'warrior');
      const taker = await createCharacter(game, bob, 'Bert', 'ranger');
      const key = { 'idempotency-key': 'gift-7' };
      const answers = await Promise.all(
        Array.from({ length: 50 }, () =>
          post(game, ann, `/characters/${giver}/transfer`, { toCharacterId: taker, gold: 7 }, key),
        ),
      );
      expect(statusCounts(answers)).toEqual({ 200: 50 });
      expect(new Set(answers.map((a) => a.body)).size).toBe(1);
      expect(answers.filter((a) => a.headers['idempotent-replayed'] === 'true')).toHaveLength(49);
      expect((await holdings(game, ann, giver)).gold).toBe(50 - 7);
      const received = await holdings(game, bob, taker);
      expect(received.gold).toBe(60 + 7);
      expect(received.ledger.filter((line) => line.reason === 'transfer')).toHaveLength(1);
    });

    it('rewards a quest claimed twice once: the second claim is a 409', async () => {
      const { game, ann } = await start();
      const hero = await createCharacter(game, ann, 'Anna', 'warrior');
      expectStatus(await post(game, ann, `/characters/${hero}/quests/slime_cleanup/accept`), 200, 'accept');
      const questOf = async () => {
        const list = await game.request({ method: 'GET', url: `/characters/${hero}/quests`, headers: ann.auth });
        return expectStatus(list, 200, 'quests')
          .json<{ quests: Array<{ questId: string; status: string }> }>()
          .quests.find((q) => q.questId === 'slime_cleanup');
      };
      // Fights until the quest says it is done (a won fight counts; the bound only stops a broken game).
      for (let fights = 0; (await questOf())?.status !== 'completed'; fights++) {
        expect(fights, 'fights needed for five slimes').toBeLessThan(20);
        expectStatus(await post(game, ann, `/characters/${hero}/encounters`, { monsterId: 'slime' }), 201, 'fight');
        await game.weft.events.drain();
      }
      const before = await holdings(game, ann, hero);
      const claims = await Promise.all(
        Array.from({ length: 2 }, () => post(game, ann, `/characters/${hero}/quests/slime_cleanup/claim`)),
      );
      expect(statusCounts(claims)).toEqual({ 200: 1, 409: 1 });
      expect(claims.find((c) => c.statusCode === 200)!.json()).toMatchObject({
        status: 'rewarded',
        rewards: { gold: 20 },
      });
      expect(isProblem(claims.find((c) => c.statusCode === 409)!)).toBe(true);
      const third = await post(game, ann, `/characters/${hero}/quests/slime_cleanup/claim`);
      expect(third.statusCode).toBe(409);
      await game.weft.events.drain();
      const after = await holdings(game, ann, hero);
      expect(after.gold).toBe(before.gold + 20);
      expect(after.ledger.filter((line) => line.reason === 'quest_reward')).toEqual([
        expect.objectContaining({ amount: 20 }),
      ]);
      expect((await questOf())?.status).toBe('rewarded');
    });

    it('replays a fight fought over HTTP identically', async () => {
      const { game, ann, bob } = await start();
      const hero = await createCharacter(game, ann, 'Anna', 'ranger');
      const fought = expectStatus(
        await post(game, ann, `/characters/${hero}/encounters`, { monsterId: 'wolf' }),
        201,
        'fight',
      );
      const encounter = fought.json<{ id: string; seed: number; result: string; rounds: unknown[]; loot: unknown[] }>();
      await game.weft.events.drain();
      const read = await game.request({ method: 'GET', url: `/encounters/${encounter.id}`, headers: ann.auth });
      expect(read.json()).toEqual(encounter);
      const replay = await game.request({
        method: 'GET',
        url: `/encounters/${encounter.id}/replay`,
        headers: ann.auth,
      });
      expect(replay.statusCode).toBe(200);
      expect(replay.json()).toMatchObject({
        encounterId: encounter.id,
        seed: 424_242,
        identical: true,
        differingRound: null,
        result: encounter.result,
        rounds: encounter.rounds,
        loot: encounter.loot,
      });
      // Another player's encounter is not theirs to read: a 404, not a 403.
      const probe = await game.request({ method: 'GET', url: `/encounters/${encounter.id}/replay`, headers: bob.auth });
      expect(probe.statusCode).toBe(404);
    });
  });
}
