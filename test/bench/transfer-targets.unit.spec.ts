import { describe, expect, it } from 'vitest';
import { transferTargets, type RunFigures } from '../../bench/transfer-targets.js';

const run = (peer: string, alpha: number, tps: number, p99Ms = 10): RunFigures => ({ peer, alpha, tps, p99Ms });

describe('the transfer benchmark targets', () => {
  it('computes each throughput ratio at each alpha, and says which are met', () => {
    const targets = transferTargets(
      [run('bare', 0, 1000), run('drizzle', 0, 800), run('weft-minimal', 0, 1600), run('weft-full', 0, 690)],
      [0],
    );
    expect(targets.map((t) => [t.key, t.value, t.met])).toEqual([
      ['weft-minimal/bare@0', 1.6, true],
      ['weft-full/drizzle@0', 690 / 800, false],
      ['weft-full/bare@0', 0.69, false],
      ['p99Ms weft-minimal@0', 10, true],
      ['p99Ms weft-full@0', 10, true],
    ]);
  });

  it('holds weft-full at alpha 1.5 to 90% of its alpha 0 rate, and every Weft p99 under 50 ms', () => {
    const targets = transferTargets([run('weft-full', 0, 1000, 49.9), run('weft-full', 1.5, 899, 50)], [0, 1.5]);
    expect(targets.map((t) => [t.key, t.value, t.target, t.met])).toEqual([
      ['weft-full@1.5/weft-full@0', 0.899, '>= 0.9', false],
      ['p99Ms weft-full@0', 49.9, '< 50', true],
      ['p99Ms weft-full@1.5', 50, '< 50', false],
    ]);
  });

  it('leaves out a target whose runs were not measured', () => {
    expect(transferTargets([run('bare-postgres', 0, 500), run('bare', 0, 900)], [0])).toEqual([]);
  });
});
