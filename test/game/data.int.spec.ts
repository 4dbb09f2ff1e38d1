import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ContentError } from 'weft/internal';
import { createTestIntegration, type TestIntegration } from 'weft/testing';
import { SHIPPED_CONTENT, checkContentFolder } from '../../src/game/systems/data/content.js';
import { dataSystem } from '../../src/game/systems/data/index.js';

/** A copy of the shipped content, changed by `edit(records of a file)`. */
function brokenCopy(edits: Record<string, (records: Array<Record<string, unknown>>) => unknown>): string {
  const folder = mkdtempSync(join(tmpdir(), 'weft-content-'));
  cpSync(SHIPPED_CONTENT, folder, { recursive: true });
  for (const [file, edit] of Object.entries(edits)) {
    const path = join(folder, file);
    const records = JSON.parse(readFileSync(path, 'utf8')) as Array<Record<string, unknown>>;
    const result = edit(records);
    writeFileSync(path, typeof result === 'string' ? result : JSON.stringify(records));
  }
  return folder;
}

describe('the data system', () => {
  let weft: TestIntegration | undefined;
  const folders: string[] = [];
  afterEach(async () => {
    await weft?.close();
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });

  it('loads the shipped content: a small playable world, cross-checked', async () => {
    weft = await createTestIntegration();
    await weft.install(dataSystem());
    const count = async (collection: 'items' | 'recipes' | 'monsters' | 'quests' | 'factions' | 'npcs' | 'regions') =>
      (await weft!.execute('data.collection', { collection })).records.length;
    expect(await count('items')).toBeGreaterThanOrEqual(20);
    expect(await count('recipes')).toBeGreaterThanOrEqual(10);
    expect(await count('monsters')).toBeGreaterThanOrEqual(8);
    expect(await count('quests')).toBeGreaterThanOrEqual(6);
    expect(await count('factions')).toBeGreaterThanOrEqual(4);
    expect(await count('npcs')).toBeGreaterThanOrEqual(6);
    expect(await count('regions')).toBeGreaterThanOrEqual(5);
    const sword = await weft.execute('data.record', { collection: 'items', id: 'iron_sword' });
    expect(sword.record).toMatchObject({ id: 'iron_sword', kind: 'weapon' });
    expect(sword.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    await expect(weft.execute('data.record', { collection: 'items', id: 'nope' })).rejects.toMatchObject({
      status: 404,
    });
  });

  it('stops the install with every problem of broken content, each with its file and path', async () => {
    const folder = brokenCopy({
      'recipes.json': (recipes) => {
        (recipes[0]!.inputs as Array<{ itemId: string }>)[0]!.itemId = 'unobtainium';
        // Buy copper ore and coal for 7 gold, craft, sell a bar for 999: gold from nothing.
        recipes[1]!.output = { itemId: 'iron_sword', count: 40 };
      },
      'npcs.json': (npcs) => {
        const nodes = (npcs[0]!.dialogue as { nodes: Record<string, unknown> }).nodes;
        nodes.orphan = { text: 'Nobody ever gets here.', options: [{ text: 'Bye.' }] };
        nodes.loop_a = { text: 'Round', options: [{ text: 'and', next: 'loop_b' }] };
        nodes.loop_b = { text: 'round', options: [{ text: 'again', next: 'loop_a' }] };
        (nodes.greet as { options: Array<{ text: string; next?: string }> }).options.push({
          text: 'Loop',
          next: 'loop_a',
        });
      },
      'monsters.json': (monsters) => {
        monsters[0]!.level = 'high';
        monsters[1]!.faction = 'nobody';
      },
      'regions.json': () => '[{ "id": "greenvale", ',
    });
    folders.push(folder);
    weft = await createTestIntegration();
    const failed = await weft.install(dataSystem({ folder })).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(ContentError);
    const problems = (failed as ContentError).problems.map((p) => `${p.file} ${p.pathText} ${p.code}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        'recipes.json $[0].inputs[0].itemId reference',
        'recipes.json $[1] gold_from_nothing',
        'npcs.json $[0].dialogue.nodes.orphan unreachable',
        'npcs.json $[0].dialogue.nodes.loop_a endless',
        'npcs.json $[0].dialogue.nodes.loop_b endless',
        'monsters.json $[0].level invalid_type',
        'monsters.json $[1].faction reference',
        'regions.json $ invalid_json',
      ]),
    );
  });
});

/** What `weft validate-content` reports for a folder: `file path code` per problem, or [] when it is valid. */
async function reported(folder: string): Promise<string[]> {
  const failed = await checkContentFolder(folder).then(
    () => undefined,
    (error: unknown) => error,
  );
  if (failed === undefined) return [];
  expect(failed).toBeInstanceOf(ContentError);
  return (failed as ContentError).problems.map((p) => `${p.file} ${p.pathText} ${p.code}`);
}

describe('content checks report what is wrong, not what follows from it', () => {
  const folders: string[] = [];
  const copy = (edits: Parameters<typeof brokenCopy>[0]): string => {
    const folder = brokenCopy(edits);
    folders.push(folder);
    return folder;
  };
  afterEach(() => {
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });

  it('a record that fails its schema still exists for the references to it', async () => {
    const folder = copy({
      'monsters.json': (monsters) => {
        expect(monsters[1]!.id).toBe('wolf');
        (monsters[1]!.loot as Array<{ chance: number }>)[0]!.chance = 1.5;
      },
    });
    // The wolf is named by a quest and two regions: none of them is wrong.
    expect(await reported(folder)).toEqual(['monsters.json $[1].loot[0].chance too_big']);
  });

  it('a reference to a record that exists nowhere is still reported, beside a broken record', async () => {
    const folder = copy({
      'monsters.json': (monsters) => {
        (monsters[1]!.loot as Array<{ chance: number }>)[0]!.chance = 1.5;
      },
      'quests.json': (quests) => {
        (quests[1]!.objectives as Array<{ monsterId: string }>)[0]!.monsterId = 'dragon';
      },
    });
    const failed = (await checkContentFolder(folder).catch((error: unknown) => error)) as ContentError;
    expect(failed.problems.map((p) => `${p.file} ${p.pathText}: ${p.message}`)).toEqual([
      'monsters.json $[1].loot[0].chance: Too big: expected number to be <=1',
      'quests.json $[1].objectives[0].monsterId: unknown monsters "dragon"',
    ]);
  });

  it('a missing folder is one missing_file problem per collection, and nothing derived from them', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'weft-content-'));
    folders.push(folder);
    const missing = join(folder, 'nowhere');
    expect(await reported(missing)).toEqual(
      ['items', 'recipes', 'monsters', 'quests', 'factions', 'npcs', 'regions', 'classes', 'market'].map(
        (collection) => `${collection}.json $ missing_file`,
      ),
    );
  });

  it('a file that cannot be read hides no real problem of the others, and adds none', async () => {
    const folder = copy({
      'quests.json': () => '[{ "id": "slime_cleanup", ',
      'npcs.json': (npcs) => {
        npcs[0]!.faction = 'nobody';
      },
    });
    // The dialogues start quests of quests.json: whether those exist cannot be said, so it is not.
    expect(await reported(folder)).toEqual(['quests.json $ invalid_json', 'npcs.json $[0].faction reference']);
  });

  it('a start region that fails its schema is not also "no region is marked start"', async () => {
    const folder = copy({
      'regions.json': (regions) => {
        expect(regions[0]!.start).toBe(true);
        (regions[0]!.level as { min: number }).min = 0;
      },
    });
    expect(await reported(folder)).toEqual(['regions.json $[0].level.min too_small']);
  });

  it('the shipped content is valid', async () => {
    expect(await reported(SHIPPED_CONTENT)).toEqual([]);
  });
});
