import { describe, expect, it } from 'vitest';
import { RepeatedFailure } from 'weft/internal';
import { DeliveryRecorder } from '../../src/integration/events/delivery/delivery-recorder.js';
import type { LoggedEvent } from 'weft/internal';

describe('RepeatedFailure', () => {
  it('lets the first failure through, then one an interval with how many it left out, and starts again on recovery', () => {
    let now = 0;
    const failures = new RepeatedFailure(10_000, () => now);
    expect(failures.recovered()).toBeUndefined();
    expect(failures.next()).toBe(0);
    now = 4_000;
    expect([failures.next(), failures.next()]).toEqual([undefined, undefined]);
    now = 10_000;
    expect(failures.next()).toBe(2);
    now = 12_000;
    expect(failures.next()).toBeUndefined();
    expect(failures.recovered()).toBe(1);
    expect(failures.recovered()).toBeUndefined();
    // Failing again right after a recovery is said at once.
    expect(failures.next()).toBe(0);
  });
});

describe('a durable subscription’s log while its database is away', () => {
  it('logs a failing round once, not on every round, and says when delivery works again', () => {
    const lines: Array<{ level: string; msg: string; fields: Record<string, unknown> }> = [];
    const log =
      (level: string) =>
      (fields: Record<string, unknown>, msg: string): void =>
        void lines.push({ level, msg, fields });
    const recorder = new DeliveryRecorder('analytics.tally', undefined, {
      level: 'info',
      debug: log('debug'),
      info: log('info'),
      warn: log('warn'),
      error: log('error'),
    } as never);
    const gone = new Error('Connection terminated unexpectedly');
    for (let round = 0; round < 50; round++) recorder.roundFailed(gone);
    const event = { seq: 1, envelope: { id: 'e1', type: 'economy.gold_moved', time: new Date().toISOString() } };
    recorder.delivered([event as LoggedEvent], 1);
    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      ['error', 'durable delivery failed'],
      ['info', 'durable delivery works again'],
    ]);
    expect(lines[1]?.fields).toMatchObject({ subscription: 'analytics.tally', failedRoundsLeftOut: 49 });
  });
});
