import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ContentError, ValidationManager, loadContent, type ContentSpec } from 'weft/internal';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

function contentValidation(): ValidationManager {
  const validation = new ValidationManager();
  validation.registerSchema('data.item', z.strictObject({ id: z.string(), name: z.string(), value: z.int().min(0) }), {
    owner: 'data',
  });
  validation.registerSchema(
    'crafting.recipe',
    z.object({
      id: z.string(),
      inputs: z.array(z.object({ itemId: z.string(), count: z.int().min(1) })).min(1),
      output: z.string(),
    }),
    {
      owner: 'crafting',
    },
  );
  validation.registerSchema(
    'combat.monster',
    z.object({ id: z.string(), level: z.int().min(1), loot: z.array(z.string()) }),
    { owner: 'combat' },
  );
  validation.registerSchema(
    'quest.quest',
    z.object({
      id: z.string(),
      objectives: z.array(z.object({ kill: z.string(), count: z.int().min(1) })),
      rewardItems: z.array(z.string()),
      faction: z.string(),
    }),
    {
      owner: 'quest',
    },
  );
  validation.registerSchema('diplomacy.faction', z.object({ id: z.string(), name: z.string() }), {
    owner: 'diplomacy',
  });
  validation.registerSchema(
    'dialogue.line_set',
    z.object({ id: z.string(), speaker: z.string(), lines: z.array(z.string()).min(1) }),
    { owner: 'dialogue' },
  );
  return validation;
}

const spec = {
  collections: {
    items: 'data.item',
    recipes: 'crafting.recipe',
    monsters: 'combat.monster',
    quests: 'quest.quest',
    factions: 'diplomacy.faction',
    dialogue: 'dialogue.line_set',
  },
  references: [
    { from: 'recipes', path: 'inputs[].itemId', to: 'items' },
    { from: 'recipes', path: 'output', to: 'items' },
    { from: 'monsters', path: 'loot[]', to: 'items' },
    { from: 'quests', path: 'objectives[].kill', to: 'monsters' },
    { from: 'quests', path: 'rewardItems[]', to: 'items' },
    { from: 'quests', path: 'faction', to: 'factions' },
    { from: 'dialogue', path: 'speaker', to: 'factions' },
  ],
} satisfies ContentSpec;

describe('game content loader', () => {
  it('returns the parsed content of a clean folder', async () => {
    const content = await loadContent(contentValidation(), `${fixtures}good`, spec);
    expect(content.items).toHaveLength(3);
    expect(content.recipes[1]).toMatchObject({ id: 'forge_sword', output: 'sword' });
    expect(content.dialogue).toHaveLength(1);
  });

  it('fails with one report listing every problem with its file and path', async () => {
    const error = await loadContent(contentValidation(), `${fixtures}bad`, spec).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContentError);
    const problems = (error as ContentError).problems.map((p) => `${p.file} ${p.pathText} ${p.code}`);
    // iron_bar and sword fail their schema but exist: the recipes and the quest naming them are not wrong. The quest's
    // "dragon" is not checked either: monsters.json cannot be parsed, so what it would hold is unknown.
    expect(problems).toEqual([
      'items.json $[1].value too_small',
      'items.json $[2].value invalid_type',
      'monsters.json $ invalid_json',
      'recipes.json $[1].inputs[1].itemId reference',
      'quests.json $[0].faction reference',
    ]);
    expect((error as ContentError).status).toBe(422);
    expect((error as Error).message).toContain('recipes.json $[1].inputs[1].itemId: unknown items "mithril"');
  });

  it('counts a record that fails its schema as existing when it has an id, and only then', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'weft-content-'));
    try {
      await writeFile(
        join(folder, 'items.json'),
        JSON.stringify([
          { id: 'hammer', name: 'Hammer', value: -1 },
          { name: 'Anvil', value: 3 },
        ]),
      );
      await writeFile(
        join(folder, 'recipes.json'),
        JSON.stringify([{ id: 'forge', inputs: [{ itemId: 'hammer', count: 1 }], output: 'anvil' }]),
      );
      const error = await loadContent(contentValidation(), folder, {
        collections: { items: 'data.item', recipes: 'crafting.recipe' },
        references: spec.references.slice(0, 2),
      }).catch((e: unknown) => e);
      expect((error as ContentError).problems.map((p) => `${p.file} ${p.pathText}: ${p.message}`)).toEqual([
        'items.json $[0].value: Too small: expected number to be >=0',
        'items.json $[1].id: Invalid input: expected string, received undefined',
        'recipes.json $[0].output: unknown items "anvil"',
      ]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('tells checks every id, those of failed records included, and nothing of an unreadable file', async () => {
    const seen: Record<string, unknown> = {};
    const error = await loadContent(contentValidation(), `${fixtures}bad`, {
      ...spec,
      checks: [
        (content, context) => {
          seen.items = content.items?.length;
          seen.itemIds = [...(context.ids('items') ?? [])];
          seen.itemNames = [...(context.ids('items', 'name') ?? [])];
          seen.rejectedItems = context.rejected('items').length;
          seen.monsters = content.monsters;
          seen.monsterIds = context.ids('monsters');
          seen.rejectedMonsters = context.rejected('monsters');
          return [];
        },
      ],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContentError);
    expect(seen).toEqual({
      items: 1,
      itemIds: ['iron_ore', 'iron_bar', 'sword'],
      itemNames: ['Iron ore', 'Iron bar', 'Sword'],
      rejectedItems: 2,
      monsters: undefined,
      monsterIds: undefined,
      rejectedMonsters: [],
    });
  });
});
