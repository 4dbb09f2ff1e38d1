import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ConfigError } from 'weft/internal';
import { WeftMetrics } from 'weft/internal';

describe('series instruments', () => {
  it('print the same Prometheus text as prom-client for the same observations', async () => {
    const metrics = new WeftMetrics();
    const registry = new Registry();
    const peer = new Histogram({
      name: 'weft_handler_duration_ms',
      help: 'Time a subscription handler took, in ms.',
      labelNames: ['type', 'subscription'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers: [registry],
    });
    const labels = { type: 'crafting.item_crafted', subscription: 'quest' };
    const series = metrics.handlerDuration.labels(labels);
    for (const value of [0.05, 0.1, 3, 3, 7000, 20000]) {
      series.observe(value);
      peer.observe(labels, value);
    }
    const ours = (await metrics.text()).split('\n').filter((line) => line.startsWith('weft_handler_duration_ms'));
    const theirs = (await registry.metrics()).split('\n').filter((line) => line.startsWith('weft_handler_duration_ms'));
    expect(ours).toEqual(theirs);
  });

  it('count through a held series and through labels alike, and refuse unknown labels and bad amounts', async () => {
    const metrics = new WeftMetrics();
    const held = metrics.eventsDelivered.labels({ type: 'a.b', subscription: 's' });
    held.inc();
    held.inc(2);
    metrics.eventsDelivered.inc({ type: 'a.b', subscription: 's' });
    expect(await metrics.text()).toContain('weft_events_delivered_total{type="a.b",subscription="s"} 4');
    expect(() => metrics.eventsDelivered.inc({ kind: 'x' } as never)).toThrow(ConfigError);
    expect(() => held.inc(-1)).toThrow(ConfigError);
    expect(() => metrics.handlerDuration.observe({ type: 'a.b' }, Number.NaN)).toThrow(ConfigError);
  });

  it('report a watched queue depth at each scrape, and forget it once unwatched', async () => {
    const metrics = new WeftMetrics();
    let depth = 3;
    const unwatch = metrics.watchQueueDepth('quest', () => depth);
    expect(await metrics.text()).toContain('weft_event_queue_depth{subscription="quest"} 3');
    depth = 7;
    expect(await metrics.text()).toContain('weft_event_queue_depth{subscription="quest"} 7');
    unwatch();
    expect(await metrics.text()).not.toContain('weft_event_queue_depth{subscription="quest"}');
  });
});
