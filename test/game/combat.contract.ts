import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError, type EventEnvelope } from 'weft/internal';
import { createTestIntegration, type TestIntegration, type TestIntegrationOptions } from 'weft/testing';
import { gameSystems } from '../../src/game/index.js';

const ann = { kind: 'user', id: 'user-ann', roles: ['player'] } as const;
const bob = { kind: 'user', id: 'user-bob', roles: ['player'] } as const;

/** Combat on one database backend, with the game's other systems hearing its outcomes. */
export function combatContract(name: string, options: TestIntegrationOptions): void {
  describe(`combat: ${name}`, () => {
    let weft: TestIntegration;
    afterEach(async () => {
      await weft.close();
    });

    /** The game with combat and world state; every fight draws `seed`, so fights can be compared. */
    async function game(seed = 7) {
      weft = await createTestIntegration({ pollIntervalMs: 20, ...options });
      await weft.install(...gameSystems({ seed: () => seed }));
      weft.assertWired();
      const resolved: EventEnvelope[] = [];
      weft.system('test_probe').events.subscribe('combat.encounter_resolved', (e) => void resolved.push(e));
      await weft.events.ready();
      return resolved;
    }

    async function hero(actor: typeof ann | typeof bob, name: string, characterClass: string) {
      const created = await weft.execute('character.create', { name, class: characterClass }, { actor });
      await weft.events.drain();
      return created.id;
    }

    it('fights from a stored seed, replays identically, and the character and the economy apply a win', async () => {
      const resolved = await game();
      const a = await hero(ann, 'Ann', 'warrior');
      await weft.execute('world_state.travel', { characterId: a, regionId: 'ironhill' }, { actor: ann });
      const fought = await weft.execute(
        'combat.fight',
        { characterId: a, monsterId: 'goblin_scout' },
        { actor: ann, idempotencyKey: 'fight-1' },
      );
      expect(fought).toMatchObject({
        characterId: a,
        ownerId: ann.id,
        monsterId: 'goblin_scout',
        region: 'ironhill',
        seed: 7,
        result: 'won',
        xp: 25,
        inputs: {
          character: { class: 'warrior', level: 1, hp: 120, attack: 14, defense: 6, weaponId: 'copper_sword' },
          monster: { id: 'goblin_scout', hp: 40, attack: 7, defense: 2, faction: 'goblin_clans' },
        },
      });
      expect(fought.rounds.at(-1)).toMatchObject({ monsterHp: 0, characterHp: 120 - fought.hpLost });
      // The checks below mean something only if the fight dropped both.
      expect(fought.gold).toBeGreaterThan(0);
      expect(fought.loot.length).toBeGreaterThan(0);
      // A retry with the same key is the same fight, not a second one.
      expect(
        await weft.execute(
          'combat.fight',
          { characterId: a, monsterId: 'goblin_scout' },
          { actor: ann, idempotencyKey: 'fight-1' },
        ),
      ).toEqual(fought);
      expect(await weft.execute('combat.encounter', { encounterId: fought.id }, { actor: ann })).toEqual(fought);
      const replay = await weft.execute('combat.replay', { encounterId: fought.id }, { actor: ann });
      expect(replay).toMatchObject({ encounterId: fought.id, seed: 7, identical: true, differingRound: null });
      expect(replay.rounds).toEqual(fought.rounds);

      await weft.events.drain();
      expect(resolved.map((e) => e.data)).toEqual([
        {
          encounterId: fought.id,
          characterId: a,
          ownerId: ann.id,
          monsterId: 'goblin_scout',
          faction: 'goblin_clans',
          region: 'ironhill',
          won: true,
          xp: 25,
          hpLost: fought.hpLost,
          loot: fought.loot,
          gold: fought.gold,
        },
      ]);
      expect(resolved[0]?.partitionKey).toBe(a);
      const after = await weft.execute('character.get', { characterId: a }, { actor: ann });
      const inventory: Record<string, number> = { copper_sword: 1, bread: 3 };
      for (const stack of fought.loot) inventory[stack.itemId] = (inventory[stack.itemId] ?? 0) + stack.count;
      expect([after.xp, after.hp, after.inventory]).toEqual([25, 120 - fought.hpLost, inventory]);
      expect(await weft.execute('economy.wallet', { characterId: a }, { actor: ann })).toMatchObject({
        gold: 50 + fought.gold,
      });
      expect((await weft.execute('economy.summary', {})).sources).toMatchObject({ loot: fought.gold });
      expect(await weft.execute('economy.audit', {})).toEqual({
        balanced: true,
        wallets: 1,
        ledgerSum: 0,
        mismatches: [],
      });
    });

    it('gives the same rounds for the same seed and inputs', async () => {
      await game(42);
      const first = await hero(ann, 'Ann', 'warrior');
      const second = await hero(ann, 'Ann Again', 'warrior');
      const one = await weft.execute('combat.fight', { characterId: first, monsterId: 'wolf' }, { actor: ann });
      const two = await weft.execute('combat.fight', { characterId: second, monsterId: 'wolf' }, { actor: ann });
      expect(two.id).not.toBe(one.id);
      expect(two.inputs).toEqual(one.inputs);
      expect({ ...two, id: one.id, characterId: first, at: one.at }).toEqual(one);
    });

    it('fights only a monster of the character’s region, and a lost fight leaves 0 hp and nothing gained', async () => {
      const resolved = await game(42);
      const a = await hero(ann, 'Ann', 'alchemist');
      const inRegion = await weft
        .execute('combat.fight', { characterId: a, monsterId: 'marsh_troll' }, { actor: ann })
        .catch((error: unknown) => error);
      expect(inRegion).toBeInstanceOf(ConflictError);
      expect((inRegion as ConflictError).message).toContain('greenvale');
      expect((inRegion as ConflictError).details).toMatchObject({ region: 'greenvale', monsters: ['slime', 'wolf'] });
      await expect(
        weft.execute('combat.fight', { characterId: a, monsterId: 'dragon' }, { actor: ann }),
      ).rejects.toBeInstanceOf(ValidationError);
      for (const regionId of ['oakwood', 'misty_marsh'])
        await weft.execute('world_state.travel', { characterId: a, regionId }, { actor: ann });
      const lost = await weft.execute('combat.fight', { characterId: a, monsterId: 'marsh_troll' }, { actor: ann });
      expect(lost).toMatchObject({ result: 'lost', region: 'misty_marsh', xp: 0, hpLost: 80, loot: [], gold: 0 });
      await weft.events.drain();
      expect(resolved.map((e) => e.data)).toEqual([
        expect.objectContaining({ won: false, xp: 0, hpLost: 80, loot: [], gold: 0, faction: 'the_wild' }),
      ]);
      const after = await weft.execute('character.get', { characterId: a }, { actor: ann });
      expect([after.hp, after.xp, after.inventory]).toEqual([0, 0, { healing_potion: 3, herb: 6 }]);
      expect(await weft.execute('economy.wallet', { characterId: a }, { actor: ann })).toMatchObject({ gold: 80 });
      const fallen = await weft
        .execute('combat.fight', { characterId: a, monsterId: 'slime' }, { actor: ann })
        .catch((error: unknown) => error);
      expect(fallen).toBeInstanceOf(ConflictError);
      expect((fallen as ConflictError).message).toContain('0 hp');
      expect(await weft.execute('combat.replay', { encounterId: lost.id }, { actor: ann })).toMatchObject({
        identical: true,
        result: 'lost',
      });
    });

    it('keeps each player to their own characters and encounters: another player’s are 404s', async () => {
      await game();
      const a = await hero(ann, 'Ann', 'ranger');
      await expect(
        weft.execute('combat.fight', { characterId: a, monsterId: 'slime' }, { actor: bob }),
      ).rejects.toBeInstanceOf(NotFoundError);
      const fought = await weft.execute('combat.fight', { characterId: a, monsterId: 'slime' }, { actor: ann });
      for (const command of ['combat.encounter', 'combat.replay'] as const) {
        await expect(weft.execute(command, { encounterId: fought.id }, { actor: bob })).rejects.toBeInstanceOf(
          NotFoundError,
        );
        await expect(weft.execute(command, { encounterId: 'no-such-id' }, { actor: ann })).rejects.toBeInstanceOf(
          NotFoundError,
        );
      }
      // An operator may look.
      const admin = { kind: 'user', id: 'user-op', roles: ['admin'] } as const;
      expect(await weft.execute('combat.encounter', { encounterId: fought.id }, { actor: admin })).toEqual(fought);
    });
  });
}
