/** One target of issue 15's transfer benchmark, measured. */
export interface TargetResult {
  /** Stable name, the key of the JSON report's `ratios`: `weft-full/bare@0`, `p99Ms weft-full@1.5`, ... */
  readonly key: string;
  readonly label: string;
  readonly value: number;
  readonly unit: 'x' | 'ms';
  /** The target as text: `>= 1.5` or `< 50`. */
  readonly target: string;
  readonly met: boolean;
}

/** What the targets read of a run. */
export interface RunFigures {
  readonly peer: string;
  readonly alpha: number;
  readonly tps: number;
  readonly p99Ms: number;
}

/** Throughput ratios the issue sets, as [peer, baseline, at least]: each is checked at every alpha measured. */
const THROUGHPUT_RATIOS: ReadonlyArray<readonly [string, string, number]> = [
  ['weft-minimal', 'bare', 1.5],
  ['weft-full', 'drizzle', 1],
  ['weft-full', 'bare', 0.7],
  ['weft-full-postgres', 'bare-postgres', 0.6],
];
/** At alpha 1.5 Weft full keeps at least this share of its alpha 0 rate. */
const CONTENTION_KEEPS = 0.9;
/** Every Weft peer's p99, in ms, stays under this. */
const P99_UNDER_MS = 50;

/**
 * The targets over the runs measured: weft-minimal >= 1.5x bare, weft-full >= 1x drizzle and >= 0.7x bare,
 * weft-full-postgres >= 0.6x bare-postgres (each at every alpha), weft-full at alpha 1.5 >= 0.9x its alpha 0 rate,
 * and p99 under 50 ms for every Weft peer at every alpha. A target whose runs are not all there is left out.
 */
export function transferTargets(runs: readonly RunFigures[], alphas: readonly number[]): TargetResult[] {
  const find = (peer: string, alpha: number) => runs.find((run) => run.peer === peer && run.alpha === alpha);
  const results: TargetResult[] = [];
  for (const alpha of alphas) {
    for (const [peer, baseline, atLeast] of THROUGHPUT_RATIOS) {
      const measured = find(peer, alpha);
      const base = find(baseline, alpha);
      if (measured === undefined || base === undefined) continue;
      const value = measured.tps / base.tps;
      results.push({
        key: `${peer}/${baseline}@${alpha}`,
        label: `${peer} / ${baseline}, transfers/s, alpha ${alpha}`,
        value,
        unit: 'x',
        target: `>= ${atLeast}`,
        met: value >= atLeast,
      });
    }
  }
  for (const peer of ['weft-full']) {
    const calm = find(peer, 0);
    const contended = find(peer, 1.5);
    if (calm === undefined || contended === undefined) continue;
    const value = contended.tps / calm.tps;
    results.push({
      key: `${peer}@1.5/${peer}@0`,
      label: `${peer} alpha 1.5 / alpha 0, transfers/s`,
      value,
      unit: 'x',
      target: `>= ${CONTENTION_KEEPS}`,
      met: value >= CONTENTION_KEEPS,
    });
  }
  for (const run of runs) {
    if (!run.peer.startsWith('weft')) continue;
    results.push({
      key: `p99Ms ${run.peer}@${run.alpha}`,
      label: `${run.peer} p99, alpha ${run.alpha}`,
      value: run.p99Ms,
      unit: 'ms',
      target: `< ${P99_UNDER_MS}`,
      met: run.p99Ms < P99_UNDER_MS,
    });
  }
  return results;
}
