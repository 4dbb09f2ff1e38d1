/** One unit of work for a subscription: an event, and what to call when it is handled. */
export interface QueueItem {
  readonly partitionKey: string | undefined;
  readonly run: () => Promise<void>;
}

/**
 * A bounded queue served by up to `concurrency` workers. Items with the same partition key never
 * run at once and start in the order they came; items with different keys run side by side.
 */
export class DeliveryQueue {
  readonly #capacity: number;
  readonly #concurrency: number;
  readonly #items: QueueItem[] = [];
  readonly #activeKeys = new Set<string>();
  #active = 0;
  #idle: Array<() => void> = [];
  readonly #onDepth: ((depth: number) => void) | undefined;

  /** `onDepth` hears the number of waiting items whenever it changes (a gauge). */
  constructor(options: { capacity: number; concurrency: number; onDepth?: (depth: number) => void }) {
    this.#capacity = options.capacity;
    this.#concurrency = options.concurrency;
    this.#onDepth = options.onDepth;
  }

  /** Items waiting, not counting those running. */
  get depth(): number {
    return this.#items.length;
  }

  /** Adds an item; false when the queue is full (the caller decides: drop, or pause). */
  offer(item: QueueItem): boolean {
    if (this.#items.length >= this.#capacity) return false;
    this.#items.push(item);
    this.#pump();
    this.#onDepth?.(this.#items.length);
    return true;
  }

  /** Resolves when nothing is waiting or running. */
  idle(): Promise<void> {
    if (this.#active === 0 && this.#items.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    while (this.#active < this.#concurrency) {
      const index = this.#items.findIndex((item) => item.partitionKey === undefined || !this.#activeKeys.has(item.partitionKey));
      if (index === -1) break;
      const [item] = this.#items.splice(index, 1);
      if (item === undefined) break;
      this.#start(item);
      this.#onDepth?.(this.#items.length);
    }
    if (this.#active === 0 && this.#items.length === 0) {
      const waiting = this.#idle;
      this.#idle = [];
      for (const resolve of waiting) resolve();
    }
  }

  #start(item: QueueItem): void {
    this.#active++;
    if (item.partitionKey !== undefined) this.#activeKeys.add(item.partitionKey);
    // The item reports its own failures; the queue only keeps going.
    void item.run().finally(() => {
      this.#active--;
      if (item.partitionKey !== undefined) this.#activeKeys.delete(item.partitionKey);
      this.#pump();
    });
  }
}
