/** What one measured round of the distributed benchmark came to. */
export interface Run {
  /** Events handled (each once). */
  readonly events: number;
  /** From the round's start to the last handler call. */
  readonly seconds: number;
  /** Lag from commit (raw: publish) to handler call (raw: consume), in ms. */
  readonly p50: number;
  readonly p99: number;
}

/** The value at fraction `q` of sorted `values` (nearest rank). */
export function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}
