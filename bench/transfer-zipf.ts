/**
 * Draws account indexes with a Zipf distribution, as SpacetimeDB's keynote-2 benchmark does: the account of rank
 * `k` (1-based) is drawn with a probability proportional to `1 / k^alpha`. Alpha 0 is uniform (no contention);
 * alpha 1.5 puts about 80% of the draws on the dozen hottest accounts. Index `i` is the account of rank `i + 1`.
 */
export class ZipfSampler {
  readonly size: number;
  readonly alpha: number;
  /** Cumulative probability of ranks 1..i+1, the last one exactly 1. */
  readonly #cumulative: Float64Array;
  readonly #random: () => number;

  /** A sampler over `size` accounts; `random` is a uniform source in [0, 1) (default `Math.random`). */
  constructor(size: number, alpha: number, random: () => number = Math.random) {
    if (!Number.isInteger(size) || size < 2)
      throw new RangeError(`A Zipf sampler needs 2 or more accounts, not ${size}.`);
    if (!Number.isFinite(alpha) || alpha < 0) throw new RangeError(`Zipf alpha is a finite number >= 0, not ${alpha}.`);
    this.size = size;
    this.alpha = alpha;
    this.#random = random;
    this.#cumulative = new Float64Array(size);
    let sum = 0;
    for (let rank = 1; rank <= size; rank++) {
      sum += rank ** -alpha;
      this.#cumulative[rank - 1] = sum;
    }
    for (let i = 0; i < size; i++) this.#cumulative[i] = (this.#cumulative[i] ?? 0) / sum;
    // Rounding may leave the last entry a hair under 1; a draw just below 1 must still find an account.
    this.#cumulative[size - 1] = 1;
  }

  /** The probability that one draw lands on one of the `count` hottest accounts. */
  hotShare(count: number): number {
    if (count <= 0) return 0;
    return this.#cumulative[Math.min(count, this.size) - 1] ?? 1;
  }

  /** One account index in [0, size). */
  next(): number {
    const u = this.#random();
    // The first index whose cumulative probability exceeds u (binary search).
    let low = 0;
    let high = this.size - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#cumulative[middle] ?? 1) > u) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  /** Two different account indexes from the distribution (the second drawn again while it equals the first). */
  pair(): [from: number, to: number] {
    const from = this.next();
    let to = this.next();
    while (to === from) to = this.next();
    return [from, to];
  }
}
