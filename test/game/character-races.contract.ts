import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError } from 'weft/internal';
import { createTestIntegration, type TestIntegration, type TestIntegrationOptions } from 'weft/testing';
import { gameSystems } from '../../src/game/index.js';

const ann = { kind: 'user', id: 'user-ann', roles: ['player'] } as const;

/**
 * Many requests on one character at once, on one database backend: each change is worked out on the value its update
 * holds (locked on PostgreSQL), so none is lost and no item is spent twice.
 */
export function characterRacesContract(name: string, options: TestIntegrationOptions): void {
  describe(`one character, many requests at once: ${name}`, () => {
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

    it('bakes as often as the herbs allow when ten bakes come at once, and refuses the rest', async () => {
      const id = await alchemist();
      const before = await weft.execute('character.get', { characterId: id }, { actor: ann });
      const herbs = before.inventory.herb ?? 0;
      expect(herbs).toBeGreaterThanOrEqual(2);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, () =>
          weft.execute('crafting.craft', { characterId: id, recipeId: 'bake_bread', times: 1 }, { actor: ann }),
        ),
      );
      const baked = outcomes.filter((o) => o.status === 'fulfilled').length;
      const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
      expect(baked).toBe(Math.floor(herbs / 2));
      expect(refused.every((error) => error instanceof ConflictError)).toBe(true);
      const after = await weft.execute('character.get', { characterId: id }, { actor: ann });
      expect(after.inventory.herb ?? 0).toBe(herbs - 2 * baked);
      expect(after.inventory.bread ?? 0).toBe((before.inventory.bread ?? 0) + baked);
    });

    it('adds every gain of xp when twenty come at once', async () => {
      const id = await alchemist();
      await Promise.all(
        Array.from({ length: 20 }, () => weft.execute('character.gain_xp', { characterId: id, xp: 10 })),
      );
      const after = await weft.execute('character.get', { characterId: id }, { actor: ann });
      expect(after.xp).toBe(200);
      expect(after.level).toBeGreaterThan(1);
    });

    it('makes at most ten characters for a player when thirty creations come at once', async () => {
      weft = await createTestIntegration({ pollIntervalMs: 20, ...options });
      await weft.install(...gameSystems());
      // The first is made alone: first creations at once race on making the player's list, and all but one are a 409.
      await weft.execute('character.create', { name: 'Hero', class: 'alchemist' }, { actor: ann });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) =>
          weft.execute('character.create', { name: `Hero${i}`, class: 'alchemist' }, { actor: ann }),
        ),
      );
      const made = outcomes.filter((o) => o.status === 'fulfilled').length;
      const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
      expect(refused.every((error) => error instanceof ConflictError)).toBe(true);
      expect(made).toBe(9);
      expect((await weft.execute('character.list', {}, { actor: ann })).characters).toHaveLength(10);
    });
  });
}
