/** One run's place in a DeadlineQueue: settle it when the run ends, before or after its deadline. */
export interface Deadline {
  readonly at: number;
  readonly expire: () => void;
  settled: boolean;
}

/** Past this many settled entries at the front, the queue drops them (amortised: each entry is copied once at most). */
const COMPACT_AFTER = 1024;

/**
 * The deadlines of runs that share one timeout length, under one timer. Deadlines of the same length are set in the
 * order they end, so the queue is a list in time order with one timer armed for its front. A timer per run
 * (`setTimeout` and `clearTimeout` around every handler) was about a fifth of a volatile publish to ten async
 * subscribers and put it below emittery's (`npm run bench -- events`, issue 5's target of at least 1x).
 *
 * Runs started out of order (a `startedAt` before an earlier run's) expire at most that much late. The timer keeps the
 * process alive only while a run is pending, as a timer per run did.
 */
export class DeadlineQueue {
  readonly #timeoutMs: number;
  #entries: Deadline[] = [];
  #front = 0;
  #pending = 0;
  #timer: NodeJS.Timeout | undefined;
  #referenced = false;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** Runs not settled yet. */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Starts a run's deadline: `expire` runs once `timeoutMs` has passed since `startedAt` (a `performance.now()`
   * reading, by default now) unless the run is settled first.
   */
  add(expire: () => void, startedAt = performance.now()): Deadline {
    const deadline: Deadline = { at: startedAt + this.#timeoutMs, expire, settled: false };
    this.#entries.push(deadline);
    this.#pending++;
    if (this.#timer === undefined) this.#arm(deadline.at - performance.now());
    else if (!this.#referenced) {
      this.#timer.ref();
      this.#referenced = true;
    }
    return deadline;
  }

  /** The run ended: its deadline no longer expires. Settling twice, or after it expired, does nothing. */
  settle(deadline: Deadline): void {
    if (deadline.settled) return;
    deadline.settled = true;
    if (--this.#pending === 0) {
      this.#entries = [];
      this.#front = 0;
      // Left armed: the next run reuses it (it fires early for that run, finds nothing due and re-arms).
      this.#timer?.unref();
      this.#referenced = false;
    } else if (deadline === this.#entries[this.#front]) this.#dropSettledFront();
  }

  /** Only ever armed for a pending run (by `add`, or by `#fire` for the first one left): referenced. */
  #arm(delayMs: number): void {
    this.#timer = setTimeout(this.#fire, Math.max(1, Math.ceil(delayMs)));
    this.#referenced = true;
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    const due: Deadline[] = [];
    for (;;) {
      const deadline = this.#entries[this.#front];
      if (deadline === undefined || (!deadline.settled && deadline.at > now)) break;
      this.#front++;
      if (deadline.settled) continue;
      deadline.settled = true;
      this.#pending--;
      due.push(deadline);
    }
    this.#dropSettledFront();
    const next = this.#entries[this.#front];
    if (next !== undefined) this.#arm(next.at - now);
    else {
      this.#entries = [];
      this.#front = 0;
    }
    // After the queue is whole again, each on its own: an `expire` that throws is reported as uncaught (as a timer of
    // its own would have been) and the others still run.
    for (const deadline of due) {
      try {
        deadline.expire();
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  };

  #dropSettledFront(): void {
    while (this.#entries[this.#front]?.settled === true) this.#front++;
    if (this.#front > COMPACT_AFTER && this.#front * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#front);
      this.#front = 0;
    }
  }
}
