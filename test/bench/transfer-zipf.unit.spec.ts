import { describe, expect, it } from 'vitest';
import { ZipfSampler } from '../../bench/transfer-zipf.js';

const ACCOUNTS = 10_000;
const DRAWS = 200_000;

/** How many of `draws` draws fell on each index. */
function histogram(sampler: ZipfSampler, draws: number): Uint32Array {
  const counts = new Uint32Array(sampler.size);
  for (let i = 0; i < draws; i++) {
    const index = sampler.next();
    counts[index] = (counts[index] ?? 0) + 1;
  }
  return counts;
}

/** The share of draws on the `count` lowest indexes (the hottest accounts). */
function observedHotShare(counts: Uint32Array, count: number, draws: number): number {
  let sum = 0;
  for (let i = 0; i < count; i++) sum += counts[i] ?? 0;
  return sum / draws;
}

describe('the Zipf sampler of the transfer benchmark', () => {
  it('at alpha 1.5 puts about 80% of the draws on the dozen hottest of 10,000 accounts', () => {
    const sampler = new ZipfSampler(ACCOUNTS, 1.5);
    // The exact share from the formula: sum of k^-1.5 over the hot ranks / over all ranks.
    let hot = 0;
    let all = 0;
    for (let rank = 1; rank <= ACCOUNTS; rank++) {
      all += rank ** -1.5;
      if (rank <= 12) hot += rank ** -1.5;
    }
    expect(sampler.hotShare(12)).toBeCloseTo(hot / all, 10);
    expect(hot / all).toBeGreaterThan(0.75);
    expect(hot / all).toBeLessThan(0.85);
    const counts = histogram(sampler, DRAWS);
    // 200,000 draws: one standard deviation of a share near 0.8 is under 0.001.
    expect(Math.abs(observedHotShare(counts, 12, DRAWS) - hot / all)).toBeLessThan(0.01);
    expect(Math.abs((counts[0] ?? 0) / DRAWS - sampler.hotShare(1))).toBeLessThan(0.01);
  });

  it('at alpha 0 draws uniformly: no account is hot', () => {
    const sampler = new ZipfSampler(ACCOUNTS, 0);
    expect(sampler.hotShare(100)).toBeCloseTo(0.01, 10);
    const counts = histogram(sampler, DRAWS);
    expect(Math.abs(observedHotShare(counts, 1000, DRAWS) - 0.1)).toBeLessThan(0.01);
    // Expected 20 per account; the busiest of 10,000 stays far below a hot account's share.
    expect(Math.max(...counts)).toBeLessThan(60);
  });

  it('reaches both ends of the range and never past them', () => {
    const draws = [0, 0.999_999_999_999, 1 - Number.EPSILON / 2];
    let i = 0;
    const sampler = new ZipfSampler(3, 1, () => draws[i++ % draws.length] ?? 0);
    expect([sampler.next(), sampler.next(), sampler.next()]).toEqual([0, 2, 2]);
  });

  it('draws pairs of two different accounts, even when one account takes most draws', () => {
    const sampler = new ZipfSampler(ACCOUNTS, 3);
    for (let i = 0; i < 10_000; i++) {
      const [from, to] = sampler.pair();
      expect(from).not.toBe(to);
    }
  });

  it('refuses a size under 2 and a negative or non-finite alpha', () => {
    expect(() => new ZipfSampler(1, 1)).toThrow(RangeError);
    expect(() => new ZipfSampler(10, -1)).toThrow(RangeError);
    expect(() => new ZipfSampler(10, Number.NaN)).toThrow(RangeError);
  });
});
