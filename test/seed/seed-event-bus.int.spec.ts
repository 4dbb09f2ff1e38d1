import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  NotFoundError,
  SeedEventBus,
  ValidationError,
  defaultIntegration,
  defineEvent,
  eventDispatcher,
  integrationEventBus,
  type EventEnvelope,
} from 'weft/internal';
import { createTestIntegration, type TestIntegration } from 'weft/testing';

// The default instances open their integration on first use: on a file of this test's own.
process.env.WEFT_DATABASE_URL = `sqlite:${join(mkdtempSync(join(tmpdir(), 'weft-seed-')), 'weft.db')}`;

const quiet = { warn: () => undefined, error: () => undefined };

const tick = defineEvent({
  type: 'world_state.tick',
  version: 1,
  owner: 'world_state',
  durable: false,
  schema: z.object({ n: z.int() }),
});
const crafted = defineEvent({
  type: 'crafting.item_crafted',
  version: 1,
  owner: 'crafting',
  durable: true,
  schema: z.object({ itemId: z.string() }),
});

describe('seed-style event bus', () => {
  let weft: TestIntegration;
  let seed: SeedEventBus;
  let events: ReturnType<typeof define>;
  const define = (integration: TestIntegration) => integration.events.define(tick).define(crafted);

  beforeEach(async () => {
    weft = await createTestIntegration({ file: true, pollIntervalMs: 20 });
    events = define(weft);
    seed = new SeedEventBus({
      bus: () => Promise.resolve(weft.events),
      validation: weft.validation,
      metrics: weft.monitoring.metrics,
      logger: quiet,
    });
  });

  afterEach(async () => {
    await weft.close();
  });

  it('is a view of the integration bus: a dispatch reaches weft.events subscribers, a publish reaches seed handlers', async () => {
    const heard: string[] = [];
    events.subscribe('world_state.tick', (e) => void heard.push(`bus:${e.data.n}`));
    seed.register('world_state.tick', async (payload) => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      heard.push(`seed:${(payload as { n: number }).n}`);
    });
    await seed.dispatch('world_state.tick', { n: 1 });
    // Resolved once every handler, the slow seed one too, has finished.
    expect(heard.sort()).toEqual(['bus:1', 'seed:1']);
    heard.length = 0;
    await events.publishAndWait('world_state.tick', { n: 2 }, { source: 'world_state' });
    expect(heard.sort()).toEqual(['bus:2', 'seed:2']);
    await expect(seed.dispatch('world_state.tick', { n: 'three' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('publishes a durable type through the event log: durable subscribers and seed handlers get it after commit', async () => {
    const durable: EventEnvelope[] = [];
    events.subscribe('crafting.item_crafted', (e) => void durable.push(e), { name: 'quest.on_item_crafted' });
    const live: unknown[] = [];
    seed.register('crafting.item_crafted', (payload) => void live.push(payload));
    await weft.events.ready();
    await seed.dispatch('crafting.item_crafted', { itemId: 'sword' });
    await weft.events.drain();
    expect(durable.map((e) => e.data)).toEqual([{ itemId: 'sword' }]);
    expect(durable[0]?.source).toBe('crafting');
    expect(live).toEqual([{ itemId: 'sword' }]);
    expect((await weft.events.log.readAfter(0, 'crafting.*', 10)).map((e) => e.envelope.data)).toEqual([
      { itemId: 'sword' },
    ]);
  });

  it('keeps free-form types the bus does not define: seed handlers only, errors reported, counted', async () => {
    const errors: object[] = [];
    seed = new SeedEventBus({
      bus: () => Promise.resolve(weft.events),
      metrics: weft.monitoring.metrics,
      logger: { ...quiet, error: (o: object) => void errors.push(o) },
    });
    let ran = false;
    const failing = () => {
      throw new Error('reward table missing');
    };
    seed.register('quest_done', failing);
    seed.register('quest_done', () => void (ran = true));
    await seed.dispatch('quest_done', { questId: 'q1' });
    expect(ran).toBe(true);
    expect(errors).toEqual([expect.objectContaining({ type: 'quest_done' })]);
    expect(await weft.monitoring.metrics.text()).toContain('weft_events_unregistered_total 1');
    seed.unregister('quest_done', failing);
    await seed.dispatch('quest_done', {});
    expect(errors).toHaveLength(1);
  });

  it('validates free-form payloads that have a schema, and refuses unknown types when strict', async () => {
    weft.validation.registerSchema('economy.gold_spent', z.object({ gold: z.int() }));
    const strict = new SeedEventBus({
      bus: () => Promise.resolve(weft.events),
      validation: weft.validation,
      logger: quiet,
      strict: true,
    });
    await expect(strict.dispatch('economy.gold_spent', { gold: 'lots' })).rejects.toBeInstanceOf(ValidationError);
    await expect(strict.dispatch('made_up', {})).rejects.toBeInstanceOf(NotFoundError);
    await strict.dispatch('economy.gold_spent', { gold: 5 });
  });
});

describe('the default instances', () => {
  it('integrationEventBus is a view of the default integration bus, and eventDispatcher is the same instance', async () => {
    const weft = await defaultIntegration();
    const events = weft.events.define(tick);
    const got: unknown[] = [];
    const fromBus: number[] = [];
    const slow = async (payload: unknown) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      got.push(['slow', payload]);
    };
    events.subscribe('world_state.tick', (e) => void fromBus.push(e.data.n));
    integrationEventBus.register('world_state.tick', (payload) => void got.push(['fast', payload]));
    integrationEventBus.register('world_state.tick', slow);
    await integrationEventBus.dispatch('world_state.tick', { n: 1 });
    expect(got).toEqual(
      expect.arrayContaining([
        ['fast', { n: 1 }],
        ['slow', { n: 1 }],
      ]),
    );
    expect(fromBus).toEqual([1]);
    integrationEventBus.unregister('world_state.tick', slow);
    got.length = 0;
    await new Promise((resolve) => setTimeout(resolve, 10));
    await eventDispatcher.dispatch('world_state.tick', { n: 2 });
    expect(got).toEqual([['fast', { n: 2 }]]);
    expect(eventDispatcher).toBe(integrationEventBus);
  });
});
