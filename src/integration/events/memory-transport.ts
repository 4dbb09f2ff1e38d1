import type { Database } from '../database/internal.js';
import { UsageError } from '../errors/internal.js';
import type { LoggedEvent } from './envelope.js';
import { EventLogQueries } from './event-log-queries.js';
import { EventLog } from './event-log.js';
import type { EventTables } from './event-tables.js';
import type { Transport, TransportStream, TransportSubscription } from './transport.js';

/** Options of a MemoryTransport. */
export interface MemoryTransportOptions {
  readonly db: Pick<Database<unknown>, 'withTables'>;
  /** How often streams look for events committed by other processes sharing the database. Default 1000 ms. */
  readonly pollIntervalMs?: number;
}

/** Commit notices gathered before a stream wakes its engine without waiting for the event loop's turn. */
const COALESCE = 32;

/**
 * The default transport: the event log in the database is the queue. Each subscription's stream
 * reads it after its cursor (a row in `weft_event_cursors`, moved inside the delivery's
 * transaction); a commit in this process wakes the streams on the next turn of the event loop, and
 * a poll picks up what other processes sharing the database committed.
 */
export class MemoryTransport implements Transport {
  readonly #db: Database<EventTables>;
  readonly #log: EventLog;
  readonly #queries: EventLogQueries;
  readonly #streams = new Set<MemoryStream>();
  readonly #poller: NodeJS.Timeout;

  constructor(options: MemoryTransportOptions) {
    this.#db = options.db.withTables<EventTables>();
    this.#log = new EventLog(options.db);
    this.#queries = new EventLogQueries(() => this.#db.executor());
    this.#poller = setInterval(() => this.committed(), options.pollIntervalMs ?? 1000);
    this.#poller.unref();
  }

  committed(): void {
    for (const stream of this.#streams) stream.notice();
  }

  subscribe(subscription: TransportSubscription): TransportStream {
    const stream = new MemoryStream(this.#db, this.#log, this.#queries, subscription, () =>
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

/** One subscription's stream over the log: its cursor row is its acknowledged position. */
class MemoryStream implements TransportStream {
  readonly ready: Promise<void>;
  readonly #db: Database<EventTables>;
  readonly #log: EventLog;
  readonly #queries: EventLogQueries;
  readonly #subscription: TransportSubscription;
  readonly #closed: () => void;
  /** The last acknowledged sequence number: fetch reads after it. */
  #position = 0;
  #wake: (() => void) | undefined;
  #notices = 0;
  #scheduled: NodeJS.Immediate | undefined;
  #open = true;

  constructor(
    db: Database<EventTables>,
    log: EventLog,
    queries: EventLogQueries,
    subscription: TransportSubscription,
    closed: () => void,
  ) {
    this.#db = db;
    this.#log = log;
    this.#queries = queries;
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
   * publisher that never yields must not hold delivery back).
   */
  notice(): void {
    if (!this.#open || this.#wake === undefined) return;
    if (++this.#notices >= COALESCE) this.#fire();
    else this.#scheduled ??= setImmediate(this.#fire);
  }

  readonly #fire = (): void => {
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    this.#notices = 0;
    if (this.#open) this.#wake?.();
  };

  async fetch(max: number): Promise<LoggedEvent[]> {
    await this.ready;
    return this.#log.readAfter(this.#position, this.#subscription.pattern, max);
  }

  async record(events: readonly LoggedEvent[]): Promise<void> {
    const last = events.at(-1);
    if (last === undefined) return;
    if (!this.#db.inTransaction()) {
      throw new UsageError(
        `record() for subscription "${this.#subscription.name}" must run inside the transaction that handled the events.`,
      );
    }
    await this.#db
      .executor()
      .executeQuery(this.#queries.moveCursor(this.#subscription.name, last.seq, new Date().toISOString()));
  }

  ack(events: readonly LoggedEvent[]): Promise<void> {
    const last = events.at(-1);
    if (last !== undefined && last.seq > this.#position) this.#position = last.seq;
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#open = false;
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    this.#closed();
    return Promise.resolve();
  }

  /** Reads the cursor, or makes it: at the end of the log (`now`) or before its start (`beginning`). */
  async #init(): Promise<void> {
    const name = this.#subscription.name;
    await this.#db.transaction(async (tx) => {
      const row = await tx
        .selectFrom('weft_event_cursors')
        .select('seq')
        .where('subscription', '=', name)
        .executeTakeFirst();
      if (row !== undefined) {
        this.#position = Number(row.seq);
        return;
      }
      this.#position = this.#subscription.startFrom === 'now' ? await this.#log.lastSeq() : 0;
      await tx
        .insertInto('weft_event_cursors')
        .values({ subscription: name, seq: this.#position, updated_at: new Date().toISOString() })
        .execute();
    });
  }
}
