import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { createIntegration, defineEvent, type Integration } from '../src/integration/internal.js';
import type { BenchSuite } from './suite.js';

const Wallet = z.object({ gold: z.int().min(0) });
const Inventory = z.object({ crafted: z.int().min(0) });
const ItemCrafted = z.object({ playerId: z.string(), itemId: z.string() });

/** An integration on a fresh SQLite file at synchronous=NORMAL, so the figures are the work, not the disk's flushes. */
async function integrationIn(folder: string, file: string): Promise<Integration> {
  return createIntegration({
    database: { url: `sqlite:${join(folder, file)}`, sqlite: { synchronous: 'NORMAL' } },
    monitoring: { logger: { level: 'silent' }, processMetrics: false },
  });
}

/**
 * What the system kit costs over the parts it wraps: the same two-system game action (two
 * updates, one durable event), and the same 1,000 durable publishes in one transaction, once
 * through the parts (StateStore, EventBus) and once through a system's handle (typed slices,
 * `sys.events.publish`). The issue allows the handle 5% over the parts.
 */
export async function systemFacadeSuite(): Promise<BenchSuite> {
  const folder = await mkdtemp(join(tmpdir(), 'weft-bench-'));
  const parts = await integrationIn(folder, 'parts.db');
  const kit = await integrationIn(folder, 'kit.db');

  // Through the parts: slices registered on the store, the event defined on the bus.
  const crafted = defineEvent({
    type: 'crafting.item_crafted',
    version: 1,
    owner: 'crafting',
    durable: true,
    schema: ItemCrafted,
  });
  const bus = parts.events.define(crafted);
  parts.state.registerStateSync('economy.wallets', { schema: Wallet });
  parts.state.registerStateSync('character.items', { schema: Inventory });
  const craftWithParts = (player: string) =>
    parts.state.transaction(async (tx) => {
      await tx.update<{ gold: number }>('economy.wallets', player, (w) => ({ gold: (w?.gold ?? 1_000_000_000) - 1 }));
      await tx.update<{ crafted: number }>('character.items', player, (c) => ({ crafted: (c?.crafted ?? 0) + 1 }));
      await bus.publish('crafting.item_crafted', { playerId: player, itemId: 'sword' }, { source: 'crafting' });
    });

  // Through the handles of three systems.
  const wallets = kit.system('economy').state.slice('wallets', { schema: Wallet });
  const items = kit.system('character').state.slice('items', { schema: Inventory });
  const crafting = kit.system('crafting');
  const itemCrafted = crafting.events.define({ name: 'item_crafted', durable: true, schema: ItemCrafted });
  const craftWithKit = (player: string) =>
    kit.transaction(async () => {
      await wallets.upsert(player, (w) => ({ gold: (w?.gold ?? 1_000_000_000) - 1 }));
      await items.upsert(player, (c) => ({ crafted: (c?.crafted ?? 0) + 1 }));
      await crafting.events.publish(itemCrafted, { playerId: player, itemId: 'sword' });
    });

  return {
    name: 'system kit: a typed handle against the parts it wraps (SQLite file, synchronous=NORMAL)',
    tasks: {
      'parts: state.transaction, 2 updates + 1 publish': async () => {
        await craftWithParts('ann');
      },
      'handle: weft.transaction, 2 slice upserts + sys.events.publish': async () => {
        await craftWithKit('ann');
      },
      'parts: bus.publish x1,000 in one transaction': async () => {
        await parts.db.transaction(async () => {
          for (let i = 0; i < 1000; i++)
            await bus.publish('crafting.item_crafted', { playerId: 'ann', itemId: 'sword' }, { source: 'crafting' });
        });
      },
      'handle: sys.events.publish x1,000 in one transaction': async () => {
        await kit.db.transaction(async () => {
          for (let i = 0; i < 1000; i++)
            await crafting.events.publish(itemCrafted, { playerId: 'ann', itemId: 'sword' });
        });
      },
    },
    ratios: [
      {
        label: 'state transaction: handle / parts',
        task: 'handle: weft.transaction, 2 slice upserts + sys.events.publish',
        baseline: 'parts: state.transaction, 2 updates + 1 publish',
        target: 1.05,
      },
      {
        label: 'durable publish: handle / parts',
        task: 'handle: sys.events.publish x1,000 in one transaction',
        baseline: 'parts: bus.publish x1,000 in one transaction',
        target: 1.05,
      },
    ],
    async close() {
      await parts.close();
      await kit.close();
      await rm(folder, { recursive: true, force: true });
    },
  };
}
