import type { Logger } from 'pino';
import type { Database, RetryPolicy } from '../database/internal.js';
import { ConfigError } from '../errors/internal.js';
import type { WeftMetrics } from '../monitoring/internal.js';
import { DeliveryEngine } from './delivery/delivery-engine.js';
import type { EventLogQueries } from './event-log-queries.js';
import type { EventTables } from './event-tables.js';
import { runHandler, type Subscription } from './subscription.js';
import type { Transport } from './transport.js';
import type { SubscribeOptions } from './types.js';

/** What a durable subscription's delivery is built from: the bus's database, transport and defaults. */
export interface DurableStartDeps {
  readonly db: Database<EventTables>;
  readonly transport: Transport;
  readonly queries: EventLogQueries;
  readonly retry: RetryPolicy;
  readonly metrics: WeftMetrics | undefined;
  readonly logger: Logger;
}

/**
 * Starts the delivery of a subscription that takes durable events: a stream from the transport under its name, and the
 * engine that hands the stream's events to its handler with inbox, retries and dead letters. A ConfigError for a
 * subscription without a name (the name is its consumer id) or one asking for batches in several lanes.
 */
export function startDurableDelivery(
  subscription: Subscription,
  options: Pick<SubscribeOptions<never>, 'concurrency' | 'startFrom' | 'retry' | 'durability'>,
  deps: DurableStartDeps,
): DeliveryEngine {
  const { name, pattern, batch, timeoutMs } = subscription;
  if (name === undefined)
    throw new ConfigError(
      `Subscription to ${pattern} receives durable events, so it needs a stable name (its consumer id).`,
    );
  const concurrency = options.concurrency ?? 1;
  if (batch !== undefined && concurrency > 1)
    throw new ConfigError(
      `Subscription "${name}" receives durable events in batches, which go one batch at a time: drop concurrency or batch.`,
    );
  const startFrom = options.startFrom ?? 'now';
  return new DeliveryEngine({
    db: deps.db,
    stream: deps.transport.subscribe({ name, pattern, startFrom }),
    subscription: {
      name,
      pattern,
      startFrom,
      filter: subscription.filter,
      retry: { ...deps.retry, ...options.retry },
      batchSize: batch?.maxSize ?? 1,
      durability: options.durability ?? 'deferred',
      concurrency,
      timeoutMs,
      // The engine counts, retries and logs its own attempts.
      handle: (envelopes) => runHandler(subscription, envelopes, undefined),
    },
    queries: deps.queries,
    metrics: deps.metrics,
    logger: deps.logger,
  });
}

/**
 * Whether every durable subscription has read its cursor. A durable publish waits for it, so a subscriber's "now"
 * misses nothing published after `subscribe` returned; once all are read, publishing checks a flag and waits for
 * nothing.
 */
export class CursorsRead {
  #all: Promise<unknown> = Promise.resolve();
  #settled = true;

  /** True when no durable subscription is still reading its cursor. */
  get settled(): boolean {
    return this.#settled;
  }

  /** Resolves once every subscription added so far has read its cursor. */
  wait(): Promise<unknown> {
    return this.#all;
  }

  /** Adds a subscription's read (its engine's `ready`). */
  add(read: Promise<unknown>): void {
    const all = Promise.all([this.#all, read]);
    this.#all = all;
    this.#settled = false;
    void all.then(
      () => {
        if (this.#all === all) this.#settled = true;
      },
      // A subscription whose cursor read failed reports it through its own `ready`; the flag stays down.
      () => undefined,
    );
  }
}
