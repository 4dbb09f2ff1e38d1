import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '../database/internal.js';
import { ConflictError } from '../errors/internal.js';
import { RepeatedFailure } from '../monitoring/internal.js';
import type { EventLogQueries } from './event-log-queries.js';
import type { EventTables } from './event-tables.js';

/**
 * A delivery transaction tried to move the cursor of a subscription this process no longer holds
 * (its lease ran out and another process took the subscription over). The transaction rolls back
 * whole, handler effects included: the new holder delivers those events. HTTP 409.
 */
export class SubscriptionLeaseLostError extends ConflictError {
  constructor(subscription: string) {
    super(
      `Subscription "${subscription}" is no longer this process's to deliver (its lease ran out, or a replay ` +
        'rewound it); this delivery rolled back and whoever claims it next delivers its events.',
      { details: { subscription } },
    );
  }
}

/** The holder a replay on a broker transport leaves in the cursor row: nobody's, claimable once its lease runs out. */
const REWOUND = '(rewound)';

/** Options of a SubscriptionLease. */
export interface SubscriptionLeaseOptions {
  readonly db: Database<EventTables>;
  readonly queries: EventLogQueries;
  readonly subscription: string;
  /** How long a claim or renewal holds without another renewal. */
  readonly leaseMs: number;
  readonly logger: Pick<Logger, 'info' | 'warn'> | undefined;
}

/**
 * One process's claim on one durable subscription, kept in the subscription's cursor row
 * (`holder`, `epoch`, `lease_until` in `weft_event_cursors`): a process delivers a subscription
 * only while it holds the row's lease, so processes sharing a database never run one
 * subscription's handlers at once. The holder renews every third of `leaseMs`; when it dies, another
 * process claims the row once `lease_until` has passed and reads the cursor fresh. Each claim
 * bumps `epoch`, and the cursor moves only where holder and epoch still match (`moveCursor`), so a
 * process that lost its lease (paused, cut off) cannot write after the new holder started: its
 * delivery transaction rolls back with SubscriptionLeaseLostError.
 *
 * Expiry uses the processes' clocks (milliseconds since the epoch); clocks a second apart only
 * move the moment of a takeover, never what commits, which the epoch guards.
 */
export class SubscriptionLease {
  /** Unique per stream, so two streams of one name in one process (a restart in a test) are two holders. */
  readonly holder = randomUUID();
  readonly #options: SubscriptionLeaseOptions;
  /** Renewals failing on the database (it went away): one line per interval, not three a lease. */
  readonly #renewFailures = new RepeatedFailure();
  /** The epoch of the current claim, while this process believes it holds the lease. */
  #epoch: number | undefined;
  /** Until when (this process's clock) the last claim or renewal holds. */
  #heldUntil = 0;
  /** The epoch of its latest claim, kept after the lease ran out: the next claim tells whether anyone came between. */
  #lastEpoch: number | undefined;
  #continued = false;
  #nextClaim = 0;
  #renewer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> | undefined;

  constructor(options: SubscriptionLeaseOptions) {
    this.#options = options;
  }

  /** True while the last claim or renewal holds: a lanes delivery checks it before each event. */
  get held(): boolean {
    return this.#epoch !== undefined && Date.now() < this.#heldUntil;
  }

  /**
   * True while the lease holds for a third of its length more, as it does between two timely renewals: a holder takes
   * new events only then, so none it takes can outlive its lease before it handles them.
   */
  get heldWithMargin(): boolean {
    return this.#epoch !== undefined && Date.now() + this.#options.leaseMs / 3 < this.#heldUntil;
  }

  /**
   * True when the latest claim took the subscription back straight after this holder's own earlier claim ran out
   * (its network or database was cut past the lease) with no other process holding it in between: what this holder
   * had in hand is still its own and nobody else's.
   */
  get continued(): boolean {
    return this.#continued;
  }

  /**
   * Claims the subscription when nobody holds it or its holder's lease ran out; resolves the
   * cursor's position read with the claim, or undefined while another process holds it. Tries the
   * database at most every fifth of `leaseMs` (and every second), however often it is asked.
   */
  async claim(): Promise<number | undefined> {
    const now = Date.now();
    if (now < this.#nextClaim) return undefined;
    this.#nextClaim = now + Math.min(this.#options.leaseMs / 5, 1000);
    const { db, subscription, leaseMs } = this.#options;
    const row = await db
      .executor()
      .updateTable('weft_event_cursors')
      .set((eb) => ({ holder: this.holder, epoch: eb('epoch', '+', 1), lease_until: now + leaseMs }))
      .where('subscription', '=', subscription)
      .where((eb) => eb.or([eb('holder', 'is', null), eb('lease_until', '<', now)]))
      .returning(['seq', 'epoch'])
      .executeTakeFirst();
    if (row === undefined) return undefined;
    this.#epoch = Number(row.epoch);
    // Each claim adds one to the epoch: one more than this holder's last means nobody claimed it in between.
    this.#continued = this.#lastEpoch !== undefined && this.#epoch === this.#lastEpoch + 1;
    this.#lastEpoch = this.#epoch;
    this.#heldUntil = now + leaseMs;
    this.#renewer ??= setInterval(() => void this.#renew(), leaseMs / 3);
    this.#renewer.unref();
    this.#options.logger?.info({ subscription, epoch: this.#epoch }, 'took the subscription: this process delivers it');
    return Number(row.seq);
  }

  /**
   * Moves the cursor to `seq` inside the delivery transaction and extends the lease, or throws
   * SubscriptionLeaseLostError when this process no longer holds it (which rolls the delivery back).
   */
  async moveCursor(seq: number): Promise<void> {
    const { db, queries, subscription, leaseMs } = this.#options;
    const epoch = this.#epoch;
    if (epoch === undefined) throw new SubscriptionLeaseLostError(subscription);
    const now = Date.now();
    const result = await db.executor().executeQuery(
      queries.moveCursor({
        subscription,
        seq,
        updatedAt: new Date(now).toISOString(),
        leaseUntil: now + leaseMs,
        holder: this.holder,
        epoch,
      }),
    );
    if (Number(result.numAffectedRows ?? 0) !== 1) {
      this.#lost('its cursor row has another holder', epoch);
      throw new SubscriptionLeaseLostError(subscription);
    }
  }

  /**
   * Confirms the lease inside a delivery transaction whose position is kept elsewhere (a broker's consumer): writes
   * the cursor row's lease, which waits for a rewind that moved the row first and fails after it, or throws
   * SubscriptionLeaseLostError (rolling the delivery back). A rewind after it waits for the delivery to commit.
   */
  async confirm(): Promise<void> {
    const { subscription, leaseMs } = this.#options;
    const epoch = this.#epoch;
    if (epoch === undefined) throw new SubscriptionLeaseLostError(subscription);
    if (!(await this.#extend(epoch, Date.now() + leaseMs))) {
      this.#lost('its cursor row has another holder', epoch);
      throw new SubscriptionLeaseLostError(subscription);
    }
  }

  /**
   * Inside a replay's transaction, once the row is rewound: keeps it from being claimed for one lease, under a holder
   * that is nobody's. A holder in another process that has not learnt of the rewind is surely past its lease then.
   */
  async holdOffClaims(): Promise<void> {
    const { db, subscription, leaseMs } = this.#options;
    await db
      .executor()
      .updateTable('weft_event_cursors')
      .set({ holder: REWOUND, lease_until: Date.now() + leaseMs })
      .where('subscription', '=', subscription)
      .execute();
  }

  /** Extends the lease of claim `epoch` to `until`; false when the row no longer holds that claim. */
  async #extend(epoch: number, until: number): Promise<boolean> {
    const { db, subscription } = this.#options;
    const result = await db
      .executor()
      .updateTable('weft_event_cursors')
      .set({ lease_until: until })
      .where('subscription', '=', subscription)
      .where('holder', '=', this.holder)
      .where('epoch', '=', epoch)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Gives the subscription up at once (a clean stop), so another process need not wait for the lease to run out. */
  async release(): Promise<void> {
    clearInterval(this.#renewer);
    this.#renewer = undefined;
    await this.#renewing;
    const epoch = this.#epoch;
    this.#epoch = undefined;
    this.#lastEpoch = undefined;
    if (epoch === undefined) return;
    try {
      await this.#options.db
        .executor()
        .updateTable('weft_event_cursors')
        .set({ holder: null, lease_until: 0 })
        .where('subscription', '=', this.#options.subscription)
        .where('holder', '=', this.holder)
        .where('epoch', '=', epoch)
        .execute();
    } catch (error) {
      // A stop must not fail on it: the lease runs out by itself, and another process takes over then.
      this.#options.logger?.warn(
        { err: error, subscription: this.#options.subscription },
        'could not give the subscription lease up; it runs out by itself',
      );
    }
  }

  /**
   * Drops a claim older than epoch `before` without asking the database (its row was rewound and freed already, at
   * that epoch); the next claim may come at once. A claim made since (after the rewind committed) stays.
   */
  forget(why: string, before: number): void {
    if (this.#epoch === undefined || this.#epoch >= before) return;
    // Given up on purpose, not lost to another process: no warning.
    this.#options.logger?.info({ subscription: this.#options.subscription, why }, 'gave the subscription lease up');
    this.#drop();
  }

  #renew(): Promise<void> {
    this.#renewing ??= this.#renewOnce().finally(() => (this.#renewing = undefined));
    return this.#renewing;
  }

  async #renewOnce(): Promise<void> {
    const { subscription, leaseMs, logger } = this.#options;
    const epoch = this.#epoch;
    if (epoch === undefined) return;
    const now = Date.now();
    try {
      const extended = await this.#extend(epoch, now + leaseMs);
      this.#renewFailures.recovered();
      if (extended && this.#epoch === epoch) this.#heldUntil = now + leaseMs;
      else this.#lost('another process claimed it', epoch);
    } catch (error) {
      // Not known to be lost: the lease runs out by itself if renewals keep failing, and moveCursor guards the writes.
      const leftOut = this.#renewFailures.next();
      if (leftOut !== undefined)
        logger?.warn(
          { err: error, subscription, ...(leftOut > 0 ? { failedRenewalsLeftOut: leftOut } : {}) },
          'renewing the subscription lease failed; retrying',
        );
    }
  }

  /** Forgets the claim of `epoch`, unless a newer claim replaced it while the statement that found it gone ran. */
  #lost(why: string, epoch: number): void {
    if (this.#epoch !== epoch) return;
    this.#options.logger?.warn({ subscription: this.#options.subscription, why }, 'lost the subscription lease');
    this.#drop();
  }

  #drop(): void {
    this.#epoch = undefined;
    // The next fetch may claim at once: a replay that rewound the cursor left it free for whoever asks first.
    this.#nextClaim = 0;
    clearInterval(this.#renewer);
    this.#renewer = undefined;
  }
}
