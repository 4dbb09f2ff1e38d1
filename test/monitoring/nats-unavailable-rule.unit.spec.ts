import { describe, expect, it } from 'vitest';
import { Alerting, WeftMetrics, builtinRules, callbackChannel, type Alert } from 'weft/internal';

/** A clock that moves only when told. */
function fakeClock(start = Date.parse('2026-12-06T10:00:00Z')) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const quiet = { warn: () => undefined, error: () => undefined, info: () => undefined };

/** Metrics and an alert engine on one fake clock, with only the built-in NATS rule. */
function setup() {
  const clock = fakeClock();
  const metrics = new WeftMetrics();
  const received: Alert[] = [];
  const alerting = new Alerting({
    metrics,
    logger: quiet,
    clock,
    channels: [callbackChannel('inbox', (a) => void received.push(a))],
  });
  const rule = builtinRules().find((r) => r.name === 'weft.nats_unavailable');
  if (rule === undefined) throw new Error('no built-in NATS rule');
  alerting.addRule(rule);
  const tick = async (ms: number) => {
    clock.advance(ms);
    await alerting.evaluate();
    await alerting.flush();
  };
  return { metrics, alerting, received, tick };
}

describe('the built-in weft.nats_unavailable rule', () => {
  it('stays inactive on the database transport, where weft_nats_up does not exist', async () => {
    const { alerting, received, tick } = setup();
    for (let i = 0; i < 10; i++) await tick(10_000);
    expect(alerting.list()[0]?.state).toBe('inactive');
    expect(received).toEqual([]);
  });

  it('fires once NATS has been away for 30 s, and resolves 30 s after it is back', async () => {
    const { metrics, alerting, received, tick } = setup();
    // What the NATS transport registers and sets as its connection goes and comes back.
    const up = metrics.gauge({ name: 'weft_nats_up', help: 'Whether the connection to NATS is up (1) or not (0).' });
    up.set(1);
    await tick(10_000);
    up.set(0);
    await tick(10_000);
    await tick(15_000);
    expect(alerting.list()[0]?.state).not.toBe('firing');
    await tick(20_000);
    expect(alerting.list()[0]?.state).toBe('firing');
    expect(received).toEqual([expect.objectContaining({ name: 'weft.nats_unavailable', severity: 'critical' })]);
    up.set(1);
    await tick(10_000);
    expect(alerting.list()[0]?.state).toBe('firing');
    await tick(30_000);
    expect(alerting.list()[0]?.state).toBe('resolved');
    expect(received.map((a) => a.state)).toEqual(['firing', 'resolved']);
  });
});
