import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError, type EventEnvelope } from 'weft/internal';
import { createTestIntegration, type TestIntegration } from 'weft/testing';
import { gameSystems } from '../../src/game/index.js';

const ann = { kind: 'user', id: 'user-ann', roles: ['player'] } as const;
const bob = { kind: 'user', id: 'user-bob', roles: ['player'] } as const;

describe('the character system', () => {
  let weft: TestIntegration;
  afterEach(async () => {
    await weft.close();
  });

  it('creates characters of a class in the start region, with unique names, and lists only the caller’s', async () => {
    weft = await createTestIntegration({ file: true });
    await weft.install(...gameSystems());
    const created: EventEnvelope[] = [];
    weft.system('test_probe').events.subscribe('character.created', (e) => void created.push(e));
    await weft.events.ready();
    const hero = await weft.execute('character.create', { name: 'Ada Lovelace', class: 'warrior' }, { actor: ann });
    expect(hero).toMatchObject({
      level: 1,
      xp: 0,
      hp: 120,
      maxHp: 120,
      region: 'greenvale',
      inventory: { copper_sword: 1, bread: 3 },
    });
    await expect(
      weft.execute('character.create', { name: 'ada lovelace', class: 'ranger' }, { actor: bob }),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(
      weft.execute('character.create', { name: 'Zed', class: 'necromancer' }, { actor: ann }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      weft.execute('character.create', { name: 'Al', class: 'warrior' }, { actor: ann }),
    ).rejects.toBeInstanceOf(ValidationError);
    await weft.execute('character.create', { name: 'Bob', class: 'ranger' }, { actor: bob });
    expect((await weft.execute('character.list', {}, { actor: ann })).characters.map((c) => c.name)).toEqual([
      'Ada Lovelace',
    ]);
    await expect(weft.execute('character.get', { characterId: hero.id }, { actor: bob })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await weft.events.drain();
    expect(created.map((e) => e.data)).toEqual([
      expect.objectContaining({ characterId: hero.id, ownerId: ann.id, startingGold: 50 }),
      expect.objectContaining({ ownerId: bob.id, class: 'ranger' }),
    ]);
  });

  it('never lets an inventory go negative, and levels up by the class thresholds', async () => {
    weft = await createTestIntegration({ file: true });
    await weft.install(...gameSystems());
    const hero = await weft.execute('character.create', { name: 'Ann', class: 'alchemist' }, { actor: ann });
    await weft.execute(
      'character.give_items',
      { characterId: hero.id, items: [{ itemId: 'iron_ore', count: 2 }], reason: 'loot' },
      { actor: ann },
    );
    const refused = await weft
      .execute(
        'character.take_items',
        {
          characterId: hero.id,
          items: [
            { itemId: 'iron_ore', count: 3 },
            { itemId: 'herb', count: 1 },
          ],
          reason: 'craft',
        },
        { actor: ann },
      )
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConflictError);
    expect((refused as ConflictError).details.missing).toEqual([{ itemId: 'iron_ore', needed: 3, have: 2 }]);
    expect((await weft.execute('character.get', { characterId: hero.id }, { actor: ann })).inventory).toMatchObject({
      iron_ore: 2,
      herb: 6,
    });
    await weft.execute(
      'character.take_items',
      { characterId: hero.id, items: [{ itemId: 'iron_ore', count: 2 }], reason: 'craft' },
      { actor: ann },
    );
    expect(
      (await weft.execute('character.get', { characterId: hero.id }, { actor: ann })).inventory.iron_ore,
    ).toBeUndefined();
    await expect(
      weft.execute(
        'character.give_items',
        { characterId: hero.id, items: [{ itemId: 'dragon', count: 1 }], reason: 'loot' },
        { actor: ann },
      ),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(await weft.execute('character.gain_xp', { characterId: hero.id, xp: 260 }, { actor: ann })).toEqual({
      level: 3,
      xp: 260,
      leveledUp: true,
    });
    expect(await weft.execute('character.get', { characterId: hero.id }, { actor: ann })).toMatchObject({
      level: 3,
      maxHp: 98,
      hp: 98,
    });
  });
});
