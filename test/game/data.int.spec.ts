import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ContentError } from 'weft/internal';
import { createTestIntegration, type TestIntegration } from 'weft/testing';
import { SHIPPED_CONTENT } from '../../src/game/systems/data/content.js';
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
