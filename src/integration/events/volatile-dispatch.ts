import { performance } from 'node:perf_hooks';
import type { SpanContext } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { runInContext, tracingEnabled, type WeftContext } from '../monitoring/internal.js';
import { matchesEventPattern } from '../validation/internal.js';
import type { PendingEvent } from './batch-collector.js';
import type { DeliverySeries } from './delivery-metrics.js';
import type { Offered } from './delivery-queue.js';
import { detached } from './detached.js';
import type { EventEnvelope } from './envelope.js';
import { handlerContext } from './event-context.js';
import { handlerDeadlines, handlerTimeoutError, withHandlerTimeout } from './handler-timeout.js';
import { reportFailure, runHandler, type Route, type Subscription } from './subscription.js';

/**
 * In-memory delivery of volatile events: each event goes to the subscriptions its type matches
 * (looked up once per type), in one context entered once, through each subscription's bounded
 * queue; a full queue drops the event and counts it. At most once.
 */
export class VolatileDispatch {
  readonly #logger: Logger;
  readonly #remove: (subscription: Subscription) => Promise<void>;
  /** Event type -> the subscriptions whose pattern matches it, in priority order. */
  readonly #routes = new Map<string, Route[]>();

  /** `remove` unsubscribes a `once` subscription after its first event. */
  constructor(logger: Logger, remove: (subscription: Subscription) => Promise<void>) {
    this.#logger = logger;
    this.#remove = remove;
  }

  /** Forgets the routes: call whenever subscriptions change. */
  invalidate(): void {
    this.#routes.clear();
  }

  /**
   * Hands a volatile event to each matching subscription's queue. Returns what to await for every
   * handler of it to finish (it resolves with the envelope, or rejects with the TimeoutError of a handler past its
   * timeout): nothing when they all ran synchronously.
   */
  deliver(
    subscriptions: readonly Subscription[],
    envelope: EventEnvelope,
    trace: SpanContext | undefined,
  ): Promise<EventEnvelope> | undefined {
    let route = this.#routes.get(envelope.type);
    if (route === undefined) {
      const type = envelope.type;
      route = subscriptions
        // A subscription with `reset` is a projection of the log: what no replay could bring again does not reach it.
        .filter((s) => s.reset === undefined && matchesEventPattern(s.pattern, type))
        .map((subscription) => ({ subscription, series: subscription.metrics.of(type) }));
      this.#routes.set(type, route);
    }
    if (route.length === 0) return undefined;
    // One context for every handler of this event, entered once: the handlers started in this loop run in it, apart
    // from the publisher's (its command, its transaction: a handler acts as its system).
    const context = handlerContext(envelope, trace);
    return detached(() => runInContext(context, () => this.#offerVolatile(route, envelope, context)));
  }

  /**
   * Offers the event to each subscription; a handler started now is timed from this moment (handler duration includes
   * the synchronous handlers before it).
   */
  #offerVolatile(
    route: readonly Route[],
    envelope: EventEnvelope,
    context: WeftContext,
  ): Promise<EventEnvelope> | undefined {
    const dispatched = performance.now();
    const traced = tracingEnabled();
    const countdown = new Countdown();
    let only: Promise<EventEnvelope> | undefined;
    for (const { subscription, series } of route) {
      if (!subscription.active) continue;
      if (subscription.filter !== undefined && !subscription.filter(envelope)) continue;
      const collector = subscription.collector;
      let offered: Offered;
      if (collector !== undefined) {
        offered = new Promise<void>((done) => collector.add({ envelope, done }));
      } else if (subscription.queue.tryStart(envelope.partitionKey)) {
        // A run that does not end at once is counted by the countdown, and tells it when it ends.
        const ran = this.#runVolatile(subscription, series, envelope, context, dispatched, traced, true, countdown);
        // The common case, one handler still running: its own promise is what the publisher awaits.
        if (ran !== undefined) only = ran;
        continue;
      } else {
        // A run the queue starts later (behind others of its key) enters the event's context itself.
        offered = subscription.queue.offer(envelope.partitionKey, () =>
          runInContext(context, () =>
            this.#runVolatile(subscription, series, envelope, context, performance.now(), traced, false, countdown),
          ),
        );
      }
      if (offered === 'full') this.#dropped(subscription, [envelope]);
      else if (offered !== 'done') {
        countdown.add();
        void offered.then(countdown.done);
      }
    }
    if (countdown.running === 1 && only !== undefined) return only;
    // Its timeout reached the countdown already.
    void only?.catch(countdown.reported);
    return countdown.settled(envelope);
  }

  /**
   * Runs a handler on one volatile event, in the current context, without a promise of its own when the handler is
   * synchronous (the hot path); with a tracing SDK it takes the spanned path. With `release` the run was started here
   * (`tryStart`): it gives the queue's worker back when done, and one that does not end at once is counted by
   * `countdown`. Else the queue started it, and awaits the promise returned. Never throws; the promise rejects only
   * with the TimeoutError of a run past the subscription's timeout (counted, logged and told to `countdown` first).
   */
  #runVolatile(
    subscription: Subscription,
    series: DeliverySeries,
    envelope: EventEnvelope,
    context: WeftContext,
    started: number,
    traced: boolean,
    release: boolean,
    countdown: Countdown,
  ): Promise<EventEnvelope> | undefined {
    const key = envelope.partitionKey;
    const queue = release ? subscription.queue : undefined;
    if (!subscription.active) return void queue?.release(key);
    if (subscription.once) void this.#remove(subscription);
    if (traced) {
      // runHandler counts the run and logs its failure itself.
      const run = runHandler(subscription, [envelope], this.#logger, context);
      return this.#awaited(run, subscription, envelope, release, countdown, undefined, started);
    }
    let result: unknown;
    try {
      result = subscription.handler(envelope);
    } catch (error) {
      reportFailure(this.#logger, subscription, [envelope], error);
      return void queue?.release(key);
    }
    if (result instanceof Promise)
      return this.#awaited(result, subscription, envelope, release, countdown, series, started);
    series.delivered.inc();
    series.duration.observe(performance.now() - started);
    return void queue?.release(key);
  }

  /**
   * Waits for an asynchronous run under the subscription's timeout, counted from `started`; then gives the worker back
   * and tells `countdown` (with `release`). With `series`, counts the run and logs its failure (else the run does). A
   * run past its timeout is counted and logged here and told to `countdown`; its end is no longer waited for. Returns a
   * promise for the first run the countdown counts and for a run the queue started: it resolves with the envelope when
   * the run ends, or rejects with the TimeoutError. A deadline in a shared queue and one pair of callbacks per run, no
   * timer: a timer and a promise of its own per run put a volatile publish to ten async subscribers below emittery's
   * (`npm run bench -- events`).
   */
  #awaited(
    run: Promise<unknown>,
    subscription: Subscription,
    envelope: EventEnvelope,
    release: boolean,
    countdown: Countdown,
    series: DeliverySeries | undefined,
    started: number,
  ): Promise<EventEnvelope> | undefined {
    const promised = !release || countdown.running === 0;
    let settle: { resolve: (envelope: EventEnvelope) => void; reject: (error: Error) => void } | undefined;
    const end = (): void => {
      if (release) {
        subscription.queue.release(envelope.partitionKey);
        countdown.done();
      }
    };
    const deadlines = handlerDeadlines(subscription.timeoutMs);
    const deadline = deadlines.add(() => {
      const timedOut = handlerTimeoutError(subscription.name ?? 'anonymous', subscription.timeoutMs, envelope);
      reportFailure(this.#logger, subscription, [envelope], timedOut);
      countdown.timedOut(timedOut);
      end();
      settle?.reject(timedOut);
    }, started);
    run.then(
      () => {
        if (deadline.settled) return;
        deadlines.settle(deadline);
        series?.delivered.inc();
        series?.duration.observe(performance.now() - started);
        end();
        settle?.resolve(envelope);
      },
      (error: unknown) => {
        if (deadline.settled) return;
        deadlines.settle(deadline);
        if (series !== undefined) reportFailure(this.#logger, subscription, [envelope], error);
        end();
        settle?.resolve(envelope);
      },
    );
    if (release) countdown.add();
    return promised ? new Promise<EventEnvelope>((resolve, reject) => (settle = { resolve, reject })) : undefined;
  }

  /** Queues a gathered batch for its subscription's handler. */
  offerBatch(subscription: Subscription, items: PendingEvent[]): void {
    const envelopes = items.map((item) => item.envelope);
    const finish = () => {
      for (const item of items) item.done();
    };
    const first = envelopes[0];
    const offered = subscription.queue.offer(undefined, () =>
      (subscription.active && first !== undefined
        ? withHandlerTimeout(
            runHandler(subscription, envelopes, this.#logger),
            subscription.timeoutMs,
            subscription.name ?? 'anonymous',
            first,
            (error) => reportFailure(this.#logger, subscription, envelopes, error),
          )
        : Promise.resolve()
      )
        // A failure is counted and logged: in runHandler, or above for a timeout.
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
    this.#logger.warn(
      {
        subscription: subscription.name,
        events: envelopes.length,
        eventId: envelopes[0]?.id,
        type: envelopes[0]?.type,
      },
      'volatile events dropped: subscription queue full',
    );
  }
}

/** The handlers of one event still running; `settled` is what a publisher awaits (nothing when none run). */
class Countdown {
  #left = 0;
  #resolve: (() => void) | undefined;
  #failure: Error | undefined;

  add(): void {
    this.#left++;
  }

  /** Handlers still running. */
  get running(): number {
    return this.#left;
  }

  readonly done = (): void => {
    if (--this.#left === 0) this.#resolve?.();
  };

  /** A handler ran past its timeout: `settled` rejects with the first such error. */
  readonly timedOut = (error: Error): void => {
    this.#failure ??= error;
  };

  /** For a run's promise nobody awaits: its timeout reached `timedOut` already. */
  readonly reported = (): undefined => undefined;

  /** What resolves with `value` once the last handler ended (or rejects, see `timedOut`); undefined when none runs. */
  settled<T>(value: T): Promise<T> | undefined {
    if (this.#left === 0) return this.#failure === undefined ? undefined : Promise.reject(this.#failure);
    return new Promise<T>((resolve, reject) => {
      this.#resolve = () => (this.#failure === undefined ? resolve(value) : reject(this.#failure));
    });
  }
}
