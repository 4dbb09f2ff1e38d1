import {
  contentProblem,
  type ContentCheckContext,
  type ContentProblem,
  type ContentReference,
} from '../../../integration/index.js';
import type { Content, DialogueTree } from './schemas.js';

/** The references between collections that the content loader resolves (`path` of `from` names an id of `to`). */
export const REFERENCES: readonly ContentReference[] = [
  { from: 'recipes', path: 'inputs[].itemId', to: 'items' },
  { from: 'recipes', path: 'output.itemId', to: 'items' },
  { from: 'monsters', path: 'loot[].itemId', to: 'items' },
  { from: 'monsters', path: 'faction', to: 'factions' },
  { from: 'quests', path: 'giver', to: 'npcs' },
  { from: 'quests', path: 'requires[]', to: 'quests' },
  { from: 'quests', path: 'objectives[].monsterId', to: 'monsters' },
  { from: 'quests', path: 'objectives[].itemId', to: 'items' },
  { from: 'quests', path: 'objectives[].npcId', to: 'npcs' },
  { from: 'quests', path: 'objectives[].regionId', to: 'regions' },
  { from: 'quests', path: 'rewards.items[].itemId', to: 'items' },
  { from: 'quests', path: 'rewards.reputation[].factionId', to: 'factions' },
  { from: 'npcs', path: 'faction', to: 'factions' },
  { from: 'npcs', path: 'region', to: 'regions' },
  { from: 'regions', path: 'neighbors[]', to: 'regions' },
  { from: 'regions', path: 'monsters[]', to: 'monsters' },
  { from: 'classes', path: 'startingItems[].itemId', to: 'items' },
  { from: 'market', path: 'itemId', to: 'items' },
];

/**
 * A check of the game's content across records: it reports only what is wrong itself, never a consequence of a problem
 * the loader has reported already (the context knows the ids of failed records, and which files could not be read).
 */
type Check = (content: Content, context: ContentCheckContext) => ContentProblem[];

/** A record that names itself: by `id`, or by `itemId` (market prices). */
type Named = { readonly id?: string; readonly itemId?: string };

/** A problem of one dialogue tree, at a path inside it. */
type TreeProblem = { path: Array<string | number>; code: string; message: string };

/** Every id once per collection: a second record of an id would shadow the first. */
const uniqueIds: Check = (content) =>
  Object.entries(content).flatMap(([collection, records]: [string, readonly Named[]]) => {
    const seen = new Set<string>();
    return records.flatMap((record, index) => {
      const id = record.id ?? record.itemId;
      if (id === undefined) return [];
      if (!seen.has(id)) {
        seen.add(id);
        return [];
      }
      return [contentProblem(`${collection}.json`, [index], 'duplicate_id', `${JSON.stringify(id)} appears twice`)];
    });
  });

/** Ranges are ordered, thresholds grow, the world has a start, neighbours go both ways. */
const shapes: Check = (content, context) => {
  const problems: ContentProblem[] = [];
  content.regions.forEach((region, index) => {
    if (region.level.min > region.level.max) {
      problems.push(contentProblem('regions.json', [index, 'level'], 'range', 'level.min is above level.max'));
    }
    for (const neighbor of region.neighbors) {
      const other = content.regions.find((r) => r.id === neighbor);
      if (other !== undefined && !other.neighbors.includes(region.id)) {
        problems.push(
          contentProblem(
            'regions.json',
            [index, 'neighbors'],
            'one_way',
            `${neighbor} does not list ${region.id} back`,
          ),
        );
      }
    }
  });
  // An unreadable regions.json, or a start region that failed its schema, is reported already.
  const startRejected = context.rejected('regions').some((region) => (region as { start?: unknown }).start === true);
  const regionsRead = context.ids('regions') !== undefined;
  if (regionsRead && !startRejected && !content.regions.some((region) => region.start === true)) {
    problems.push(contentProblem('regions.json', [], 'no_start', 'no region is marked "start": true'));
  }
  content.monsters.forEach((monster, index) => {
    if (monster.gold.min > monster.gold.max) {
      problems.push(contentProblem('monsters.json', [index, 'gold'], 'range', 'gold.min is above gold.max'));
    }
    monster.loot.forEach((loot, at) => {
      if (loot.min > loot.max) {
        problems.push(contentProblem('monsters.json', [index, 'loot', at], 'range', 'min is above max'));
      }
    });
  });
  content.classes.forEach((characterClass, index) => {
    characterClass.xpThresholds.forEach((threshold, at) => {
      const previous = characterClass.xpThresholds[at - 1];
      if (previous !== undefined && threshold <= previous) {
        problems.push(contentProblem('classes.json', [index, 'xpThresholds', at], 'order', 'thresholds must grow'));
      }
    });
  });
  const factionIds = context.ids('factions') ?? new Set();
  content.factions.forEach((faction, index) => {
    for (const other of Object.keys(faction.relations)) {
      if (!factionIds.has(other) || other === faction.id) {
        const why =
          other === faction.id ? 'a faction has no relation to itself' : `unknown faction ${JSON.stringify(other)}`;
        problems.push(contentProblem('factions.json', [index, 'relations', other], 'reference', why));
      }
    }
  });
  return problems;
};

/** A quest never requires itself, through any chain of requirements. */
const questChains: Check = (content) => {
  const requires = new Map(content.quests.map((quest) => [quest.id, quest.requires]));
  return content.quests.flatMap((quest, index) => {
    const seen = new Set<string>();
    const stack = [...quest.requires];
    while (stack.length > 0) {
      const next = stack.pop() as string;
      if (next === quest.id) {
        return [contentProblem('quests.json', [index, 'requires'], 'cycle', `${quest.id} requires itself`)];
      }
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(requires.get(next) ?? []));
    }
    return [];
  });
};

/**
 * Every dialogue tree starts at a node that exists, every option leads to a node that exists (or
 * ends the talk), every node can be reached from the start, every node can reach an end (no talk
 * that loops for ever), and its effects name known quests and factions.
 */
const dialogues: Check = (content, context) => {
  // Quests and factions that failed their schema still exist; an unreadable file's ids are unknown, so not checked.
  const quests = context.ids('quests');
  const factions = context.ids('factions');
  return content.npcs.flatMap((npc, index) => {
    const at = (...path: Array<string | number>) => [index, 'dialogue', ...path];
    const problems = dialogueShape(npc.dialogue).map(({ path, code, message }) =>
      contentProblem('npcs.json', at(...path), code, message),
    );
    for (const [nodeId, node] of Object.entries(npc.dialogue.nodes)) {
      node.options.forEach((option, optionIndex) => {
        (option.effects ?? []).forEach((effect, effectIndex) => {
          const known = effect.kind === 'start_quest' ? quests?.has(effect.questId) : factions?.has(effect.factionId);
          if (known === false) {
            const what = effect.kind === 'start_quest' ? `quest ${effect.questId}` : `faction ${effect.factionId}`;
            const path = at('nodes', nodeId, 'options', optionIndex, 'effects', effectIndex);
            problems.push(contentProblem('npcs.json', path, 'reference', `unknown ${what}`));
          }
        });
      });
    }
    return problems;
  });
};

/** What is wrong with one dialogue tree's shape, as paths inside it. */
export function dialogueShape(tree: DialogueTree): TreeProblem[] {
  const problems: TreeProblem[] = [];
  const nodes = new Map(Object.entries(tree.nodes));
  if (!nodes.has(tree.start)) {
    return [{ path: ['start'], code: 'reference', message: `no node ${JSON.stringify(tree.start)}` }];
  }
  for (const [id, node] of nodes) {
    node.options.forEach((option, index) => {
      if (option.next !== undefined && !nodes.has(option.next)) {
        problems.push({
          path: ['nodes', id, 'options', index, 'next'],
          code: 'reference',
          message: `no node ${JSON.stringify(option.next)}`,
        });
      }
    });
  }
  const reachable = new Set<string>();
  const stack = [tree.start];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (reachable.has(id)) continue;
    reachable.add(id);
    for (const option of nodes.get(id)?.options ?? []) if (option.next !== undefined) stack.push(option.next);
  }
  // Nodes from which the talk can end: an option without `next`, or one leading to such a node.
  const ending = new Set<string>();
  for (let grew = true; grew;) {
    grew = false;
    for (const [id, node] of nodes) {
      if (ending.has(id)) continue;
      if (node.options.some((option) => option.next === undefined || ending.has(option.next))) {
        ending.add(id);
        grew = true;
      }
    }
  }
  for (const id of nodes.keys()) {
    if (!reachable.has(id))
      problems.push({
        path: ['nodes', id],
        code: 'unreachable',
        message: `node ${id} cannot be reached from ${tree.start}`,
      });
    else if (!ending.has(id))
      problems.push({ path: ['nodes', id], code: 'endless', message: `the talk never ends from node ${id}` });
  }
  return problems;
}

/**
 * No gold from nothing: the market never pays more for an item than it asks, and no recipe whose
 * ingredients can all be bought makes something that sells for more than the ingredients and the
 * fee cost (buy, craft, sell, repeat would print gold).
 */
const economy: Check = (content) => {
  const prices = new Map(content.market.map((price) => [price.itemId, price]));
  const problems: ContentProblem[] = [];
  content.market.forEach((price, index) => {
    if (price.sell > price.buy) {
      problems.push(
        contentProblem('market.json', [index], 'gold_from_nothing', `${price.itemId} sells for more than it costs`),
      );
    }
  });
  content.recipes.forEach((recipe, index) => {
    const costs = recipe.inputs.map((input) => (prices.get(input.itemId)?.buy ?? Number.NaN) * input.count);
    if (costs.some(Number.isNaN)) return;
    const cost = costs.reduce((sum, c) => sum + c, recipe.fee);
    const earns = (prices.get(recipe.output.itemId)?.sell ?? 0) * recipe.output.count;
    if (earns > cost) {
      problems.push(
        contentProblem(
          'recipes.json',
          [index],
          'gold_from_nothing',
          `${recipe.id} turns ${cost} gold of bought ingredients and fee into ${earns}`,
        ),
      );
    }
  });
  return problems;
};

/** The checks across records and collections, in the order their problems are reported. */
export const CONTENT_CHECKS: readonly Check[] = [uniqueIds, shapes, questChains, dialogues, economy];
