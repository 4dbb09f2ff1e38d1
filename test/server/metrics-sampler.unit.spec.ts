import { describe, expect, it } from 'vitest';
import { WeftMetrics } from 'weft/internal';
import { MetricsSampler, quantile } from '../../src/server/metrics-sampler.js';

const silent = { warn: () => undefined };

describe('MetricsSampler', () => {
  it('records rates, the largest lag and the handler p99 between two readings, in a bounded ring', async () => {
    const metrics = new WeftMetrics();
    const sampler = new MetricsSampler(metrics.registry, silent, { size: 2 });
    await sampler.sample();
    expect(sampler.recent()).toEqual([]);

    for (let i = 0; i < 10; i++) metrics.eventsPublished.labels({ type: 'crafting.item_crafted' }).inc();
    metrics.eventsDelivered.labels({ type: 'crafting.item_crafted', subscription: 'quest.crafted' }).inc(4);
    metrics.eventDeliveryLag.set({ subscription: 'quest.crafted' }, 120);
    metrics.eventDeliveryLag.set({ subscription: 'analytics.tally' }, 30);
    const handler = metrics.handlerDuration.labels({ type: 'crafting.item_crafted', subscription: 'quest.crafted' });
    for (let i = 0; i < 99; i++) handler.observe(3);
    handler.observe(400);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await sampler.sample();
    const [sample] = sampler.recent();
    expect(sample?.eventsPerSecond).toBeGreaterThan(0);
    expect(sample!.eventsPerSecond / sample!.deliveriesPerSecond).toBeCloseTo(10 / 4);
    expect(sample).toMatchObject({ deliveryLagMs: 120, handlerP99Ms: 5 });

    // Nothing ran since: no p99, zero rates.
    await sampler.sample();
    expect(sampler.recent()[1]).toMatchObject({ eventsPerSecond: 0, deliveriesPerSecond: 0 });
    expect(sampler.recent()[1]?.handlerP99Ms).toBeUndefined();
    await sampler.sample();
    expect(sampler.recent()).toHaveLength(2);
  });

  it('logs a reading that fails and keeps going', async () => {
    const warned: unknown[] = [];
    const broken = { getSingleMetric: () => ({ get: () => Promise.reject(new Error('registry gone')) }) };
    const sampler = new MetricsSampler(broken as never, { warn: (...args: unknown[]) => void warned.push(args) });
    await sampler.sample();
    expect(warned).toHaveLength(1);
    expect(sampler.recent()).toEqual([]);
  });
});

describe('quantile', () => {
  it('answers the smallest bucket bound holding the share of the new observations', () => {
    const before = new Map([
      [1, 10],
      [5, 10],
      [Number.POSITIVE_INFINITY, 10],
    ]);
    const after = new Map([
      [1, 10],
      [5, 19],
      [Number.POSITIVE_INFINITY, 20],
    ]);
    expect(quantile(before, after, 0.9)).toBe(5);
    expect(quantile(before, after, 0.99)).toBe(5);
    expect(quantile(before, before, 0.99)).toBeUndefined();
  });
});
