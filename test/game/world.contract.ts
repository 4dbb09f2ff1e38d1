import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError, type EventEnvelope } from 'weft/internal';
import { createTestIntegration, type TestIntegration, type TestIntegrationOptions } from 'weft/testing';
import { gameSystems } from '../../src/game/index.js';

const ann = { kind: 'user', id: 'user-ann', roles: ['player'] } as const;
const bob = { kind: 'user', id: 'user-bob', roles: ['player'] } as const;
const START = Date.UTC(2025, 0, 1);

/** The world state on one database backend. */
export function worldContract(name: string, options: TestIntegrationOptions): void {
  describe(`world state: ${name}`, () => {
    let weft: TestIntegration;
    let now = START;
    afterEach(async () => {
      await weft.close();
    });

    async function game() {
      now = START;
      weft = await createTestIntegration({ pollIntervalMs: 20, ...options });
      await weft.install(...gameSystems({ now: () => now }));
      weft.assertWired();
    }

    it('serves the regions, each link once, and the clock; a tick advances it and is heard, once, live', async () => {
      await game();
      const world = await weft.execute('world_state.world', {});
      expect(world.regions.map((r) => r.id)).toEqual(['greenvale', 'oakwood', 'ironhill', 'misty_marsh', 'deep_mines']);
      expect(world.regions[0]).toEqual({
        id: 'greenvale',
        name: 'Greenvale',
        level: { min: 1, max: 3 },
        neighbors: ['oakwood', 'ironhill'],
        monsters: ['slime', 'wolf'],
        start: true,
      });
      expect(world.regions[1]?.start).toBe(false);
      expect(world.links).toEqual([
        { from: 'deep_mines', to: 'ironhill' },
        { from: 'greenvale', to: 'ironhill' },
        { from: 'greenvale', to: 'oakwood' },
        { from: 'misty_marsh', to: 'oakwood' },
      ]);
      expect(world.clock).toEqual({ tick: 0, at: null });

      const heard: unknown[] = [];
      weft.system('test_probe').events.subscribe('world_state.tick', (e) => void heard.push(e.data));
      await weft.events.ready();
      now = START + 1000;
      expect(await weft.execute('world_state.tick', {})).toEqual({ tick: 1, at: new Date(START + 1000).toISOString() });
      await weft.events.drain();
      // Volatile: a subscriber that comes later does not get the ticks before it.
      const late: unknown[] = [];
      weft.system('late_probe').events.subscribe('world_state.tick', (e) => void late.push(e.data));
      now = START + 2000;
      await weft.execute('world_state.tick', {});
      await weft.events.drain();
      const second = { tick: 2, at: new Date(START + 2000).toISOString() };
      expect(heard).toEqual([{ tick: 1, at: new Date(START + 1000).toISOString() }, second]);
      expect(late).toEqual([second]);
      expect((await weft.execute('world_state.world', {})).clock).toEqual(second);
    });

    it('counts every one of parallel ticks once', async () => {
      await game();
      const ticks = await Promise.all(Array.from({ length: 20 }, () => weft.execute('world_state.tick', {})));
      expect(ticks.map((t) => t.tick).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect((await weft.execute('world_state.world', {})).clock.tick).toBe(20);
    });

    it('lets a character travel only along a link from where it is, through character.move', async () => {
      await game();
      const moved: EventEnvelope[] = [];
      weft.system('test_probe').events.subscribe('character.moved', (e) => void moved.push(e));
      await weft.events.ready();
      const a = (await weft.execute('character.create', { name: 'Ann', class: 'ranger' }, { actor: ann })).id;
      const far = await weft
        .execute('world_state.travel', { characterId: a, regionId: 'misty_marsh' }, { actor: ann })
        .catch((error: unknown) => error);
      expect(far).toBeInstanceOf(ConflictError);
      expect((far as ConflictError).message).toContain('misty_marsh is not linked to greenvale');
      expect((far as ConflictError).details).toEqual({
        from: 'greenvale',
        to: 'misty_marsh',
        reachable: ['ironhill', 'oakwood'],
      });
      await expect(
        weft.execute('world_state.travel', { characterId: a, regionId: 'greenvale' }, { actor: ann }),
      ).rejects.toBeInstanceOf(ConflictError);
      await expect(
        weft.execute('world_state.travel', { characterId: a, regionId: 'atlantis' }, { actor: ann }),
      ).rejects.toBeInstanceOf(ValidationError);
      await expect(
        weft.execute('world_state.travel', { characterId: a, regionId: 'oakwood' }, { actor: bob }),
      ).rejects.toBeInstanceOf(NotFoundError);

      const trip = { characterId: a, regionId: 'oakwood' };
      expect(await weft.execute('world_state.travel', trip, { actor: ann, idempotencyKey: 'go-1' })).toEqual({
        characterId: a,
        from: 'greenvale',
        to: 'oakwood',
      });
      // A retried request answers as the first did, instead of "already there".
      expect(await weft.execute('world_state.travel', trip, { actor: ann, idempotencyKey: 'go-1' })).toMatchObject({
        to: 'oakwood',
      });
      await weft.execute('world_state.travel', { characterId: a, regionId: 'misty_marsh' }, { actor: ann });
      expect((await weft.execute('character.get', { characterId: a }, { actor: ann })).region).toBe('misty_marsh');
      await weft.events.drain();
      expect(moved.map((e) => e.data)).toEqual([
        { characterId: a, ownerId: ann.id, from: 'greenvale', to: 'oakwood' },
        { characterId: a, ownerId: ann.id, from: 'oakwood', to: 'misty_marsh' },
      ]);
    });
  });
}
