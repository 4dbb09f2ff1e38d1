import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  MemoryTransport,
  UsageError,
  ValidationError,
  createIntegration,
  defineEvent,
  runWithContext,
  type Transport,
} from 'weft/internal';

const itemCrafted = defineEvent({
  type: 'crafting.item_crafted',
  version: 1,
  owner: 'crafting',
  durable: true,
  schema: z.object({ playerId: z.string(), itemId: z.string() }),
});

describe('createIntegration', () => {
  it('wires validation, monitoring, events and state to one migrated database: one game action end to end', async () => {
    const weft = await createIntegration({
      database: 'sqlite::memory:',
      monitoring: { processMetrics: false, logger: { level: 'silent' } },
      pollIntervalMs: 20,
    });
    try {
      const events = weft.events.define(itemCrafted);
      weft.state.registerStateSync('economy', { schema: z.object({ gold: z.int().min(0) }) });
      weft.state.registerStateSync('character', { schema: z.object({ items: z.array(z.string()) }) });
      const quests: string[] = [];
      events.subscribe('crafting.item_crafted', (e) => void quests.push(`${e.data.playerId}:${e.data.itemId}`), {
        name: 'quest-tracker',
      });
      await events.ready();
      await weft.state.set('economy', 'ann', { gold: 10 });
      await weft.transaction(async (tx) => {
        await tx.update<{ gold: number }>('economy', 'ann', (w) => ({ gold: (w?.gold ?? 0) - 4 }));
        await tx.update<{ items: string[] }>('character', 'ann', (c) => ({ items: [...(c?.items ?? []), 'sword'] }));
        await events.publish('crafting.item_crafted', { playerId: 'ann', itemId: 'sword' }, { source: 'crafting' });
      });
      await expect(
        weft.transaction(async (tx) => {
          await tx.update<{ gold: number }>('economy', 'ann', () => ({ gold: -1 }));
          await events.publish('crafting.item_crafted', { playerId: 'ann', itemId: 'shield' }, { source: 'crafting' });
        }),
      ).rejects.toThrow(/never|Invalid economy/);
      await events.drain();
      expect(quests).toEqual(['ann:sword']);
      expect(await weft.state.get('economy', 'ann')).toMatchObject({ value: { gold: 6 }, version: 2 });
      expect(await weft.monitoring.metrics.text()).toContain('weft_transaction_commits_total{system="character"} 1');
    } finally {
      await weft.close();
    }
    await expect(weft.db.ping()).rejects.toThrow();
    // Closed is closed: a system asked for or installed now would have nothing to run on.
    expect(() => weft.system('crafting')).toThrow(/This integration is closed/);
    await expect(weft.install()).rejects.toMatchObject({ code: 'WEFT_CLOSED' });
  });

  it('says what a caller without the types (JavaScript) got wrong, as a UsageError, and changes nothing', async () => {
    await using weft = await createIntegration({
      database: 'sqlite::memory:',
      monitoring: { processMetrics: false, logger: { level: 'silent' } },
    });
    const shop = weft.system('shop');
    const stock = shop.state.slice('stock', { schema: z.object({ count: z.int() }) });
    const count = shop.command('count', { input: z.object({}), output: z.object({ n: z.int() }) }, () => ({ n: 1 }));
    await stock.create('sword', { count: 1 });
    const refusals = await Promise.all(
      [
        () => weft.execute(count, {}, null as never),
        () => weft.transaction(5 as never),
        () => weft.db.transaction(5 as never),
        () => weft.db.transaction(() => 1, 'readOnly' as never),
        () => stock.update('sword', 5 as never),
        () => stock.upsert('sword', null as never),
        () => Promise.resolve().then(() => weft.db.afterCommit(5 as never)),
      ].map((call) =>
        call().then(
          () => undefined,
          (error: unknown) => error,
        ),
      ),
    );
    for (const refusal of refusals) {
      expect(refusal).toBeInstanceOf(UsageError);
      expect((refusal as UsageError).message).toMatch(/takes|are an object/);
    }
    expect(await stock.get('sword')).toEqual({ count: 1 });
  });

  it('refuses to go on when the wiring is wrong: a subscription that matches no defined event', async () => {
    const weft = await createIntegration({
      database: 'sqlite::memory:',
      monitoring: { processMetrics: false, logger: { level: 'silent' } },
    });
    try {
      const events = weft.events.define(itemCrafted);
      events.subscribe('crafting.item_crafted', () => undefined, { name: 'quest-tracker' });
      expect(weft.checkWiring()).toEqual({ ok: true, problems: [] });
      expect(() => weft.assertWired()).not.toThrow();
      events.subscribe('quest.*', () => undefined);
      expect(weft.checkWiring().problems.map((p) => p.code)).toEqual(['subscription_matches_nothing']);
      expect(() => weft.assertWired()).toThrow(ConfigError);
    } finally {
      await weft.close();
    }
  });
});

describe('createIntegration wires monitoring into the parts', () => {
  it('counts validation failures with their correlation id, exports weft_db_up, and passes a transport to the bus', async () => {
    let commits = 0;
    // A transport of the test's own, over the memory transport once the database exists: the bus must use it.
    let memory: MemoryTransport | undefined;
    const transport: Transport = {
      rewindable: true,
      committed: () => {
        commits++;
        memory?.committed();
      },
      subscribe: (subscription) => {
        if (memory === undefined) throw new Error('no database yet');
        return memory.subscribe(subscription);
      },
      close: () => memory?.close() ?? Promise.resolve(),
    };
    const weft = await createIntegration({
      database: 'sqlite::memory:',
      monitoring: { processMetrics: false, logger: { level: 'silent' } },
      transport,
    });
    try {
      memory = new MemoryTransport({ db: weft.db, pollIntervalMs: 20 });
      const events = weft.events.define(itemCrafted);
      const seen: string[] = [];
      events.subscribe('crafting.item_crafted', (e) => void seen.push(e.data.itemId), {
        name: 'quest.on_item_crafted',
      });
      await events.ready();
      await events.publish('crafting.item_crafted', { playerId: 'ann', itemId: 'sword' }, { source: 'crafting' });
      await events.drain();
      expect(seen).toEqual(['sword']);
      expect(commits).toBeGreaterThan(0);

      await runWithContext({ correlationId: 'req-7' }, async () => {
        await expect(
          events.publish('crafting.item_crafted', { playerId: 'ann' } as never, { source: 'crafting' }),
        ).rejects.toBeInstanceOf(ValidationError);
      });
      expect(weft.validation.getValidationErrors('crafting.item_crafted')).toEqual([
        expect.objectContaining({ correlationId: 'req-7' }),
      ]);
      const text = await weft.monitoring.metrics.text();
      expect(text).toContain('weft_validation_failures_total{schema="crafting.item_crafted"} 1');
      expect(text).toContain('weft_db_up 1');
    } finally {
      await weft.close();
    }
  });
});
