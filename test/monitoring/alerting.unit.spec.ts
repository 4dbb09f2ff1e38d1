import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Alerting,
  ConfigError,
  WeftMetrics,
  builtinRules,
  callbackChannel,
  type Alert,
  type AlertRule,
} from 'weft/internal';

/** A clock that moves only when told. */
function fakeClock(start = Date.parse('2026-11-26T10:00:00Z')) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const quiet = { warn: () => undefined, error: () => undefined, info: () => undefined };

function setup(rules: AlertRule[], extra: Partial<ConstructorParameters<typeof Alerting>[0]> = {}) {
  const metrics = new WeftMetrics();
  const clock = fakeClock();
  const received: Alert[] = [];
  const alerting = new Alerting({
    metrics,
    logger: quiet,
    clock,
    channels: [callbackChannel('inbox', (a) => void received.push(a))],
    ...extra,
  });
  for (const rule of rules) alerting.addRule(rule);
  const tick = async (ms: number) => {
    clock.advance(ms);
    await alerting.evaluate();
    await alerting.flush();
  };
  return { metrics, clock, alerting, received, tick };
}

const lagRule: AlertRule = {
  name: 'lag',
  metric: 'weft_event_delivery_lag_ms',
  aggregate: 'value',
  window: '1m',
  op: '>',
  threshold: 1000,
  for: '30s',
  resolveAfter: '20s',
  severity: 'warning',
  summary: 'falling behind',
};

describe('Alerting', () => {
  it('moves inactive -> pending -> firing -> resolved with for and a resolve delay, recording each transition', async () => {
    const { metrics, alerting, received, tick } = setup([lagRule]);
    const lag = metrics.eventDeliveryLag;
    await tick(0);
    expect(alerting.list()[0]?.state).toBe('inactive');

    lag.set({ subscription: 'quest' }, 5000);
    await tick(10_000);
    expect(alerting.list()[0]).toMatchObject({ state: 'pending', lastValue: 5000 });
    await tick(10_000);
    expect(alerting.list()[0]?.state).toBe('pending');
    await tick(20_000);
    expect(alerting.list()[0]?.state).toBe('firing');
    expect(received).toEqual([
      expect.objectContaining({
        name: 'lag',
        state: 'firing',
        value: 5000,
        severity: 'warning',
        summary: 'falling behind',
      }),
    ]);

    lag.set({ subscription: 'quest' }, 10);
    await tick(10_000);
    expect(alerting.list()[0]?.state).toBe('firing'); // not yet: resolve delay
    lag.set({ subscription: 'quest' }, 4000); // flaps back: the delay starts over
    await tick(10_000);
    lag.set({ subscription: 'quest' }, 10);
    await tick(10_000);
    expect(alerting.list()[0]?.state).toBe('firing');
    await tick(20_000);
    expect(alerting.list()[0]?.state).toBe('resolved');
    expect(received.map((a) => a.state)).toEqual(['firing', 'resolved']);
    expect(alerting.list()[0]?.history.map((t) => `${t.from}->${t.to}`)).toEqual([
      'inactive->pending',
      'pending->firing',
      'firing->resolved',
    ]);
    expect(alerting.list()[0]?.history[1]).toMatchObject({ at: '2026-11-26T10:00:40.000Z', value: 5000 });
  });

  it('drops back to inactive when the condition stops before for has passed, without notifying', async () => {
    const { metrics, alerting, received, tick } = setup([lagRule]);
    metrics.eventDeliveryLag.set({ subscription: 'quest' }, 5000);
    await tick(1000);
    metrics.eventDeliveryLag.set({ subscription: 'quest' }, 0);
    await tick(1000);
    expect(alerting.list()[0]?.state).toBe('inactive');
    expect(received).toEqual([]);
  });

  it('computes rate over the window', async () => {
    const { metrics, alerting, received, tick } = setup([
      {
        name: 'dead',
        metric: 'weft_events_dead_lettered_total',
        aggregate: 'rate',
        window: '1m',
        op: '>',
        threshold: 0.5,
        severity: 'critical',
        summary: 'dead letters',
      },
    ]);
    const dead = metrics.eventsDeadLettered.labels({ type: 'crafting.item_crafted', subscription: 'economy' });
    await tick(0);
    dead.inc(10);
    await tick(30_000); // 10 in 30 s = 0.33/s
    expect(alerting.list()[0]).toMatchObject({ state: 'inactive' });
    expect(alerting.list()[0]?.lastValue).toBeCloseTo(0.333, 2);
    dead.inc(50);
    await tick(30_000); // 60 in 60 s = 1/s
    expect(alerting.list()[0]).toMatchObject({ state: 'firing', lastValue: 1 });
    expect(received[0]).toMatchObject({ severity: 'critical' });
  });

  it('computes a ratio between two counters and a quantile of a histogram over the window', async () => {
    const { metrics, alerting, tick } = setup([
      {
        name: 'errors',
        metric: 'weft_events_failed_total',
        denominator: 'weft_events_delivered_total',
        aggregate: 'ratio',
        window: '5m',
        op: '>',
        threshold: 0.1,
        severity: 'warning',
        summary: 'x',
      },
      {
        name: 'slow',
        metric: 'weft_handler_duration_ms',
        labels: { subscription: 'quest' },
        aggregate: 'p99',
        window: '5m',
        op: '>',
        threshold: 200,
        severity: 'warning',
        summary: 'x',
      },
    ]);
    const labels = { type: 'combat.monster_slain', subscription: 'quest' };
    metrics.eventsDelivered.inc(labels, 80);
    metrics.eventsFailed.inc(labels, 20);
    for (let i = 0; i < 98; i++) metrics.handlerDuration.observe(labels, 3);
    metrics.handlerDuration.observe(labels, 400);
    metrics.handlerDuration.observe(labels, 400);
    metrics.handlerDuration.observe({ type: 'x', subscription: 'other' }, 9000); // another subscription: not counted
    await tick(1000);
    const [errors, slow] = alerting.list();
    expect(errors).toMatchObject({ state: 'firing', lastValue: 0.25 });
    expect(slow?.state).toBe('firing');
    expect(slow?.lastValue).toBeGreaterThan(250);
    expect(slow?.lastValue).toBeLessThanOrEqual(500);
  });

  it('routes by severity and labels, and holds back silenced alerts until the silence ends', async () => {
    const pages: Alert[] = [];
    const { metrics, alerting, received, tick, clock } = setup([{ ...lagRule, for: 0, resolveAfter: 0 }], {
      routes: [
        { severity: ['critical'], channels: ['pager'] },
        { severity: ['warning', 'info'], channels: ['inbox'] },
      ],
    });
    alerting.addChannel(callbackChannel('pager', (a) => void pages.push(a)));
    alerting.alert('manual.check', 'the forge is cold', { severity: 'critical' });
    await alerting.flush();
    expect(pages.map((a) => a.name)).toEqual(['manual.check']);
    expect(received).toEqual([]);

    const id = alerting.silence({ rule: 'lag', until: clock.now() + 60_000 });
    metrics.eventDeliveryLag.set({ subscription: 'quest' }, 5000);
    await tick(1000);
    expect(alerting.list()[0]?.state).toBe('firing');
    expect(received).toEqual([]);
    alerting.unsilence(id);
    metrics.eventDeliveryLag.set({ subscription: 'quest' }, 0);
    await tick(1000);
    expect(received.map((a) => a.state)).toEqual(['resolved']);
    expect(alerting.getAlert('lag')).toMatchObject({ state: 'resolved' });
    expect(alerting.getAlert('manual.check')).toMatchObject({
      state: 'firing',
      summary: 'the forge is cold',
      severity: 'critical',
    });
  });

  it('keeps notifying the other channels when one throws, and counts the failure', async () => {
    const { metrics, alerting, received } = setup([]);
    const failures: unknown[] = [];
    alerting.addChannel(
      callbackChannel('broken', () => {
        throw new Error('smtp down');
      }),
    );
    const logged = new Alerting({
      metrics: new WeftMetrics(),
      logger: { ...quiet, error: (o: object) => void failures.push(o) },
      channels: [callbackChannel('broken', () => Promise.reject(new Error('down')))],
    });
    alerting.alert('x', 'y');
    logged.alert('x', 'y');
    await alerting.flush();
    await logged.flush();
    expect(received).toHaveLength(1);
    expect(await metrics.text()).toContain('weft_alert_channel_failures_total{channel="broken"} 1');
    expect(failures).toEqual([expect.objectContaining({ channel: 'broken', alert: 'x' })]);
  });

  it('refuses a malformed rule naming the field, and a duplicate name', () => {
    const { alerting } = setup([lagRule]);
    expect(() => alerting.addRule({ ...lagRule, name: 'other', window: 'soon' })).toThrow(/window/);
    expect(() => alerting.addRule({ ...lagRule, name: 'ratio', aggregate: 'ratio' })).toThrow(/denominator/);
    expect(() => alerting.addRule(lagRule)).toThrow(ConfigError);
  });

  it('loads rules from a JSON file, and ships the built-in rules', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'weft-rules-'));
    try {
      await writeFile(join(folder, 'rules.json'), JSON.stringify([{ ...lagRule, name: 'from_file' }]));
      const { alerting } = setup(builtinRules({ deliveryLagMs: 10_000 }));
      await alerting.loadRules(join(folder, 'rules.json'));
      expect(alerting.list().map((r) => r.name)).toEqual([
        'weft.handler_error_rate',
        'weft.dead_letters_growing',
        'weft.event_delivery_lag',
        'weft.transaction_conflict_rate',
        'weft.database_unavailable',
        'weft.nats_unavailable',
        'from_file',
      ]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
