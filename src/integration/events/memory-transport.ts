import type { Logger } from 'pino';
import { pino } from 'pino';
import type { Database } from '../database/internal.js';
import type { WeftMetrics } from '../monitoring/internal.js';
import { DurableConsumer, type DurableSubscription } from './durable-consumer.js';
import { EventLog, type EventTables } from './event-log.js';
import type { Transport, TransportConsumer } from './transport.js';

/** Options of a MemoryTransport. */
export interface MemoryTransportOptions {
  readonly db: Pick<Database<unknown>, 'withTables'>;
  readonly metrics?: WeftMetrics;
  readonly logger?: Logger;
  /** How often consumers look for events committed by other processes sharing the database. Default 1000 ms. */
  readonly pollIntervalMs?: number;
}

/**
 * The default transport: the event log in the database is the queue. Each durable subscription
 * reads it from its cursor; a commit in this process wakes them at once, and a poll picks up what
 * other processes sharing the database committed.
 */
export class MemoryTransport implements Transport {
  readonly #db: Database<EventTables>;
  readonly #log: EventLog;
  readonly #metrics: WeftMetrics | undefined;
  readonly #logger: Logger;
  readonly #consumers = new Set<DurableConsumer>();
  readonly #poller: NodeJS.Timeout;

  constructor(options: MemoryTransportOptions) {
    this.#db = options.db.withTables<EventTables>();
    this.#log = new EventLog(options.db);
    this.#metrics = options.metrics;
    this.#logger = options.logger ?? pino({ name: 'weft.events' });
    this.#poller = setInterval(() => this.committed(), options.pollIntervalMs ?? 1000);
    this.#poller.unref();
  }

  committed(): void {
    for (const consumer of this.#consumers) consumer.notify();
  }

  consume(subscription: DurableSubscription): TransportConsumer {
    const consumer = new DurableConsumer(this.#db, this.#log, subscription, this.#metrics, this.#logger);
    this.#consumers.add(consumer);
    consumer.ready
      .then(() => (this.#consumers.has(consumer) ? consumer.drain() : undefined))
      .catch((error: unknown) =>
        this.#logger.error({ err: error, subscription: consumer.name }, 'durable delivery failed to start'),
      );
    return {
      name: consumer.name,
      ready: consumer.ready,
      drain: () => consumer.drain(),
      redrive: (id, envelope, attempts) => consumer.redrive(id, envelope, attempts),
      stop: async () => {
        this.#consumers.delete(consumer);
        await consumer.stop();
      },
    };
  }

  close(): Promise<void> {
    clearInterval(this.#poller);
    return Promise.resolve();
  }
}
