/**
 * What became of an offered run: refused (the queue is full), over already (it ran synchronously), or the promise of
 * its end.
 */
export type Offered = 'full' | 'done' | Promise<void>;

interface Waiting {
  readonly partitionKey: string | undefined;
  readonly run: () => unknown;
  readonly finished: () => void;
}

/**
 * A bounded queue served by up to `concurrency` workers. Runs with the same partition key never
 * overlap and start in the order they came; runs with different keys go side by side. A run
 * reports its own failures: it must not throw or reject.
 */
export class DeliveryQueue {
  readonly #capacity: number;
  readonly #concurrency: number;
  readonly #items: Waiting[] = [];
  readonly #activeKeys = new Set<string>();
  #active = 0;
  #pumping = false;
  #idle: Array<() => void> = [];

  constructor(options: { capacity: number; concurrency: number }) {
    this.#capacity = options.capacity;
    this.#concurrency = options.concurrency;
  }

  /** Runs waiting, not counting those running. */
  get depth(): number {
    return this.#items.length;
  }

  /**
   * Takes a worker for a run the caller starts right away, when one is free, nothing waits and the
   * key is idle; the caller must `release` it when the run ends. False: `offer` the run instead.
   */
  tryStart(partitionKey: string | undefined): boolean {
    if (
      this.#items.length !== 0 ||
      this.#active >= this.#concurrency ||
      (partitionKey !== undefined && this.#activeKeys.has(partitionKey))
    )
      return false;
    this.#active++;
    if (partitionKey !== undefined) this.#activeKeys.add(partitionKey);
    return true;
  }

  /** Gives back the worker a `tryStart` took. */
  release(partitionKey: string | undefined): void {
    this.#active--;
    if (partitionKey !== undefined) this.#activeKeys.delete(partitionKey);
    if (this.#items.length > 0 || this.#idle.length > 0) this.#pump();
  }

  /**
   * Starts `run` now when it can, else queues it; 'full' when there is no room (the caller decides: drop, or pause).
   */
  offer(partitionKey: string | undefined, run: () => unknown): Offered {
    if (this.tryStart(partitionKey)) {
      const result = this.#run(partitionKey, run);
      return result === undefined ? 'done' : result;
    }
    if (this.#items.length >= this.#capacity) return 'full';
    return new Promise<void>((finished) => {
      this.#items.push({ partitionKey, run, finished });
    });
  }

  /** Resolves when nothing is waiting or running. */
  idle(): Promise<void> {
    if (this.#active === 0 && this.#items.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Runs with the worker already taken, and gives it back when the run ends. */
  #run(partitionKey: string | undefined, run: () => unknown, finished?: () => void): Promise<void> | undefined {
    const end = () => {
      finished?.();
      this.release(partitionKey);
    };
    const result = run();
    if (result instanceof Promise) return result.then(end, end);
    end();
    return undefined;
  }

  #pump(): void {
    // A synchronous run ends inside #start and pumps again: the loop already running picks up from there (no recursion
    // per item).
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#active < this.#concurrency && this.#items.length > 0) {
        const index = this.#items.findIndex(
          (item) => item.partitionKey === undefined || !this.#activeKeys.has(item.partitionKey),
        );
        if (index === -1) break;
        const [item] = this.#items.splice(index, 1);
        if (item === undefined) break;
        this.#active++;
        if (item.partitionKey !== undefined) this.#activeKeys.add(item.partitionKey);
        void this.#run(item.partitionKey, item.run, item.finished);
      }
    } finally {
      this.#pumping = false;
    }
    if (this.#active === 0 && this.#items.length === 0 && this.#idle.length > 0) {
      const waiting = this.#idle;
      this.#idle = [];
      for (const resolve of waiting) resolve();
    }
  }
}
