/**
 * One computation shared by every caller for `ttlMs` after it settles: callers that arrive while it
 * runs wait for the same promise, later ones get its result until it is older than `ttlMs`. A
 * failure is shared by the callers that waited for it, and never kept: the next call tries again.
 * @example const status = new RecentResult(1000, () => computeStatus()); await status.get()
 */
export class RecentResult<T> {
  readonly #ttlMs: number;
  readonly #compute: () => Promise<T>;
  readonly #now: () => number;
  #running: Promise<T> | undefined;
  #kept: { readonly value: T; readonly at: number } | undefined;

  constructor(ttlMs: number, compute: () => Promise<T>, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#compute = compute;
    this.#now = now;
  }

  /** The kept result when it is fresh, else the running computation, else a new one. */
  get(): Promise<T> {
    const kept = this.#kept;
    if (kept !== undefined && this.#now() - kept.at < this.#ttlMs) return Promise.resolve(kept.value);
    this.#running ??= this.#start();
    return this.#running;
  }

  async #start(): Promise<T> {
    try {
      const value = await this.#compute();
      this.#kept = { value, at: this.#now() };
      return value;
    } finally {
      this.#running = undefined;
    }
  }
}
