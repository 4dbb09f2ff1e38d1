/**
 * How often a failure that repeats is logged: the first at once, then at most one line per `intervalMs`, which says
 * how many it left out since the last. A database that goes away makes every subscription fail its rounds and renewals
 * several times a second; one line each per interval keeps the log readable, and nothing goes uncounted.
 */
export class RepeatedFailure {
  readonly #intervalMs: number;
  readonly #now: () => number;
  #loggedAt = Number.NEGATIVE_INFINITY;
  #leftOut = 0;

  constructor(intervalMs = 10_000, now: () => number = Date.now) {
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /** A failure happened: undefined to leave its line out (it is counted), or how many were left out before it. */
  next(): number | undefined {
    const now = this.#now();
    if (now - this.#loggedAt < this.#intervalMs) {
      this.#leftOut++;
      return undefined;
    }
    const leftOut = this.#leftOut;
    this.#loggedAt = now;
    this.#leftOut = 0;
    return leftOut;
  }

  /**
   * It worked again: the next failure is logged at once. Returns how many failed since the last line (to be said on
   * recovery), or undefined when nothing failed since the last recovery.
   */
  recovered(): number | undefined {
    // On every success: nothing to do unless something failed.
    if (this.#loggedAt === Number.NEGATIVE_INFINITY) return undefined;
    const leftOut = this.#leftOut;
    this.#loggedAt = Number.NEGATIVE_INFINITY;
    this.#leftOut = 0;
    return leftOut;
  }
}
