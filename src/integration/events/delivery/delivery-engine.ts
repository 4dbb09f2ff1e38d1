import type { Logger } from 'pino';
import type { Database } from '../../database/internal.js';
import type { WeftMetrics } from '../../monitoring/internal.js';
import { detached } from '../detached.js';
import type { EventEnvelope } from '../envelope.js';
import type { EventLogQueries } from '../event-log-queries.js';
import type { EventTables } from '../event-tables.js';
import type { TransportStream } from '../transport.js';
import type { DeliveryContext } from './delivery-context.js';
import { DeliveryRecorder } from './delivery-recorder.js';
import { deliverGroup } from './deliver-group.js';
import { deliverInLanes } from './deliver-lanes.js';
import type { DurableSubscription } from './durable-subscription.js';
import { Inbox } from './inbox.js';
import { redrive } from './redrive.js';
import { SubscriptionLeaseLostError } from '../subscription-lease.js';

/** Options of a DeliveryEngine. */
export interface DeliveryEngineOptions {
  readonly db: Database<EventTables>;
  readonly subscription: DurableSubscription;
  /** The subscription's stream, from the transport. */
  readonly stream: TransportStream;
  readonly queries: EventLogQueries;
  readonly metrics: WeftMetrics | undefined;
  readonly logger: Pick<Logger, 'level' | 'debug' | 'info' | 'warn' | 'error'>;
}

/** Events fetched from the stream at once. */
const GROUP = 100;

/**
 * Delivers one durable subscription's stream, whatever the transport: wakes when the stream says
 * events may be waiting, fetches them in groups, handles each group (together, or in lanes by
 * partition key with `concurrency > 1`) with the inbox, retries and dead letters, and
 * acknowledges what committed. Stops after the transaction in hand.
 */
export class DeliveryEngine {
  /** Resolves once the stream knows where the subscription stands. */
  readonly ready: Promise<void>;
  readonly #context: DeliveryContext;
  readonly #stop = new AbortController();
  #running: Promise<void> | undefined;
  #again = false;

  constructor(options: DeliveryEngineOptions) {
    const { subscription, stream } = options;
    const recorder = new DeliveryRecorder(subscription.name, options.metrics, options.logger);
    this.#context = {
      db: options.db,
      subscription,
      stream,
      inbox: new Inbox(options.db, options.queries, subscription.name),
      recorder,
      handling: { durability: subscription.durability },
      stopping: this.#stop.signal,
    };
    this.ready = stream.ready;
    stream.onAvailable(this.#wake);
    this.ready.then(this.#wake, (error: unknown) => recorder.startFailed(error));
  }

  get name(): string {
    return this.#context.subscription.name;
  }

  /** Delivers what is waiting; a call while delivering makes it look again when done. Resolves when that is handled. */
  drain(): Promise<void> {
    if (this.#stop.signal.aborted) return Promise.resolve();
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    // Started at once rather than on a later turn of the event loop: a publisher that never yields
    // (a loop of awaited publishes) would otherwise hold back delivery until it is done. Detached from the caller's
    // async context: its handlers act as their system, not as whoever's commit woke them.
    const running = detached(() => this.#drain());
    this.#running = running;
    return running;
  }

  /** Runs a dead-lettered event through the handler again; resolves true when it went through. */
  redrive(deadLetterId: string, envelope: EventEnvelope, attempts: number): Promise<boolean> {
    return redrive(this.#context, deadLetterId, envelope, attempts);
  }

  /** A replay in this process rewound the cursor, at lease `epoch`: the stream forgets where it stood before. */
  rewound(epoch: number): void {
    this.#context.stream.rewound?.(epoch);
  }

  /** Stops after the transaction in hand (a backoff wait is cut short), then closes the stream. */
  async stop(): Promise<void> {
    this.#stop.abort();
    // A failed round was reported to whoever started it (a wake logs it, `drain` rethrows it); stopping only waits for
    // its end.
    await this.#running?.then(
      () => undefined,
      () => undefined,
    );
    await this.#context.stream.close();
  }

  readonly #wake = (): void => {
    // A wake-up that joins a round in flight (every commit under load) leaves its failure to whoever started it: one
    // failed round is reported once, not once per wake-up that joined it.
    const joined = this.#running !== undefined;
    const round = this.drain();
    if (joined) round.catch(() => undefined);
    else round.catch((error: unknown) => this.#context.recorder.roundFailed(error));
  };

  async #drain(): Promise<void> {
    const context = this.#context;
    const lanes = context.subscription.concurrency > 1;
    try {
      await this.ready;
      let lostOnce = false;
      do {
        this.#again = false;
        for (;;) {
          if (context.stopping.aborted) return;
          const events = await context.stream.fetch(GROUP);
          if (events.length === 0) break;
          try {
            if (lanes) await deliverInLanes(context, events);
            else await deliverGroup(context, events);
          } catch (error) {
            // The lease went (a takeover, or a replay that rewound the cursor, maybe from this very process): the
            // group rolled back, and the next fetch claims the subscription again, from where its cursor row says, or
            // finds another process holding it. Once per round: a lease lost again is reported to the caller.
            if (!(error instanceof SubscriptionLeaseLostError) || lostOnce) throw error;
            lostOnce = true;
            context.recorder.roundFailed(error);
            continue;
          }
          if (events.length < GROUP) break;
        }
      } while (this.#again && !context.stopping.aborted);
    } finally {
      // In the same step as the last look for `#again`: a `drain` called after it starts a round of its own. Cleared a
      // step later (a `.finally` on the promise), a `drain` in between joined a round that would not look again, and
      // resolved before its events were delivered (test/events/drain-race.unit.spec.ts).
      this.#running = undefined;
    }
  }
}
