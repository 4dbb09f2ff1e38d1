import { describe, expect, it } from 'vitest';
import { RecentResult } from 'weft/internal';

describe('RecentResult: one computation shared for a while', () => {
  it('shares a running computation, keeps its result for ttlMs, then computes again', async () => {
    let now = 0;
    let runs = 0;
    let release: (() => void) | undefined;
    const shared = new RecentResult(
      1000,
      async () => {
        runs++;
        await new Promise<void>((resolve) => (release = resolve));
        return runs;
      },
      () => now,
    );
    const waiting = Array.from({ length: 8 }, () => shared.get());
    release?.();
    expect(await Promise.all(waiting)).toEqual(Array.from({ length: 8 }, () => 1));
    now = 999;
    expect(await shared.get()).toBe(1);
    now = 1000;
    const next = shared.get();
    release?.();
    expect(await next).toBe(2);
    expect(runs).toBe(2);
  });

  it('hands a failure to those who waited for it, and keeps nothing', async () => {
    let runs = 0;
    const shared = new RecentResult(1000, () => {
      runs++;
      return runs === 1 ? Promise.reject(new Error('database down')) : Promise.resolve('ok');
    });
    const [first, second] = await Promise.allSettled([shared.get(), shared.get()]);
    expect(first).toMatchObject({ status: 'rejected', reason: new Error('database down') });
    expect(second).toMatchObject({ status: 'rejected' });
    expect(await shared.get()).toBe('ok');
    expect(runs).toBe(2);
  });
});
