import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { SpanKind, idsOf, runInContext, startSpan, tracingEnabled, type WeftContext } from '../monitoring/internal.js';
import type { BatchCollector } from './batch-collector.js';
import type { DeliveryEngine } from './delivery/delivery-engine.js';
import type { DeliveryMetrics, DeliverySeries } from './delivery-metrics.js';
import type { DeliveryQueue } from './delivery-queue.js';
import type { EventEnvelope } from './envelope.js';
import { handlerContext, pick, spanParent } from './event-context.js';
import type { BatchOptions } from './types.js';

/** One subscription, as the bus keeps it. */
export interface Subscription {
  readonly id: number;
  readonly name: string | undefined;
  readonly pattern: string;
  readonly priority: number;
  readonly once: boolean;
  readonly filter: ((event: EventEnvelope) => boolean) | undefined;
  /** Takes one envelope, or an array of them when `batch` is set. */
  readonly handler: (events: EventEnvelope | EventEnvelope[]) => unknown;
  readonly batch: BatchOptions | undefined;
  /** The longest one handler run may take (see SubscribeOptions.timeoutMs). */
  readonly timeoutMs: number;
  readonly queue: DeliveryQueue;
  readonly metrics: DeliveryMetrics;
  readonly stopWatching: (() => void) | undefined;
  /** Volatile events waiting for their batch to fill (batch subscriptions only). */
  collector: BatchCollector | undefined;
  /** Clears what the handler built, so the subscription can be replayed from the start (SubscribeOptions.reset). */
  readonly reset: (() => unknown) | undefined;
  /** The engine delivering its durable events; undefined for volatile and live subscriptions. */
  durable: DeliveryEngine | undefined;
  active: boolean;
}

/** A subscription an event type goes to, with its metric series for that type. */
export interface Route {
  readonly subscription: Subscription;
  readonly series: DeliverySeries;
}

/**
 * Runs a handler in the event's context (so what it publishes has the event as cause); counts and logs (to `report`,
 * when given) and rethrows a failure.
 */
export async function runHandler(
  subscription: Subscription,
  envelopes: readonly EventEnvelope[],
  report: Logger | undefined,
  shared?: WeftContext,
): Promise<void> {
  const envelope = envelopes[0];
  if (envelope === undefined) return;
  // A batch runs in the context of its first event (its correlation, its trace).
  const context = shared ?? handlerContext(envelope);
  const subscriptionName = subscription.name ?? 'anonymous';
  const started = performance.now();
  // Without a tracing SDK the handler span would be a no-op: skip making it.
  const span = tracingEnabled()
    ? startSpan(`handle ${envelope.type}`, {
        kind: SpanKind.CONSUMER,
        ...spanParent(context),
        attributes: { 'messaging.destination.name': envelope.type, 'messaging.consumer.group.name': subscriptionName },
      })
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
    if (report) reportFailure(report, subscription, envelopes, error);
    throw error;
  } finally {
    span?.end();
  }
}

/** Counts a failed handler run and logs it with the event's ids. */
export function reportFailure(
  logger: Logger,
  subscription: Subscription,
  envelopes: readonly EventEnvelope[],
  error: unknown,
): void {
  const envelope = envelopes[0];
  if (envelope === undefined) return;
  subscription.metrics.of(envelope.type).failed.inc();
  logger.error(
    {
      err: error,
      eventId: envelope.id,
      type: envelope.type,
      subscription: subscription.name,
      correlationId: envelope.correlationId,
    },
    'event handler failed',
  );
}
