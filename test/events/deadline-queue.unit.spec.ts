import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TimeoutError, type EventEnvelope } from 'weft/internal';
import { DeadlineQueue } from '../../src/integration/events/deadline-queue.js';
import { withHandlerTimeout } from '../../src/integration/events/handler-timeout.js';

const EVENT = { id: 'e-1', type: 'world_state.tick' } as EventEnvelope;

describe('DeadlineQueue (the handler timeouts of one length)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('expires only the runs still pending at their deadline, each once, in the order they started', async () => {
    const queue = new DeadlineQueue(40);
    const expired: number[] = [];
    const deadlines = Array.from({ length: 6 }, (_, i) => queue.add(() => expired.push(i)));
    for (const i of [0, 2, 5]) queue.settle(deadlines[i]!);
    expect(queue.pending).toBe(3);
    await sleep(20);
    expect(expired).toEqual([]);
    await sleep(60);
    expect(expired).toEqual([1, 3, 4]);
    expect(queue.pending).toBe(0);
    // Settling after the deadline, or twice, changes nothing.
    queue.settle(deadlines[1]!);
    queue.settle(deadlines[0]!);
    expect(queue.pending).toBe(0);
  });

  it('times each run from its own start: a run added later expires later', async () => {
    const queue = new DeadlineQueue(100);
    const expired: string[] = [];
    queue.add(() => expired.push('first'));
    await sleep(60);
    queue.add(() => expired.push('second'));
    // 110 ms after the first, 50 after the second.
    await sleep(50);
    expect(expired).toEqual(['first']);
    await sleep(110);
    expect(expired).toEqual(['first', 'second']);
  });

  it('counts a run from the start it is given', async () => {
    const queue = new DeadlineQueue(50);
    const expired: string[] = [];
    queue.add(() => expired.push('started long ago'), performance.now() - 45);
    await sleep(20);
    expect(expired).toEqual(['started long ago']);
  });

  it('keeps one timer for any number of runs of its length, not one each', async () => {
    const timers = vi.spyOn(globalThis, 'setTimeout');
    const queue = new DeadlineQueue(30);
    const expired: number[] = [];
    for (let round = 0; round < 3; round++) {
      const deadlines = Array.from({ length: 100 }, (_, i) => queue.add(() => expired.push(i)));
      for (const deadline of deadlines.slice(0, 99)) queue.settle(deadline);
    }
    // One timer armed by the first run; the runs after it reuse it.
    expect(timers).toHaveBeenCalledTimes(1);
    await sleep(60);
    expect(expired).toEqual([99, 99, 99]);
  });

  it('runs every due expiry when one throws, and reports that error as uncaught', async () => {
    const queue = new DeadlineQueue(20);
    const expired: string[] = [];
    const thrown: unknown[] = [];
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', (error) => thrown.push(error));
    try {
      queue.add(() => {
        throw new Error('expiry failed');
      });
      queue.add(() => expired.push('due with it'));
      await sleep(15);
      queue.add(() => expired.push('later'));
      await sleep(60);
    } finally {
      process.removeAllListeners('uncaughtException');
      for (const listener of listeners) process.on('uncaughtException', listener);
    }
    expect(thrown).toEqual([new Error('expiry failed')]);
    expect(expired).toEqual(['due with it', 'later']);
  });

  it('withHandlerTimeout: runs under the same timeout share one timer; each settles as its run or with a TimeoutError', async () => {
    const timers = vi.spyOn(globalThis, 'setTimeout');
    const expired: TimeoutError[] = [];
    const quick = Array.from({ length: 50 }, (_, i) =>
      withHandlerTimeout(Promise.resolve(i), 41, 'quick', EVENT, (error) => expired.push(error)),
    );
    const failing = withHandlerTimeout(Promise.reject(new Error('handler failed')), 41, 'failing', EVENT);
    const hung = withHandlerTimeout(new Promise<number>(() => undefined), 41, 'hung', EVENT, (error) =>
      expired.push(error),
    );
    expect(await Promise.all(quick)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    await expect(failing).rejects.toThrow('handler failed');
    // 52 runs, one timer (once it fires, it may arm again for what is still pending).
    expect(timers.mock.calls.filter(([, delay]) => delay !== undefined && delay <= 41)).toHaveLength(1);
    const error = await hung.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect(expired).toEqual([error]);
    expect((error as TimeoutError).message).toBe(
      'The handler of subscription "hung" ran past its timeoutMs (41 ms) on event e-1 (world_state.tick).',
    );
  });
});
