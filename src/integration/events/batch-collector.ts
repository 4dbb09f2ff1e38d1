import type { EventEnvelope } from './envelope.js';
import type { BatchOptions } from './types.js';

/** A volatile event waiting for its batch, and the call that tells its publisher it was handled. */
export interface PendingEvent {
  readonly envelope: EventEnvelope;
  readonly done: () => void;
}

/**
 * Gathers volatile events for a batch subscription: hands them on when `maxSize` are there, or `maxWaitMs` after the
 * first.
 */
export class BatchCollector {
  readonly #options: BatchOptions;
  readonly #handOn: (events: PendingEvent[]) => void;
  #pending: PendingEvent[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(options: BatchOptions, handOn: (events: PendingEvent[]) => void) {
    this.#options = options;
    this.#handOn = handOn;
  }

  add(event: PendingEvent): void {
    this.#pending.push(event);
    if (this.#pending.length >= this.#options.maxSize) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.#options.maxWaitMs);
  }

  /** Hands on what is waiting now, however few. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    const events = this.#pending;
    this.#pending = [];
    this.#handOn(events);
  }
}
