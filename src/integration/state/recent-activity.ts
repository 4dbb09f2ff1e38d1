/** Counts of recent happenings per system and kind, in one-second buckets over a sliding window (bounded memory). */
export class RecentActivity {
  readonly #windowSeconds: number;
  readonly #buckets = new Map<string, { seconds: number[]; counts: number[] }>();

  constructor(windowMs: number) {
    this.#windowSeconds = Math.ceil(windowMs / 1000);
  }

  record(system: string, kind: string, now = Date.now()): void {
    const id = `${system}\u0000${kind}`;
    let ring = this.#buckets.get(id);
    if (ring === undefined)
      this.#buckets.set(
        id,
        (ring = {
          seconds: new Array<number>(this.#windowSeconds).fill(-1),
          counts: new Array<number>(this.#windowSeconds).fill(0),
        }),
      );
    const second = Math.floor(now / 1000);
    const slot = second % this.#windowSeconds;
    if (ring.seconds[slot] !== second) {
      ring.seconds[slot] = second;
      ring.counts[slot] = 0;
    }
    ring.counts[slot] = (ring.counts[slot] ?? 0) + 1;
  }

  /** How many of `kind` happened to `system` within the window. */
  count(system: string, kind: string, now = Date.now()): number {
    const ring = this.#buckets.get(`${system}\u0000${kind}`);
    if (ring === undefined) return 0;
    const oldest = Math.floor(now / 1000) - this.#windowSeconds + 1;
    let total = 0;
    ring.seconds.forEach((second, slot) => {
      if (second >= oldest) total += ring.counts[slot] ?? 0;
    });
    return total;
  }
}
