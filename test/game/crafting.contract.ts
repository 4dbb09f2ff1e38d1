import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError } from 'weft/internal';
import { createTestIntegration, type TestIntegration, type TestIntegrationOptions } from 'weft/testing';
import { gameSystems } from '../../src/game/index.js';

const ann = { kind: 'user', id: 'user-ann', roles: ['player'] } as const;

/** Crafting on one database backend. */
export function craftingContract(name: string, options: TestIntegrationOptions): void {
  describe(`crafting: ${name}`, () => {
    let weft: TestIntegration;
    afterEach(async () => {
      await weft.close();
    });

    async function alchemist() {
      weft = await createTestIntegration({ pollIntervalMs: 20, ...options });
      await weft.install(...gameSystems());
      const hero = await weft.execute('character.create', { name: 'Ann', class: 'alchemist' }, { actor: ann });
      await weft.events.drain();
      return hero.id;
    }
    const inventory = async (id: string) =>
      (await weft.execute('character.get', { characterId: id }, { actor: ann })).inventory;
    const gold = async (id: string) => {
      const wallet = await weft.execute('economy.wallet', { characterId: id }, { actor: ann });
      return wallet.status === 'open' ? wallet.gold : -1;
    };

    it('takes the ingredients, pays the fee and gives the output in one transaction', async () => {
      const id = await alchemist();
      await weft.execute('economy.buy', { characterId: id, itemId: 'slime_gel', quantity: 2 }, { actor: ann });
      const made = await weft.execute(
        'crafting.craft',
        { characterId: id, recipeId: 'brew_healing_potion', times: 2 },
        { actor: ann },
      );
      expect(made).toMatchObject({ itemId: 'healing_potion', made: 2, fee: 2 });
      expect(await inventory(id)).toMatchObject({ healing_potion: 5, herb: 2 });
      expect((await inventory(id)).slime_gel).toBeUndefined();
      expect(await gold(id)).toBe(80 - 10 - 2);
      expect((await weft.execute('economy.audit', {})).balanced).toBe(true);
    });

    it('names everything missing, items and gold, and changes nothing', async () => {
      const id = await alchemist();
      await weft
        .execute('economy.transfer', { fromCharacterId: id, toCharacterId: id, gold: 1 }, { actor: ann })
        .catch(() => undefined);
      const before = { items: await inventory(id), gold: await gold(id) };
      const refused = await weft
        .execute('crafting.craft', { characterId: id, recipeId: 'forge_iron_sword', times: 1 }, { actor: ann })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ConflictError);
      expect(refused).toMatchObject({ status: 409 });
      await weft.execute('economy.buy', { characterId: id, itemId: 'wood', quantity: 4 }, { actor: ann });
      // 72 gold left after the wood; 80 batches of planks cost a fee of 80: 8 short, and 156 wood short.
      const poor = await weft
        .execute('crafting.craft', { characterId: id, recipeId: 'saw_planks', times: 80 }, { actor: ann })
        .catch((error: unknown) => error);
      expect((poor as ConflictError).details).toMatchObject({
        missingItems: [{ itemId: 'wood', needed: 160, have: 4 }],
        missingGold: 8,
      });
      expect(await gold(id)).toBe(before.gold - 8);
      expect(await inventory(id)).toEqual({ ...before.items, wood: 4 });
    });

    it('crafts once for 50 parallel requests with one idempotency key', async () => {
      const id = await alchemist();
      const results = await Promise.all(
        Array.from({ length: 50 }, () =>
          weft.execute(
            'crafting.craft',
            { characterId: id, recipeId: 'bake_bread', times: 1 },
            { actor: ann, idempotencyKey: 'bake-1' },
          ),
        ),
      );
      expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
      expect(await inventory(id)).toMatchObject({ herb: 4, bread: 1 });
    });
  });
}
