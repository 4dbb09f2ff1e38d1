import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  NotFoundError,
  SeedEventBus,
  ValidationError,
  ValidationManager,
  WeftMetrics,
  eventDispatcher,
  integrationEventBus,
} from 'weft/internal';

const quiet = { warn: () => undefined, error: () => undefined };

describe('seed-style event bus', () => {
  it('calls each handler with the payload itself and resolves when all have finished', async () => {
    const got: unknown[] = [];
    const slow = async (payload: unknown) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      got.push(['slow', payload]);
    };
    integrationEventBus.register('test_event', (payload) => void got.push(['fast', payload]));
    integrationEventBus.register('test_event', slow);
    await integrationEventBus.dispatch('test_event', 'payload');
    expect(got).toEqual([
      ['fast', 'payload'],
      ['slow', 'payload'],
    ]);
    integrationEventBus.unregister('test_event', slow);
    got.length = 0;
    await eventDispatcher.dispatch('test_event', 'again');
    expect(got).toEqual([['fast', 'again']]);
    expect(eventDispatcher).toBe(integrationEventBus);
  });

  it('reports a handler error instead of throwing it, and the other handlers still run', async () => {
    const errors: object[] = [];
    const metrics = new WeftMetrics();
    const bus = new SeedEventBus({ metrics, logger: { ...quiet, error: (o: object) => void errors.push(o) } });
    let ran = false;
    bus.register('quest_done', () => {
      throw new Error('reward table missing');
    });
    bus.register('quest_done', () => void (ran = true));
    await bus.dispatch('quest_done', { questId: 'q1' });
    expect(ran).toBe(true);
    expect(errors).toEqual([expect.objectContaining({ type: 'quest_done' })]);
    expect(await metrics.text()).toContain('weft_events_unregistered_total 1');
  });

  it('validates payloads of types with a schema, and refuses unknown types when strict', async () => {
    const validation = new ValidationManager();
    validation.registerSchema('economy.gold_spent', z.object({ gold: z.int() }));
    const bus = new SeedEventBus({ validation, logger: quiet, strict: true });
    await expect(bus.dispatch('economy.gold_spent', { gold: 'lots' })).rejects.toBeInstanceOf(ValidationError);
    await expect(bus.dispatch('made_up', {})).rejects.toBeInstanceOf(NotFoundError);
    await bus.dispatch('economy.gold_spent', { gold: 5 });
  });
});
