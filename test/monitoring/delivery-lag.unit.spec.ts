import { describe, expect, it } from 'vitest';
import {
  Alerting,
  DeliveryLag,
  WeftMetrics,
  builtinRules,
  callbackChannel,
  type Alert,
  type AlertRule,
} from 'weft/internal';
import { lags } from './lag-readings.js';

/** A clock that moves only when told. */
function fakeClock(start = Date.parse('2026-11-26T10:00:00Z')) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const quiet = { warn: () => undefined, error: () => undefined, info: () => undefined };

/** Metrics and an alert engine on one fake clock, with only the built-in delivery lag rule (threshold 30 s). */
function setup() {
  const clock = fakeClock();
  const metrics = new WeftMetrics({ deliveryLag: { now: clock.now } });
  const received: Alert[] = [];
  const alerting = new Alerting({
    metrics,
    logger: quiet,
    clock,
    channels: [callbackChannel('inbox', (a) => void received.push(a))],
  });
  const lagRule = builtinRules().find((rule) => rule.name === 'weft.event_delivery_lag');
  if (lagRule === undefined) throw new Error('no built-in lag rule');
  alerting.addRule(lagRule);
  const tick = async (ms: number) => {
    clock.advance(ms);
    await alerting.evaluate();
    await alerting.flush();
  };
  const rule = () => alerting.list()[0];
  return { clock, metrics, alerting, received, tick, rule, lagRule };
}

describe('DeliveryLag', () => {
  it('reports the age of the oldest event in hand, holds the last lag briefly once nothing is, then 0', () => {
    const clock = fakeClock();
    const lag = new DeliveryLag({ now: clock.now, holdMs: 1000 });
    const engine = {};
    expect(lag.ageMs()).toBe(0);

    // The takeover: the first event the new holder delivers waited 48 681 ms for the lease.
    lag.started('e1', clock.now() - 48_681, engine);
    expect(lag.ageMs()).toBe(48_681);
    clock.advance(20); // the handler runs: the event waits on
    expect(lag.ageMs()).toBe(48_701);
    lag.finished('e0'); // an event that was never in hand (not the oldest of its group): nothing changes
    expect(lag.ageMs()).toBe(48_701);

    lag.finished('e1');
    expect(lag.ageMs()).toBe(48_701); // the gap before a next group is not "caught up"
    clock.advance(999);
    expect(lag.ageMs()).toBe(48_701);
    clock.advance(1);
    expect(lag.ageMs()).toBe(0); // caught up: no stale lag, however long nothing comes
    clock.advance(3_600_000);
    expect(lag.ageMs()).toBe(0);
  });

  it('takes the oldest of several in hand (lanes), and a second start of an event keeps its first time', () => {
    const clock = fakeClock();
    const lag = new DeliveryLag({ now: clock.now, holdMs: 0 });
    const engine = {};
    lag.started('b', clock.now() - 500, engine);
    lag.started('a', clock.now() - 2000, engine);
    lag.started('a', clock.now() - 10, engine); // a retry of the same event
    expect(lag.ageMs()).toBe(2000);
    lag.finished('a');
    expect(lag.ageMs()).toBe(500);
    lag.finished('b');
    expect(lag.ageMs()).toBe(0);
  });

  it('lets go of what a failed round had in hand, and an event a stopped engine left is finished by the next', () => {
    const clock = fakeClock();
    const lag = new DeliveryLag({ now: clock.now, holdMs: 0 });
    const first = {};
    const second = {};
    lag.started('a', clock.now() - 5000, first);
    lag.started('b', clock.now() - 100, second);
    lag.released(first); // its lease was lost: another process delivers 'a'
    expect(lag.ageMs()).toBe(100);
    lag.released(second);
    expect(lag.ageMs()).toBe(0);

    lag.started('c', clock.now() - 7000, first); // an engine stopped with 'c' in hand...
    lag.started('c', clock.now() - 7000, second); // ...the next one of the name delivers it
    lag.finished('c');
    expect(lag.ageMs()).toBe(0);
  });
});

describe('weft_event_delivery_lag_ms', () => {
  it('is read at scrape time from each subscription, shared by every engine of a name, 0 before any delivery', async () => {
    const { clock, metrics } = setup();
    const economy = metrics.deliveryLag('economy.on_created');
    expect(metrics.deliveryLag('economy.on_created')).toBe(economy);
    metrics.deliveryLag('quest.on_item_crafted');
    expect(await lags(metrics)).toEqual({ 'economy.on_created': 0, 'quest.on_item_crafted': 0 });

    economy.started('e1', clock.now() - 48_681, {});
    expect(await lags(metrics)).toEqual({ 'economy.on_created': 48_681, 'quest.on_item_crafted': 0 });
    economy.finished('e1');
    clock.advance(60_000);
    expect(await lags(metrics)).toEqual({ 'economy.on_created': 0, 'quest.on_item_crafted': 0 });
  });
});

describe('the built-in delivery lag rule', () => {
  it('takes the subscription furthest behind: two lags under the threshold whose sum is over it do not alert', async () => {
    const { clock, metrics, received, tick, rule, lagRule } = setup();
    expect(lagRule).toMatchObject({ aggregate: 'max', threshold: 30_000 });
    metrics.deliveryLag('economy.on_created').started('e1', clock.now() - 20_000, {});
    metrics.deliveryLag('quest.on_item_crafted').started('e2', clock.now() - 20_000, {});
    // Summed, 40 s and more: pending at the first evaluation. Each is 20 to 25 s behind.
    for (let i = 0; i < 5; i++) await tick(1000);
    expect(rule()).toMatchObject({ state: 'inactive', lastValue: 25_000, history: [] });
    expect(received).toEqual([]);
  });

  it('stays inactive with lags summing past the threshold when each is set under it', async () => {
    const { metrics, received, tick, rule } = setup();
    metrics.eventDeliveryLag.set({ subscription: 'economy.on_created' }, 20_000);
    metrics.eventDeliveryLag.set({ subscription: 'quest.on_item_crafted' }, 20_000);
    metrics.eventDeliveryLag.set({ subscription: 'character.on_level' }, 17);
    for (let i = 0; i < 8; i++) await tick(15_000);
    expect(rule()).toMatchObject({ state: 'inactive', lastValue: 20_000, history: [] });
    expect(received).toEqual([]);
  });

  it('fires while a subscription is behind and resolves once it caught up, with nothing more delivered', async () => {
    const { clock, metrics, received, tick, rule } = setup();
    const economy = metrics.deliveryLag('economy.on_created');
    const quest = metrics.deliveryLag('quest.on_item_crafted');
    const engine = {};
    // A handler stuck on an event 40 s old, beside a subscription 17 ms behind.
    economy.started('e1', clock.now() - 40_000, engine);
    quest.started('q1', clock.now() - 17, engine);
    await tick(15_000);
    expect(rule()).toMatchObject({ state: 'pending', lastValue: 55_000 });
    await tick(60_000);
    expect(rule()).toMatchObject({ state: 'firing', lastValue: 115_000 });
    expect(received.map((a) => [a.name, a.state])).toEqual([['weft.event_delivery_lag', 'firing']]);

    // Both delivered; no traffic afterwards.
    economy.finished('e1');
    quest.finished('q1');
    await tick(15_000);
    expect(rule()).toMatchObject({ state: 'firing', lastValue: 0 }); // resolveAfter 1m
    await tick(45_000);
    expect(rule()?.state).toBe('firing');
    await tick(15_000);
    expect(rule()).toMatchObject({ state: 'resolved', lastValue: 0 });
    expect(received.map((a) => a.state)).toEqual(['firing', 'resolved']);
    for (let i = 0; i < 20; i++) await tick(15_000);
    expect(rule()?.state).toBe('resolved');
    expect(await lags(metrics)).toEqual({ 'economy.on_created': 0, 'quest.on_item_crafted': 0 });
  });

  it('has no value, so does not hold, when no series matches', async () => {
    const { tick, rule } = setup();
    await tick(15_000);
    expect(rule()).toMatchObject({ state: 'inactive', lastValue: undefined });
  });
});

describe('the max aggregate', () => {
  it('is the largest matching series of a gauge, a counter or a histogram count, within the label filter', async () => {
    const clock = fakeClock();
    const metrics = new WeftMetrics();
    const alerting = new Alerting({ metrics, logger: quiet, clock });
    const rule = (name: string, metric: string, labels?: Record<string, string>): AlertRule => ({
      name,
      metric,
      ...(labels === undefined ? {} : { labels }),
      aggregate: 'max',
      window: '1m',
      op: '>',
      threshold: 1_000_000,
      severity: 'info',
      summary: name,
    });
    alerting.addRule(rule('failed', 'weft_events_failed_total'));
    alerting.addRule(rule('failed_quest', 'weft_events_failed_total', { subscription: 'quest' }));
    alerting.addRule(rule('handler', 'weft_handler_duration_ms'));
    metrics.eventsFailed.inc({ type: 'a.b', subscription: 'quest' }, 2);
    metrics.eventsFailed.inc({ type: 'a.c', subscription: 'quest' }, 3);
    metrics.eventsFailed.inc({ type: 'a.b', subscription: 'shop' }, 7);
    for (let i = 0; i < 4; i++) metrics.handlerDuration.observe({ type: 'a.b', subscription: 'quest' }, 5);
    metrics.handlerDuration.observe({ type: 'a.b', subscription: 'shop' }, 5);
    await alerting.evaluate();
    expect(Object.fromEntries(alerting.list().map((r) => [r.name, r.lastValue]))).toEqual({
      failed: 7,
      failed_quest: 3,
      handler: 4,
    });
  });
});
