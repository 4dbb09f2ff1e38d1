import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { Database, RetryPolicy } from '../database/index.js';
import { ConfigError, ForbiddenError, NotFoundError, UnavailableError, ValidationError } from '../errors/index.js';
import {
  SpanKind,
  currentContext,
  formatTraceparent,
  idsOf,
  runInContext,
  startSpan,
  tracingEnabled,
  type CounterSeries,
  type WeftContext,
  type WeftMetrics,
} from '../monitoring/index.js';
import type { SpanContext } from '@opentelemetry/api';
import { formatIssues, matchesEventPattern, type ValidationManager } from '../validation/index.js';
import type { EventDefinition } from './definition.js';
import { BatchCollector, type PendingEvent } from './batch-collector.js';
import { DeadLetters } from './dead-letters.js';
import { DeliveryMetrics, type DeliverySeries } from './delivery-metrics.js';
import { DeliveryQueue, type Offered } from './delivery-queue.js';
import { DurableConsumer } from './durable-consumer.js';
import { envelopeTime, type EventEnvelope } from './envelope.js';
import { EventLog, type EventTables } from './event-log.js';
import { handlerContext, pick, publishTrace, spanParent } from './event-context.js';
import { replayLog } from './replay.js';
import type { BatchOptions, EnvelopeFor, EventHandler, EventMap, EventPattern, PublishOptions, SubscribeOptions } from './types.js';
import { uuidv7 } from './uuid.js';

/** Options of an EventBus. */
export interface EventBusOptions {
  readonly db: Pick<Database<unknown>, 'withTables'>;
  readonly validation: ValidationManager;
  readonly metrics?: WeftMetrics;
  readonly logger?: Logger;
  /** How often durable subscriptions look for events committed by other processes. Default 1000 ms. */
  readonly pollIntervalMs?: number;
  /** Default retry policy of durable subscriptions. */
  readonly retry?: Partial<RetryPolicy>;
}

interface Subscription {
  readonly id: number;
  readonly name: string | undefined;
  readonly pattern: string;
  readonly priority: number;
  readonly once: boolean;
  readonly filter: ((event: EventEnvelope) => boolean) | undefined;
  /** Takes one envelope, or an array of them when `batch` is set. */
  readonly handler: (events: EventEnvelope | EventEnvelope[]) => unknown;
  readonly batch: BatchOptions | undefined;
  readonly queue: DeliveryQueue;
  readonly metrics: DeliveryMetrics;
  readonly stopWatching: (() => void) | undefined;
  /** Volatile events waiting for their batch to fill (batch subscriptions only). */
  collector: BatchCollector | undefined;
  durable: DurableConsumer | undefined;
  active: boolean;
}

/** A subscription an event type goes to, with its metric series for that type. */
interface Route {
  readonly subscription: Subscription;
  readonly series: DeliverySeries;
}

const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 10_000 };

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
  /** Event type -> the subscriptions whose pattern matches it, in priority order; cleared when subscriptions change. */
  readonly #routes = new Map<string, Route[]>();
  readonly #poller: NodeJS.Timeout;
  #nextId = 1;
  #closed = false;
  /** Every durable subscription's cursor is read: a durable publish waits for it, so a new subscriber's "now" misses nothing. */
  #durablesReady: Promise<unknown> = Promise.resolve();
  /** False while some durable subscription is still reading its cursor (publish then waits for #durablesReady). */
  #durablesSettled = true;
  /** One function object, so a transaction that publishes many events schedules one wake-up. */
  readonly #wakeAfterCommit = () => this.#wakeDurable();

  constructor(options: EventBusOptions) {
    this.#db = options.db.withTables<EventTables>();
    this.log = new EventLog(options.db);
    this.deadLetters = new DeadLetters(this.#db, (name) => {
      const consumer = this.#durables().find((d) => d.name === name);
      return consumer === undefined ? undefined : (id, envelope, attempts) => consumer.redrive(id, envelope, attempts);
    });
    this.#validation = options.validation;
    this.#metrics = options.metrics;
    this.#logger = options.logger ?? pino({ name: 'weft.events' });
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#poller = setInterval(() => this.#wakeDurable(), options.pollIntervalMs ?? 1000);
    this.#poller.unref();
  }

  /** Registers an event type (its schema goes to the validation part); returns the bus typed with it. */
  define<T extends string, D>(definition: EventDefinition<T, D>): EventBus<M & Record<T, D>> {
    const known = this.#definitions.get(definition.type);
    if (known !== undefined && known !== definition) throw new ConfigError(`Event ${definition.type} is defined already.`);
    this.#validation.registerSchema(definition.type, definition.schema, { version: definition.version, owner: definition.owner });
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
  async publish<T extends keyof M & string>(type: T, data: M[T], options: PublishOptions = {}): Promise<EventEnvelope<T, M[T]>> {
    const { envelope, definition, trace } = this.#envelope(type, data, options);
    if (definition.durable) {
      if (!this.#durablesSettled) await this.#durablesReady;
      // Inside a transaction the append joins it (no savepoint: one failed insert fails the publish, which throws anyway).
      if (this.#db.inTransaction()) await this.log.append(envelope);
      else await this.#db.transaction(() => this.log.append(envelope));
      this.#db.afterCommit(this.#wakeAfterCommit);
    } else if (this.#db.inTransaction()) {
      this.#db.afterCommit(() => void this.#deliverVolatile(envelope, trace));
    } else {
      void this.#deliverVolatile(envelope, trace);
    }
    this.#countPublished(type);
    return envelope as EventEnvelope<T, M[T]>;
  }

  /** Publishes a volatile event and resolves once every handler of it has finished (the seed's `dispatch`). */
  async publishAndWait<T extends keyof M & string>(type: T, data: M[T], options: PublishOptions = {}): Promise<EventEnvelope<T, M[T]>> {
    const { envelope, definition, trace } = this.#envelope(type, data, options);
    if (definition.durable) throw new ConfigError(`publishAndWait is for volatile events; ${type} is durable (its delivery outlives the call).`);
    this.#countPublished(type);
    const delivered = this.#deliverVolatile(envelope, trace);
    if (delivered !== undefined) await delivered;
    return envelope as EventEnvelope<T, M[T]>;
  }

  /** Subscribes to a type, `system.*` or `*`; with `batch`, the handler takes arrays. Returns the function that unsubscribes. */
  subscribe<P extends EventPattern<M>>(
    pattern: P,
    handler: EventHandler<Array<EnvelopeFor<M, P>>>,
    options: SubscribeOptions<EnvelopeFor<M, P>> & { readonly batch: BatchOptions },
  ): () => Promise<void>;
  subscribe<P extends EventPattern<M>>(pattern: P, handler: EventHandler<EnvelopeFor<M, P>>, options?: SubscribeOptions<EnvelopeFor<M, P>>): () => Promise<void>;
  subscribe<P extends EventPattern<M>>(
    pattern: P,
    handler: EventHandler<EnvelopeFor<M, P>> | EventHandler<Array<EnvelopeFor<M, P>>>,
    options: SubscribeOptions<EnvelopeFor<M, P>> & { readonly batch?: BatchOptions } = {},
  ): () => Promise<void> {
    if (this.#closed) throw new UnavailableError('The event bus is closed.', { code: 'WEFT_CLOSED' });
    if (!/^([a-z][a-z0-9_]*\.([a-z][a-z0-9_]*|\*)|\*)$/.test(pattern)) {
      throw new ConfigError(`Subscription pattern must be a type, system.* or *; received ${JSON.stringify(pattern)}.`);
    }
    const batch = options.batch;
    if (batch !== undefined && (!Number.isSafeInteger(batch.maxSize) || batch.maxSize < 1 || !Number.isSafeInteger(batch.maxWaitMs) || batch.maxWaitMs < 0)) {
      throw new ConfigError(`batch needs an integer maxSize >= 1 and maxWaitMs >= 0; received ${JSON.stringify(batch)}.`);
    }
    for (const [option, value] of [['concurrency', options.concurrency], ['queueSize', options.queueSize]] as const) {
      if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) throw new ConfigError(`${option} must be an integer >= 1; received ${JSON.stringify(value)}.`);
    }
    if (options.durability !== undefined && options.durability !== 'full' && options.durability !== 'deferred') {
      throw new ConfigError(`durability must be 'full' or 'deferred'; received ${JSON.stringify(options.durability)}.`);
    }
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
      queue,
      metrics: new DeliveryMetrics(this.#metrics, label),
      stopWatching: this.#metrics?.watchQueueDepth(label, () => queue.depth),
      collector: undefined,
      durable: undefined,
      active: true,
    };
    if (batch !== undefined) subscription.collector = new BatchCollector(batch, (events) => this.#offerBatch(subscription, events));
    if (this.#matchesDurable(pattern)) {
      if (options.name === undefined) throw new ConfigError(`Subscription to ${pattern} receives durable events, so it needs a stable name (its consumer id).`);
      if (batch !== undefined && (options.concurrency ?? 1) > 1) throw new ConfigError(`Subscription "${options.name}" receives durable events in batches, which go one batch at a time: drop concurrency or batch.`);
      subscription.durable = new DurableConsumer(
        this.#db,
        this.log,
        {
          name: options.name,
          pattern,
          startFrom: options.startFrom ?? 'now',
          filter: subscription.filter,
          retry: { ...this.#retry, ...options.retry },
          batchSize: batch?.maxSize ?? 1,
          durability: options.durability ?? 'deferred',
          concurrency: options.concurrency ?? 1,
          // The durable consumer counts, retries and logs its own attempts.
          handle: (envelopes) => this.#runHandler(subscription, envelopes, false),
        },
        this.#metrics,
        this.#logger,
      );
      const ready = Promise.all([this.#durablesReady, subscription.durable.ready]);
      this.#durablesReady = ready;
      this.#durablesSettled = false;
      void ready.then(
        () => {
          if (this.#durablesReady === ready) this.#durablesSettled = true;
        },
        () => undefined,
      );
      void subscription.durable.ready.then(() => subscription.durable?.wake());
    }
    this.#subscriptions.push(subscription);
    this.#subscriptions.sort((a, b) => b.priority - a.priority || a.id - b.id);
    this.#routes.clear();
    return () => this.#remove(subscription);
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
  async replay(options: { subscription?: string; handler?: EventHandler<EventEnvelope>; from?: number; to?: number; types?: readonly string[] }): Promise<number> {
    const subscription = options.subscription === undefined ? undefined : this.#subscriptions.find((s) => s.name === options.subscription);
    if (options.subscription !== undefined && subscription === undefined) throw new NotFoundError(`No subscription is named "${options.subscription}".`);
    const handler: EventHandler<EventEnvelope> | undefined =
      options.handler ?? (subscription === undefined ? undefined : (e: EventEnvelope) => subscription.handler(subscription.batch === undefined ? e : [e]));
    if (handler === undefined) throw new ConfigError('replay needs a subscription name or a handler.');
    return replayLog(this.log, handler, { patterns: options.types ?? [subscription?.pattern ?? '*'], ...(options.from === undefined ? {} : { from: options.from }), ...(options.to === undefined ? {} : { to: options.to }) });
  }

  /** Resolves once every durable subscription has read its cursor (tests, start-up). */
  async ready(): Promise<void> {
    await this.#durablesReady;
  }

  /** Delivers what durable subscriptions have not handled yet, and resolves when they are done. */
  async drain(): Promise<void> {
    for (const subscription of this.#subscriptions) subscription.collector?.flush();
    await Promise.all(this.#durables().map((d) => d.wake()));
    await Promise.all(this.#subscriptions.map((s) => s.queue.idle()));
  }

  /** Stops intake, lets handlers in flight finish (up to `timeoutMs`), then stops. */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#poller);
    for (const subscription of this.#subscriptions) subscription.collector?.flush();
    const settle = Promise.all([...this.#subscriptions.map((s) => s.queue.idle()), ...this.#durables().map((d) => d.stop())]);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), options.timeoutMs ?? 10_000)));
    const outcome = await Promise.race([settle.then(() => 'settled' as const), expired]);
    clearTimeout(timer);
    if (outcome === 'expired') this.#logger.warn('event bus closed with handlers still running');
  }

  #envelope(type: string, data: unknown, options: PublishOptions): { envelope: EventEnvelope; definition: EventDefinition; trace: SpanContext } {
    if (this.#closed) throw new UnavailableError('The event bus is closed.', { code: 'WEFT_CLOSED' });
    const definition = this.#definitions.get(type);
    if (definition === undefined) throw new NotFoundError(`Event type ${type} is not defined; define it with defineEvent and bus.define.`);
    const context = currentContext();
    const source = options.source ?? context?.system;
    if (source !== definition.owner) {
      throw new ForbiddenError(`${source === undefined ? 'An unnamed publisher' : `System ${source}`} may not publish ${type}: it belongs to ${definition.owner}.`);
    }
    const result = this.#validation.validateData(type, data, { version: definition.version });
    if (!result.ok) throw new ValidationError(`Invalid ${type}:\n${formatIssues(result.issues)}`, { issues: result.issues, details: { type } });
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
      traceparent: formatTraceparent(trace),
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

  /**
   * Hands a volatile event to each matching subscription's queue. Returns what to await for every
   * handler of it to finish: nothing when they all ran synchronously.
   */
  #deliverVolatile(envelope: EventEnvelope, trace: SpanContext): Promise<unknown> | undefined {
    let route = this.#routes.get(envelope.type);
    if (route === undefined) {
      const type = envelope.type;
      route = this.#subscriptions.filter((s) => matchesEventPattern(s.pattern, type)).map((subscription) => ({ subscription, series: subscription.metrics.of(type) }));
      this.#routes.set(type, route);
    }
    if (route.length === 0) return undefined;
    // One context for every handler of this event, entered once: the handlers started in this loop run in it.
    const context = handlerContext(envelope, trace);
    return runInContext(context, () => this.#offerVolatile(route, envelope, context));
  }

  /** Offers the event to each subscription; a handler started now is timed from this moment (handler duration includes the synchronous handlers before it). */
  #offerVolatile(route: readonly Route[], envelope: EventEnvelope, context: WeftContext): Promise<unknown> | undefined {
    const dispatched = performance.now();
    const traced = tracingEnabled();
    let pending: Promise<void> | Array<Promise<void>> | undefined;
    for (const { subscription, series } of route) {
      if (!subscription.active) continue;
      if (subscription.filter !== undefined && !subscription.filter(envelope)) continue;
      const collector = subscription.collector;
      let offered: Offered;
      if (collector !== undefined) {
        offered = new Promise<void>((done) => collector.add({ envelope, done }));
      } else if (subscription.queue.tryStart(envelope.partitionKey)) {
        const ran = this.#runVolatile(subscription, series, envelope, context, dispatched, traced, true);
        offered = ran === undefined ? 'done' : ran;
      } else {
        // A run the queue starts later (behind others of its key) enters the event's context itself.
        offered = subscription.queue.offer(envelope.partitionKey, () =>
          runInContext(context, () => this.#runVolatile(subscription, series, envelope, context, performance.now(), traced, false)),
        );
      }
      if (offered === 'full') this.#dropped(subscription, [envelope]);
      else if (offered !== 'done') pending = pending === undefined ? offered : Array.isArray(pending) ? (pending.push(offered), pending) : [pending, offered];
    }
    return Array.isArray(pending) ? Promise.all(pending) : pending;
  }

  /**
   * Runs a handler on one volatile event, in the current context, without a promise of its own
   * when the handler is synchronous (the hot path); with a tracing SDK it takes the spanned path.
   * With `release`, gives the queue's worker back when done. Never throws.
   */
  #runVolatile(subscription: Subscription, series: DeliverySeries, envelope: EventEnvelope, context: WeftContext, started: number, traced: boolean, release: boolean): Promise<void> | undefined {
    const key = envelope.partitionKey;
    const queue = release ? subscription.queue : undefined;
    if (!subscription.active) return void queue?.release(key);
    if (subscription.once) void this.#remove(subscription);
    if (traced) {
      return this.#runHandler(subscription, [envelope], true, context).then(
        () => queue?.release(key),
        () => queue?.release(key),
      );
    }
    let result: unknown;
    try {
      result = subscription.handler(envelope);
    } catch (error) {
      this.#reportFailure(subscription, [envelope], error);
      return void queue?.release(key);
    }
    if (result instanceof Promise) {
      return result.then(
        () => {
          series.delivered.inc();
          series.duration.observe(performance.now() - started);
          queue?.release(key);
        },
        (error: unknown) => {
          this.#reportFailure(subscription, [envelope], error);
          queue?.release(key);
        },
      );
    }
    series.delivered.inc();
    series.duration.observe(performance.now() - started);
    return void queue?.release(key);
  }

  /** Queues a gathered batch for its subscription's handler. */
  #offerBatch(subscription: Subscription, items: PendingEvent[]): void {
    const envelopes = items.map((item) => item.envelope);
    const finish = () => {
      for (const item of items) item.done();
    };
    const offered = subscription.queue.offer(undefined, () =>
      (subscription.active ? this.#runHandler(subscription, envelopes, true) : Promise.resolve())
        // A failure is counted and logged in #runHandler.
        .catch(() => undefined)
        .finally(finish),
    );
    if (offered === 'full') {
      this.#dropped(subscription, envelopes);
      finish();
    }
  }

  #dropped(subscription: Subscription, envelopes: readonly EventEnvelope[]): void {
    for (const envelope of envelopes) subscription.metrics.of(envelope.type).dropped.inc();
    this.#logger.warn({ subscription: subscription.name, events: envelopes.length, eventId: envelopes[0]?.id, type: envelopes[0]?.type }, 'volatile events dropped: subscription queue full');
  }

  #reportFailure(subscription: Subscription, envelopes: readonly EventEnvelope[], error: unknown): void {
    const envelope = envelopes[0];
    if (envelope === undefined) return;
    subscription.metrics.of(envelope.type).failed.inc();
    this.#logger.error({ err: error, eventId: envelope.id, type: envelope.type, subscription: subscription.name, correlationId: envelope.correlationId }, 'event handler failed');
  }

  /** Runs a handler in the event's context (so what it publishes has the event as cause); reports (when `report`) and rethrows a failure. */
  async #runHandler(subscription: Subscription, envelopes: readonly EventEnvelope[], report: boolean, shared?: WeftContext): Promise<void> {
    const envelope = envelopes[0];
    if (envelope === undefined) return;
    // A batch runs in the context of its first event (its correlation, its trace).
    const context = shared ?? handlerContext(envelope);
    const subscriptionName = subscription.name ?? 'anonymous';
    const started = performance.now();
    // Without a tracing SDK the handler span would be a no-op: skip making it.
    const span = tracingEnabled()
      ? startSpan(`handle ${envelope.type}`, { kind: SpanKind.CONSUMER, ...spanParent(context), attributes: { 'messaging.destination.name': envelope.type, 'messaging.consumer.group.name': subscriptionName } })
      : undefined;
    const own = span === undefined ? context : { ...context, ...pick(idsOf(span, spanParent(context).parent)) };
    try {
      await runInContext(own, () => subscription.handler(subscription.batch === undefined ? envelope : [...envelopes]));
      if (report) {
        const series = subscription.metrics.of(envelope.type);
        series.delivered.inc(envelopes.length);
        series.duration.observe(performance.now() - started);
      }
    } catch (error) {
      span?.recordException(error instanceof Error ? error : String(error));
      if (report) this.#reportFailure(subscription, envelopes, error);
      throw error;
    } finally {
      span?.end();
    }
  }

  #durables(): DurableConsumer[] {
    return this.#subscriptions.flatMap((s) => (s.durable === undefined ? [] : [s.durable]));
  }

  #matchesDurable(pattern: string): boolean {
    return [...this.#definitions.values()].some((d) => d.durable && matchesEventPattern(pattern, d.type));
  }

  #wakeDurable(): void {
    for (const subscription of this.#subscriptions) {
      subscription.durable?.wake().catch((error: unknown) => this.#logger.error({ err: error, subscription: subscription.name }, 'durable delivery failed'));
    }
  }

  async #remove(subscription: Subscription): Promise<void> {
    subscription.active = false;
    subscription.stopWatching?.();
    // Pending batch events are let go (their publishers stop waiting), not handled.
    subscription.collector?.flush();
    const index = this.#subscriptions.indexOf(subscription);
    if (index !== -1) this.#subscriptions.splice(index, 1);
    this.#routes.clear();
    await subscription.durable?.stop();
  }
}
