import type { Logger } from 'pino';
import { MAX_TIMER_MS, type Database } from '../database/internal.js';
import { ConfigError, UsageError } from '../errors/internal.js';
import { matchesEventPattern } from '../validation/internal.js';
import type { LoggedEvent } from './envelope.js';
import { EventLogQueries } from './event-log-queries.js';
import { EventLog } from './event-log.js';
import { LogHorizon } from './log-horizon.js';
import type { EventTables } from './event-tables.js';
import { SubscriptionLease, SubscriptionLeaseLostError } from './subscription-lease.js';
import type { Transport, TransportStream, TransportSubscription } from './transport.js';

/** Options of a MemoryTransport. */
export interface MemoryTransportOptions {
  readonly db: Pick<Database<unknown>, 'withTables'>;
  /** How often streams look for events committed by other processes sharing the database. Default 1000 ms. */
  readonly pollIntervalMs?: number;
  /**
   * How long a process's claim on a durable subscription lasts without renewal: when a process
   * dies, another takes its subscriptions over within about this long. Default 5000 ms.
   */
  readonly leaseMs?: number;
  /** Where lease changes (a takeover, a lost lease) are logged. */
  readonly logger?: Pick<Logger, 'info' | 'warn'>;
}

const DEFAULT_LEASE_MS = 5000;

/** Commit notices gathered before a stream wakes its engine without waiting for the event loop's turn. */
const COALESCE = 32;
/**
 * On a database with one writer (SQLite), how long a wake-up waits at most for the transactions queued for the writer.
 * A delivery is a write transaction of its own: woken on the turn after each commit, it ran between every two commits
 * of a publisher and took one event each time (`npm run bench -- durable-e2e`: 100 events in their own transactions,
 * 100 deliveries, 0.33-0.39x raw inserts against the 0.6x target); waiting while the writer has work queued lets the
 * deliveries take the events of several commits at once. 5 ms: 0.61-0.64x in five runs, against 0.57-0.62x at 2 ms
 * in the same runs, with transfers under load unchanged (docs/benchmarks.md).
 */
const BUSY_WRITER_WAIT_MS = 5;

/**
 * The default transport: the event log in the database is the queue. Each subscription's stream
 * reads it after its cursor (a row in `weft_event_cursors`, moved inside the delivery's
 * transaction); a commit in this process wakes the streams on the next turn of the event loop, and
 * a poll picks up what other processes sharing the database committed. Of the processes sharing
 * the database, one at a time delivers each subscription: the holder of its cursor row's lease
 * (SubscriptionLease); the others' streams hand nothing until it runs out.
 */
export class MemoryTransport implements Transport {
  /** Positions are cursor rows, moved in the delivery transaction. */
  readonly rewindable = true;
  readonly #db: Database<EventTables>;
  readonly #log: EventLog;
  readonly #horizons: LogHorizon;
  readonly #queries: EventLogQueries;
  readonly #streams = new Set<MemoryStream>();
  readonly #poller: NodeJS.Timeout;
  readonly #leaseMs: number;
  readonly #logger: Pick<Logger, 'info' | 'warn'> | undefined;

  constructor(options: MemoryTransportOptions) {
    // Checked as the environment's settings are: NaN or a negative would make a lease that never holds or a poll
    // that spins.
    for (const [option, value, least] of [
      ['leaseMs', options.leaseMs, 100],
      ['pollIntervalMs', options.pollIntervalMs, 1],
    ] as const) {
      if (value !== undefined && (!Number.isSafeInteger(value) || value < least || value > MAX_TIMER_MS))
        throw new ConfigError(`${option} must be an integer from ${least} to ${MAX_TIMER_MS}; received ${value}.`);
    }
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.#logger = options.logger;
    this.#db = options.db.withTables<EventTables>();
    this.#log = new EventLog(options.db);
    this.#horizons = new LogHorizon(this.#log);
    this.#queries = new EventLogQueries(() => this.#db.executor());
    this.#poller = setInterval(() => this.committed(), options.pollIntervalMs ?? 1000);
    this.#poller.unref();
  }

  committed(types?: ReadonlySet<string>): void {
    for (const stream of this.#streams) stream.notice(types);
  }

  subscribe(subscription: TransportSubscription): TransportStream {
    const lease = new SubscriptionLease({
      db: this.#db,
      queries: this.#queries,
      subscription: subscription.name,
      leaseMs: this.#leaseMs,
      logger: this.#logger,
    });
    const stream = new MemoryStream(this.#db, this.#log, this.#horizons, lease, subscription, () =>
      this.#streams.delete(stream),
    );
    this.#streams.add(stream);
    return stream;
  }

  close(): Promise<void> {
    clearInterval(this.#poller);
    return Promise.resolve();
  }
}

/** One subscription's stream over the log: its cursor row is its acknowledged position and its lease. */
class MemoryStream implements TransportStream {
  readonly ready: Promise<void>;
  readonly #db: Database<EventTables>;
  readonly #log: EventLog;
  readonly #lease: SubscriptionLease;
  readonly #subscription: TransportSubscription;
  readonly #closed: () => void;
  /** The last acknowledged sequence number: fetch reads after it. */
  #position = 0;
  /**
   * The log was read up to here and held nothing of this subscription past `#position` (on SQLite, where events commit
   * in sequence order, up to the last event; on PostgreSQL up to a horizon). Without it a subscription whose events are
   * rare reads the whole tail of the log since its last event on every wake (npm run bench -- transfer: most of the SQL
   * time).
   */
  #scanned = 0;
  /** On PostgreSQL: the highest horizon read so far; nothing more will appear at or below it. */
  #horizon = 0;
  readonly #horizons: LogHorizon;
  #wake: (() => void) | undefined;
  #notices = 0;
  #scheduled: NodeJS.Immediate | undefined;
  /** When the pending wake-up first found the writer busy (a `performance.now()` reading), else undefined. */
  #heldSince: number | undefined;
  #open = true;

  constructor(
    db: Database<EventTables>,
    log: EventLog,
    horizons: LogHorizon,
    lease: SubscriptionLease,
    subscription: TransportSubscription,
    closed: () => void,
  ) {
    this.#db = db;
    this.#log = log;
    this.#horizons = horizons;
    this.#lease = lease;
    this.#subscription = subscription;
    this.#closed = closed;
    this.ready = this.#init();
  }

  onAvailable(wake: () => void): void {
    this.#wake = wake;
  }

  /**
   * Events were committed: wake on the next turn of the event loop, so the commits of one turn
   * share a delivery transaction; after COALESCE notices with no turn in between, wake at once (a
   * publisher that never yields must not hold delivery back). Commits of `types` none of which this
   * subscription takes wake nothing: each wake of a subscription reads the log twice, and a game's
   * commit concerns a few of its subscriptions (npm run bench -- craft). With one writer, a wake-up
   * that finds transactions queued for it waits a turn at a time, up to BUSY_WRITER_WAIT_MS.
   */
  notice(types?: ReadonlySet<string>): void {
    if (!this.#open || this.#wake === undefined) return;
    if (types !== undefined && !this.#takesAny(types)) return;
    if (++this.#notices >= COALESCE) this.#fire();
    else this.#scheduled ??= setImmediate(this.#onTurn);
  }

  readonly #onTurn = (): void => {
    this.#scheduled = undefined;
    if (this.#writerBusy()) {
      const now = performance.now();
      this.#heldSince ??= now;
      if (now - this.#heldSince < BUSY_WRITER_WAIT_MS) {
        this.#scheduled = setImmediate(this.#onTurn);
        return;
      }
    }
    this.#fire();
  };

  #writerBusy(): boolean {
    return !this.#db.capabilities.concurrentWriters && this.#db.poolStats().transactionsWaiting > 0;
  }

  #takesAny(types: ReadonlySet<string>): boolean {
    for (const type of types) if (matchesEventPattern(this.#subscription.pattern, type)) return true;
    return false;
  }

  readonly #fire = (): void => {
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    this.#heldSince = undefined;
    this.#notices = 0;
    if (this.#open) this.#wake?.();
  };

  /** Hands nothing while another process holds the subscription; claims it once that one's lease ran out. */
  async fetch(max: number): Promise<LoggedEvent[]> {
    await this.ready;
    if (!this.#lease.held) {
      const position = await this.#lease.claim();
      if (position === undefined) return [];
      // Read fresh with the claim: the former holder may have moved it since this stream last looked.
      this.#position = position;
      this.#scanned = 0;
    }
    if (this.#db.capabilities.concurrentWriters) return this.#fetchBelowHorizon(max);
    // Read before the events, not as their bound: one committed meanwhile is still read (its wake-up may have come
    // while this fetch ran), and none that matches is at or below `end` when nothing comes back.
    const end = await this.#log.lastSeq();
    const events = await this.#log.readAfter(Math.max(this.#position, this.#scanned), this.#subscription.pattern, max);
    if (events.length === 0) this.#scanned = end;
    return events;
  }

  /**
   * PostgreSQL commits out of sequence order (a lower seq may commit after a higher one): reads stop at the log's
   * horizon, below which nothing more will appear, so skipping ahead there is safe too. A horizon read is taken only
   * once what lies below the last one is read.
   */
  async #fetchBelowHorizon(max: number): Promise<LoggedEvent[]> {
    const pattern = this.#subscription.pattern;
    let from = Math.max(this.#position, this.#scanned);
    if (from < this.#horizon) {
      const below = await this.#log.readAfter(from, pattern, max, this.#horizon);
      if (below.length > 0) return below;
      from = this.#scanned = this.#horizon;
    }
    const horizon = await this.#horizons.read();
    if (horizon > this.#horizon) this.#horizon = horizon;
    const events = await this.#log.readAfter(from, pattern, max, this.#horizon);
    if (events.length === 0) this.#scanned = Math.max(this.#scanned, this.#horizon);
    return events;
  }

  rewound(epoch: number): void {
    this.#lease.forget('a replay in this process rewound its cursor', epoch);
  }

  fence(): void {
    if (!this.#lease.held) throw new SubscriptionLeaseLostError(this.#subscription.name);
  }

  async record(events: readonly LoggedEvent[]): Promise<void> {
    const last = events.at(-1);
    if (last === undefined) return;
    if (!this.#db.inTransaction()) {
      throw new UsageError(
        `record() for subscription "${this.#subscription.name}" must run inside the transaction that handled the events.`,
      );
    }
    await this.#lease.moveCursor(last.seq);
  }

  ack(events: readonly LoggedEvent[]): Promise<void> {
    const last = events.at(-1);
    if (last !== undefined && last.seq > this.#position) this.#position = last.seq;
    return Promise.resolve();
  }

  /** Stops waking and gives the lease up, so another process takes the subscription over at once. */
  async close(): Promise<void> {
    this.#open = false;
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    this.#closed();
    await this.#lease.release();
  }

  /**
   * Makes the cursor row when the name is new: at the end of the log (`now`) or before its start
   * (`beginning`); two processes making it at once make one. Where to read from comes with the claim.
   */
  async #init(): Promise<void> {
    const name = this.#subscription.name;
    await this.#db.transaction(async (tx) => {
      const row = await tx
        .selectFrom('weft_event_cursors')
        .select('seq')
        .where('subscription', '=', name)
        .executeTakeFirst();
      if (row !== undefined) return;
      const seq = this.#subscription.startFrom === 'now' ? await this.#log.lastSeq() : 0;
      await tx
        .insertInto('weft_event_cursors')
        .values({ subscription: name, seq, updated_at: new Date().toISOString() })
        .onConflict((oc) => oc.column('subscription').doNothing())
        .execute();
    });
  }
}
