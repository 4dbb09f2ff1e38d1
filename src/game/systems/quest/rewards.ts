import type { Execute } from '../../../integration/index.js';
import type { QuestView } from './schemas.js';

/**
 * Takes a claimed quest's collected items and pays its rewards through their owners' commands:
 * the items to collect (a 409 naming what is missing), items, xp, gold as `quest_reward` and
 * reputation. Run inside the claim, so everything commits with it or nothing does.
 */
export async function payRewards(execute: Execute, characterId: string, quest: QuestView): Promise<void> {
  const reason = `quest:${quest.id}`;
  const collect = new Map<string, number>();
  for (const objective of quest.objectives) {
    if (objective.kind === 'collect')
      collect.set(objective.itemId, (collect.get(objective.itemId) ?? 0) + objective.count);
  }
  if (collect.size > 0) {
    const items = [...collect].map(([itemId, count]) => ({ itemId, count }));
    await execute('character.take_items', { characterId, items, reason });
  }
  const { gold, xp, items, reputation } = quest.rewards;
  // The character before the wallet, the order sales, crafts and buys lock them in: gold first deadlocked on
  // PostgreSQL with a sale of the same character's (test/game/quest.contract.ts).
  if (items.length > 0) await execute('character.give_items', { characterId, items, reason: 'quest_reward' });
  if (xp > 0) await execute('character.gain_xp', { characterId, xp });
  if (gold > 0) await execute('economy.credit', { characterId, gold, source: 'quest_reward' });
  for (const { factionId, amount } of reputation) {
    await execute('diplomacy.change_reputation', { characterId, factionId, amount, reason });
  }
}
