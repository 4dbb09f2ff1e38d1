import type { SpanContext } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { Database, RetryPolicy } from '../database/internal.js';
import { ConfigError, ForbiddenError, NotFoundError, UnavailableError } from '../errors/internal.js';
import { currentContext, formatTraceparent, type CounterSeries, type WeftMetrics } from '../monitoring/internal.js';
import { matchesEventPattern, validationFailed, type ValidationManager } from '../validation/internal.js';
import { readBacklog, type BacklogQuery, type EventBacklog } from './backlog.js';
import { BatchCollector } from './batch-collector.js';
import { DeadLetters } from './dead-letters.js';
import type { EventDefinition } from './definition.js';
import type { DeliveryEngine } from './delivery/delivery-engine.js';
import { DeliveryMetrics } from './delivery-metrics.js';
import { DeliveryQueue } from './delivery-queue.js';
import { CursorsRead, startDurableDelivery } from './durable-start.js';
import { envelopeTime, type EventEnvelope } from './envelope.js';
import { publishTrace } from './event-context.js';
import { EventLogQueries } from './event-log-queries.js';
import { EventLog } from './event-log.js';
import type { EventTables } from './event-tables.js';
import { MemoryTransport } from './memory-transport.js';
import { replayLog } from './replay.js';
import { checkSubscribeOptions } from './subscribe-options.js';
import type { Subscription } from './subscription.js';
import { rebuildSubscription, type SubscriptionRebuild } from './subscription-rewind.js';
import type { Transport } from './transport.js';
import type {
  BatchOptions,
  EnvelopeFor,
  EventHandler,
  EventMap,
  EventPattern,
  PublishOptions,
  SubscribeOptions,
} from './types.js';
import { uuidv7 } from './uuid.js';
import { VolatileDispatch } from './volatile-dispatch.js';

/** Options of an EventBus. */
export interface EventBusOptions {
  readonly db: Pick<Database<unknown>, 'withTables'>;
  readonly validation: ValidationManager;
  readonly metrics?: WeftMetrics;
  readonly logger?: Logger;
  /** How durable events reach durable subscriptions. Default: a MemoryTransport over `db`. */
  readonly transport?: Transport;
  /**
   * For the default transport: how often durable subscriptions look for events committed by other processes. Default
   * 1000 ms.
   */
  readonly pollIntervalMs?: number;
  /**
   * For the default transport: how long a process's claim on a durable subscription lasts unrenewed, so how soon
   * another process sharing the database takes over when it dies. Default 5000 ms.
   */
  readonly leaseMs?: number;
  /** Default retry policy of durable subscriptions. */
  readonly retry?: Partial<RetryPolicy>;
}

const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 10_000 };

/** A handler past its timeout, which the dispatch counted and logged already: the publisher did not wait for it. */
const counted = (): undefined => undefined;

/**
 * Typed, validated cross-system events. Volatile events are delivered in memory, at most once;
 * durable events are appended to the event log in the publishing transaction and delivered after
 * it commits, at least once, with the inbox making the effects of a redelivery happen once.
 * @example
 * const bus = new EventBus({ db, validation }).define(itemCrafted)
 * bus.subscribe('crafting.item_crafted', (e) => e.data.itemId, { name: 'quest-tracker' })
 */
export class EventBus<M extends EventMap = Record<never, never>> {
  readonly log: EventLog;
  /** Events durable subscriptions gave up on: list, redrive, discard. */
  readonly deadLetters: DeadLetters;
  readonly #db: Database<EventTables>;
  readonly #validation: ValidationManager;
  readonly #metrics: WeftMetrics | undefined;
  readonly #logger: Logger;
  readonly #retry: RetryPolicy;
  readonly #definitions = new Map<string, EventDefinition>();
  readonly #subscriptions: Subscription[] = [];
  readonly #published = new Map<string, CounterSeries>();
  readonly #dispatch: VolatileDispatch;
  /** Live subscriptions, for durable events: they get them through a dispatch of their own. */
  readonly #live: Subscription[] = [];
  readonly #liveDispatch: VolatileDispatch;
  readonly #transport: Transport;
  readonly #queries: EventLogQueries;
  readonly #cursors = new CursorsRead();
  #nextId = 1;
  #closed = false;

  constructor(options: EventBusOptions) {
    this.#db = options.db.withTables<EventTables>();
    this.log = new EventLog(options.db);
    this.deadLetters = new DeadLetters(this.#db, (name) => {
      const engine = this.#durables().find((d) => d.name === name);
      return engine === undefined ? undefined : (id, envelope, attempts) => engine.redrive(id, envelope, attempts);
    });
    this.#queries = new EventLogQueries(() => this.#db.executor());
    this.#validation = options.validation;
    this.#metrics = options.metrics;
    this.#logger = options.logger ?? pino({ name: 'weft.events' });
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#dispatch = new VolatileDispatch(this.#logger, (subscription) => this.#remove(subscription));
    this.#liveDispatch = new VolatileDispatch(this.#logger, (subscription) => this.#remove(subscription));
    this.#transport =
      options.transport ??
      new MemoryTransport({
        db: options.db,
        logger: this.#logger,
        ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
        ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
      });
  }

  /** Registers an event type (its schema goes to the validation part); returns the bus typed with it. */
  define<T extends string, D>(definition: EventDefinition<T, D>): EventBus<M & Record<T, D>> {
    const known = this.#definitions.get(definition.type);
    if (known !== undefined && known !== definition)
      throw new ConfigError(`Event ${definition.type} is defined already.`);
    this.#validation.registerSchema(definition.type, definition.schema, {
      version: definition.version,
      owner: definition.owner,
    });
    this.#definitions.set(definition.type, definition as EventDefinition);
    return this as unknown as EventBus<M & Record<T, D>>;
  }

  /** Every defined event type with its owner, for the integration lint. */
  definitions(): EventDefinition[] {
    return [...this.#definitions.values()];
  }

  /**
   * Publishes an event: validated, owned by its source, stamped with the current context.
   * Durable: appended in the caller's transaction (or one of its own) and delivered after commit.
   * Volatile: delivered after the caller's transaction commits, or now outside one.
   */
  async publish<T extends keyof M & string>(
    type: T,
    data: M[T],
    options: PublishOptions = {},
  ): Promise<EventEnvelope<T, M[T]>> {
    const { envelope, definition, trace } = this.#envelope(type, data, options);
    if (definition.durable) {
      if (!this.#cursors.settled) await this.#cursors.wait();
      // Inside a transaction the append joins it (no savepoint: one failed insert fails the publish, which throws
      // anyway).
      if (this.#db.inTransaction()) await this.log.append(envelope);
      else await this.#db.transaction(() => this.log.append(envelope));
      this.#wakeAfterCommit(type);
      // Without live subscriptions a durable publish costs no more than the append and the wake-up.
      if (this.#live.length !== 0)
        this.#db.afterCommit(() => void this.#liveDispatch.deliver(this.#live, envelope, trace)?.catch(counted));
    } else if (this.#db.inTransaction()) {
      this.#db.afterCommit(() => void this.#dispatch.deliver(this.#subscriptions, envelope, trace)?.catch(counted));
    } else {
      void this.#dispatch.deliver(this.#subscriptions, envelope, trace)?.catch(counted);
    }
    this.#countPublished(type);
    return envelope as EventEnvelope<T, M[T]>;
  }

  /**
   * Wakes the transport once the open transaction commits (at once outside one), with the types of the durable events
   * it published: one wake-up per transaction, kept with it. A savepoint's rollback drops the kept set, and the next
   * publish starts another with its own wake-up; a set that outlives its savepoint only wakes a subscription for
   * nothing.
   */
  #wakeAfterCommit(type: string): void {
    const types = this.#db.transactionCache<string, true>(this);
    if (types === undefined) {
      this.#transport.committed(new Set([type]));
      return;
    }
    if (types.size === 0) this.#db.afterCommit(() => this.#transport.committed(new Set(types.keys())));
    types.set(type, true);
  }

  /** Publishes a volatile event and resolves once every handler of it has finished (the seed's `dispatch`). */
  publishAndWait<T extends keyof M & string>(
    type: T,
    data: M[T],
    options: PublishOptions = {},
  ): Promise<EventEnvelope<T, M[T]>> {
    // Not an async function: on the hot path one promise (the handlers') is enough.
    let delivered: Promise<EventEnvelope> | undefined;
    let envelope: EventEnvelope;
    try {
      const made = this.#envelope(type, data, options);
      if (made.definition.durable)
        throw new ConfigError(
          `publishAndWait is for volatile events; ${type} is durable (its delivery outlives the call).`,
        );
      envelope = made.envelope;
      this.#countPublished(type);
      delivered = this.#dispatch.deliver(this.#subscriptions, envelope, made.trace);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return (delivered ?? Promise.resolve(envelope)) as Promise<EventEnvelope<T, M[T]>>;
  }

  /**
   * Subscribes to a type, `system.*` or `*`; with `batch`, the handler takes arrays; with `live`, it
   * taps durable events too, at most once, in this process. Returns the function that unsubscribes.
   */
  subscribe<P extends EventPattern<M>>(
    pattern: P,
    handler: EventHandler<Array<EnvelopeFor<M, P>>>,
    options: SubscribeOptions<EnvelopeFor<M, P>> & { readonly batch: BatchOptions },
  ): () => Promise<void>;
  subscribe<P extends EventPattern<M>>(
    pattern: P,
    handler: EventHandler<EnvelopeFor<M, P>>,
    options?: SubscribeOptions<EnvelopeFor<M, P>>,
  ): () => Promise<void>;
  subscribe<P extends EventPattern<M>>(
    pattern: P,
    handler: EventHandler<EnvelopeFor<M, P>> | EventHandler<Array<EnvelopeFor<M, P>>>,
    options: SubscribeOptions<EnvelopeFor<M, P>> & { readonly batch?: BatchOptions } = {},
  ): () => Promise<void> {
    if (this.#closed) throw new UnavailableError('The event bus is closed.', { code: 'WEFT_CLOSED' });
    const { batch, timeoutMs, live } = checkSubscribeOptions(pattern, options);
    if (options.name !== undefined && this.#subscriptions.some((s) => s.name === options.name)) {
      throw new ConfigError(`A subscription named "${options.name}" exists already.`);
    }
    const id = this.#nextId++;
    const queue = new DeliveryQueue({ capacity: options.queueSize ?? 10_000, concurrency: options.concurrency ?? 1 });
    const label = options.name ?? `anonymous#${id}`;
    const subscription: Subscription = {
      id,
      name: options.name,
      pattern,
      priority: options.priority ?? 0,
      once: options.once === true,
      filter: options.filter as ((event: EventEnvelope) => boolean) | undefined,
      handler: handler as (events: EventEnvelope | EventEnvelope[]) => unknown,
      batch,
      timeoutMs,
      queue,
      metrics: new DeliveryMetrics(this.#metrics, label),
      stopWatching: this.#metrics?.watchQueueDepth(label, () => queue.depth),
      reset: options.reset,
      collector: undefined,
      durable: undefined,
      active: true,
    };
    if (batch !== undefined)
      subscription.collector = new BatchCollector(batch, (events) => this.#dispatch.offerBatch(subscription, events));
    if (live) {
      this.#live.push(subscription);
      this.#live.sort((a, b) => b.priority - a.priority || a.id - b.id);
      this.#liveDispatch.invalidate();
    } else if (this.#matchesDurable(pattern)) {
      try {
        subscription.durable = startDurableDelivery(subscription, options, {
          db: this.#db,
          transport: this.#transport,
          queries: this.#queries,
          retry: this.#retry,
          metrics: this.#metrics,
          logger: this.#logger,
        });
      } catch (error) {
        // Refused: nothing of it stays, its queue-depth gauge included.
        subscription.stopWatching?.();
        throw error;
      }
      this.#cursors.add(subscription.durable.ready);
    }
    this.#subscriptions.push(subscription);
    this.#subscriptions.sort((a, b) => b.priority - a.priority || a.id - b.id);
    this.#dispatch.invalidate();
    return () => this.#remove(subscription);
  }

  /** The defined event types (with owners) and the subscriptions' patterns: what the integration lint checks. */
  wiring(): {
    events: Array<{ type: string; owner: string }>;
    subscriptions: Array<{ pattern: string; name?: string; replayable?: boolean }>;
  } {
    return {
      events: this.definitions().map((d) => ({ type: d.type, owner: d.owner })),
      subscriptions: this.#subscriptions.map((s) =>
        s.name === undefined
          ? { pattern: s.pattern }
          : {
              pattern: s.pattern,
              name: s.name,
              // A reset alone is not enough: a transport that cannot take its position back refuses `rebuild`.
              replayable: s.durable !== undefined && s.reset !== undefined && this.#transport.rewindable,
            },
      ),
    };
  }

  /** The names of the durable subscriptions that take events of `type`. */
  durableSubscriptionsOf(type: string): string[] {
    return this.#subscriptions.flatMap((s) =>
      s.durable !== undefined && s.name !== undefined && matchesEventPattern(s.pattern, type) ? [s.name] : [],
    );
  }

  /**
   * What is waiting, counted in the database (a constant number of statements): per durable
   * subscription of this bus that takes any of `types`, its events of those types not handled yet;
   * per partition-key prefix, the events of those types past the slowest such subscription's
   * cursor, and the dead letters of those types.
   * @example await bus.backlog({ types: ['state.changed'], prefixes: ['economy:', 'character:'] })
   */
  async backlog(query: BacklogQuery): Promise<EventBacklog> {
    await this.#cursors.wait();
    const takers = this.#subscriptions.flatMap((s) => {
      if (s.durable === undefined || s.name === undefined) return [];
      const types = query.types.filter((type) => matchesEventPattern(s.pattern, type));
      return types.length === 0 ? [] : [{ name: s.name, types }];
    });
    return readBacklog(this.#db, takers, query);
  }

  /** Removes the subscription of that name. */
  unsubscribe(name: string): Promise<void> {
    const subscription = this.#subscriptions.find((s) => s.name === name);
    if (subscription === undefined) return Promise.reject(new NotFoundError(`No subscription is named "${name}".`));
    return this.#remove(subscription);
  }

  /**
   * Re-runs history from the log, in order, through a subscription's handler (by name) or a given
   * handler, with `replay: true` in the context. Cursors and inbox are left as they are. Returns
   * how many events were replayed.
   */
  async replay(options: {
    subscription?: string;
    handler?: EventHandler<EventEnvelope>;
    from?: number;
    to?: number;
    types?: readonly string[];
  }): Promise<number> {
    const subscription =
      options.subscription === undefined ? undefined : this.#subscriptions.find((s) => s.name === options.subscription);
    if (options.subscription !== undefined && subscription === undefined)
      throw new NotFoundError(`No subscription is named "${options.subscription}".`);
    const handler: EventHandler<EventEnvelope> | undefined =
      options.handler ??
      (subscription === undefined
        ? undefined
        : (e: EventEnvelope) => subscription.handler(subscription.batch === undefined ? e : [e]));
    if (handler === undefined) throw new ConfigError('replay needs a subscription name or a handler.');
    return replayLog(this.log, handler, {
      patterns: options.types ?? [subscription?.pattern ?? '*'],
      ...(options.from === undefined ? {} : { from: options.from }),
      ...(options.to === undefined ? {} : { to: options.to }),
    });
  }

  /**
   * Replays a durable subscription from the start of the log: its `reset` clears what it built, its cursor goes back
   * to 0 and its inbox and dead letters are forgotten, in one transaction that fences a delivery in flight in any
   * process; then every event comes through its handler again, delivered as usual by whichever process holds it.
   * NotFoundError for no durable subscription of that name here; ConflictError when it has no `reset` (its effects
   * would happen twice) or the transport cannot take its position back (on NATS: a stream missing the log's start).
   */
  async rebuild(name: string): Promise<SubscriptionRebuild> {
    const subscription = this.#subscriptions.find((s) => s.name === name && s.durable !== undefined);
    const rebuilt = await rebuildSubscription(this.#db, this.log, this.#transport, {
      name,
      reset: subscription?.reset,
      engine: subscription?.durable,
    });
    this.#logger.info({ subscription: name, throughSeq: rebuilt.throughSeq }, 'subscription rewound for a replay');
    return rebuilt;
  }

  /** Resolves once every durable subscription has read its cursor (tests, start-up). */
  async ready(): Promise<void> {
    await this.#cursors.wait();
  }

  /** Delivers what durable subscriptions have not handled yet, and resolves when they are done. */
  async drain(): Promise<void> {
    for (const subscription of this.#subscriptions) subscription.collector?.flush();
    await Promise.all(this.#durables().map((d) => d.drain()));
    await Promise.all(this.#subscriptions.map((s) => s.queue.idle()));
  }

  /** Stops intake, lets handlers in flight finish (up to `timeoutMs`), then stops. */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const subscription of this.#subscriptions) subscription.collector?.flush();
    const settle = Promise.all([
      ...this.#subscriptions.map((s) => s.queue.idle()),
      ...this.#durables().map((d) => d.stop()),
    ]).then(() => this.#transport.close());
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>(
      (resolve) => (timer = setTimeout(() => resolve('expired'), options.timeoutMs ?? 10_000)),
    );
    const outcome = await Promise.race([settle.then(() => 'settled' as const), expired]);
    clearTimeout(timer);
    if (outcome === 'expired') this.#logger.warn('event bus closed with handlers still running');
  }

  #envelope(
    type: string,
    data: unknown,
    options: PublishOptions,
  ): { envelope: EventEnvelope; definition: EventDefinition; trace: SpanContext | undefined } {
    if (this.#closed) throw new UnavailableError('The event bus is closed.', { code: 'WEFT_CLOSED' });
    const definition = this.#definitions.get(type);
    if (definition === undefined)
      throw new NotFoundError(
        `Event type ${type} is not defined; its owner defines it in setup with sys.events.define({ name, durable, schema }) (on a bare bus: bus.define(defineEvent(...))).`,
      );
    const context = currentContext();
    const source = options.source ?? context?.system;
    if (source !== definition.owner) {
      throw new ForbiddenError(
        `${source === undefined ? 'An unnamed publisher' : `System ${source}`} may not publish ${type}: it belongs to ${definition.owner}.`,
      );
    }
    const result = this.#validation.validateData(type, data, { version: definition.version });
    if (!result.ok) throw validationFailed(type, result, { type });
    const trace = publishTrace(type);
    const envelope: EventEnvelope = {
      id: uuidv7(),
      type,
      version: definition.version,
      source,
      time: envelopeTime(),
      partitionKey: definition.partitionKey?.(result.value),
      correlationId: context?.correlationId ?? uuidv7(),
      causationId: context?.causationId,
      traceparent: trace === undefined ? undefined : formatTraceparent(trace),
      data: result.value,
    };
    return { envelope, definition, trace };
  }

  #countPublished(type: string): void {
    const metrics = this.#metrics;
    if (metrics === undefined) return;
    let series = this.#published.get(type);
    if (series === undefined) this.#published.set(type, (series = metrics.eventsPublished.labels({ type })));
    series.inc();
  }

  #durables(): DeliveryEngine[] {
    return this.#subscriptions.flatMap((s) => (s.durable === undefined ? [] : [s.durable]));
  }

  #matchesDurable(pattern: string): boolean {
    return [...this.#definitions.values()].some((d) => d.durable && matchesEventPattern(pattern, d.type));
  }

  async #remove(subscription: Subscription): Promise<void> {
    subscription.active = false;
    subscription.stopWatching?.();
    // Pending batch events are let go (their publishers stop waiting), not handled.
    subscription.collector?.flush();
    const index = this.#subscriptions.indexOf(subscription);
    if (index !== -1) this.#subscriptions.splice(index, 1);
    this.#dispatch.invalidate();
    const live = this.#live.indexOf(subscription);
    if (live !== -1) {
      this.#live.splice(live, 1);
      this.#liveDispatch.invalidate();
    }
    await subscription.durable?.stop();
  }
}
