import type { LoggedEvent } from './envelope.js';

/** What a transport needs to know of a durable subscription: which events, and where a new one starts. */
export interface TransportSubscription {
  /** The subscription's stable name: its consumer id (the memory transport's cursor, a broker's durable consumer). */
  readonly name: string;
  /** The types it takes: an exact type, `system.*` or `*`. */
  readonly pattern: string;
  /** For a name seen for the first time: from the next event committed (`now`) or the whole log. */
  readonly startFrom: 'now' | 'beginning';
}

/**
 * One durable subscription's view of the committed events, as the delivery engine drives it:
 * fetch, handle in a transaction that also calls `record`, commit, then `ack`. Inbox, retries,
 * dead letters and re-drive are the engine's; a stream only hands events over and takes back
 * acknowledgements.
 */
export interface TransportStream {
  /** Resolves once the stream knows where it stands (its cursor, its broker-side consumer); rejects when it cannot. */
  readonly ready: Promise<void>;
  /**
   * Sets what to call when events may be waiting: after a commit in this process, on a poll, on a
   * broker's push. A hint, never a promise that events are there; the engine fetches to see.
   */
  onAvailable(wake: () => void): void;
  /**
   * Up to `max` events after the last acknowledged one, in log order, of the subscription's types.
   * Never waits for events to come: resolves `[]` when none are waiting. Events handed before
   * and not acknowledged are handed again, first.
   */
  fetch(max: number): Promise<LoggedEvent[]>;
  /**
   * Called inside the transaction that handled `events` (with the handlers' writes and the inbox
   * rows): a transport that keeps its position in the database moves it here, so it commits with
   * those effects or not at all. A broker transport has nothing to write.
   */
  record(events: readonly LoggedEvent[]): Promise<void>;
  /**
   * Called once the transaction that handled (or dead-lettered) `events` committed: they are done
   * and never handed again, to this process or another. `events` are the oldest unacknowledged
   * ones, in the order fetched. Resolves once the acknowledgement is kept (a broker confirmed it).
   */
  ack(events: readonly LoggedEvent[]): Promise<void>;
  /**
   * Throws when this stream knows it may no longer deliver (another process took the subscription
   * over). A delivery path that commits events without `record` (lanes) asks before each event;
   * `record` is the strict check, refusing in the transaction itself.
   */
  fence(): void;
  /**
   * A replay in this process rewound the subscription's cursor row (only on a `rewindable` transport), at lease
   * `epoch`: forget a claim older than that, and what was fetched under it, so the next fetch claims it afresh and
   * reads from where the row (or the transport's own position) now says.
   */
  rewound?(epoch: number): void;
  /** Stops waking; what was not acknowledged comes again to the next stream of this name. */
  close(): Promise<void>;
}

/**
 * How committed durable events reach the durable subscriptions of every process. The bus appends
 * each event to the event log (the outbox) in the publishing transaction and calls `committed()`
 * once it commits; the delivery engine of each subscription reads a stream of it. The memory
 * transport reads the log itself; a broker transport (NATS JetStream) relays the log to the broker
 * and consumes from it.
 */
export interface Transport {
  /**
   * Whether a rebuild can replay a subscription from the start of the log: its cursor row is rewound in a transaction
   * that fences the delivery in flight (every delivery transaction confirms the row's lease), and `rewind` moves a
   * position the transport keeps elsewhere back with it.
   */
  readonly rewindable: boolean;
  /**
   * Called inside a rebuild's transaction, once the subscription's cursor row is rewound (its lease fenced), before
   * anything else is cleared: a transport that keeps positions of its own (a broker's consumer) takes it back to the
   * start of the log here, or refuses (and the rebuild rolls back, changing nothing). None: the row is the position.
   */
  rewind?(subscription: string): Promise<void>;
  /**
   * This process committed events to the log: look now (or cue the relay). With `types`, the events were of these
   * types only, and a stream whose pattern matches none of them need not look.
   */
  committed(types?: ReadonlySet<string>): void;
  /** Opens the stream of one durable subscription. */
  subscribe(subscription: TransportSubscription): TransportStream;
  /** Stops looking for events; the bus closes the streams first. */
  close(): Promise<void>;
}
