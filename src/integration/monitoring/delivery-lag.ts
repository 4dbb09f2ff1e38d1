/**
 * How long a subscription's last lag is still reported once its handlers have nothing in hand: the gap between two
 * groups of a backlog (the fetch of the next group and its inbox claim, milliseconds on a healthy database) must not
 * read as caught up, and a subscription that did catch up must not show an old lag for long.
 */
export const DELIVERY_LAG_HOLD_MS = 1000;

/** Options of a DeliveryLag; tests pass a clock. */
export interface DeliveryLagOptions {
  /** Default DELIVERY_LAG_HOLD_MS. */
  readonly holdMs?: number;
  /** Epoch milliseconds now. Default `Date.now()`. */
  readonly now?: () => number;
}

/**
 * One durable subscription's `weft_event_delivery_lag_ms`, read at each scrape: the age (since it was published) of
 * the oldest event its handlers started on and have not finished with yet (committed, dead-lettered, or given back
 * when a round fails); 0 once nothing is in hand, after a hold of `holdMs` during which the last lag stays. So a lag
 * is never kept once the subscription caught up, and an event stuck in a slow or retried handler shows a lag that
 * grows while it waits.
 *
 * Every delivery engine of the subscription's name on one registry (a restart, two buses sharing a monitoring
 * manager) reports to the same one: an event a stopped engine left in hand is finished by the next one that
 * delivers it.
 * The delivery recorder is the only caller; it passes itself as the owner of what it starts.
 */
export class DeliveryLag {
  readonly #holdMs: number;
  readonly #now: () => number;
  /** Event id -> when it was published and who started on it: a few entries (one per group or lane in hand). */
  readonly #inHand = new Map<string, { readonly since: number; readonly owner: object }>();
  /** The lag when the last event in hand was finished, reported until `#heldUntil`. */
  #held = 0;
  #heldUntil = Number.NEGATIVE_INFINITY;

  constructor(options: DeliveryLagOptions = {}) {
    this.#holdMs = options.holdMs ?? DELIVERY_LAG_HOLD_MS;
    this.#now = options.now ?? (() => Date.now());
  }

  /** Handlers start on the event `id`, published at `publishedAt` (epoch ms); a second start of it keeps the first. */
  started(id: string, publishedAt: number, owner: object): void {
    if (this.#inHand.has(id)) return;
    this.#inHand.set(id, { since: Number.isFinite(publishedAt) ? publishedAt : this.#now(), owner });
  }

  /** The event is done with (committed or dead-lettered), by whichever engine; an event not in hand is ignored. */
  finished(id: string): void {
    // The hot path: called for every event delivered, most of them never in hand (only the oldest of a group is).
    if (this.#inHand.size === 0) return;
    const entry = this.#inHand.get(id);
    if (entry === undefined) return;
    this.#inHand.delete(id);
    if (this.#inHand.size === 0) this.#hold(entry.since);
  }

  /**
   * What `owner` had in hand goes back (its round failed: the events come again, or another process took the
   * subscription over and delivers them).
   */
  released(owner: object): void {
    let oldest = Number.POSITIVE_INFINITY;
    for (const [id, entry] of this.#inHand) {
      if (entry.owner !== owner) continue;
      this.#inHand.delete(id);
      oldest = Math.min(oldest, entry.since);
    }
    if (this.#inHand.size === 0 && oldest !== Number.POSITIVE_INFINITY) this.#hold(oldest);
  }

  /** The lag now, in ms. */
  ageMs(): number {
    const now = this.#now();
    if (this.#inHand.size === 0) return now < this.#heldUntil ? this.#held : 0;
    let oldest = Number.POSITIVE_INFINITY;
    for (const { since } of this.#inHand.values()) oldest = Math.min(oldest, since);
    return Math.max(0, now - oldest);
  }

  #hold(since: number): void {
    const now = this.#now();
    this.#held = Math.max(0, now - since);
    this.#heldUntil = now + this.#holdMs;
  }
}
