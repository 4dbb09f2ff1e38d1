import {
  SpanKind,
  currentSpanContext,
  idsOf,
  parseTraceparent,
  startSpan,
  tracingEnabled,
  type WeftContext,
} from '../monitoring/internal.js';
import type { SpanContext } from '@opentelemetry/api';
import type { EventEnvelope } from './envelope.js';

/** The context a handler of `envelope` runs in: its correlation, the event as cause, its trace. */
export function handlerContext(
  envelope: EventEnvelope,
  trace: SpanContext | undefined = parseTraceparent(envelope.traceparent),
): WeftContext {
  return trace === undefined
    ? { correlationId: envelope.correlationId, causationId: envelope.id }
    : { correlationId: envelope.correlationId, causationId: envelope.id, traceId: trace.traceId, spanId: trace.spanId };
}

export function spanParent(context: WeftContext): { parent?: { traceId: string; spanId: string; traceFlags: number } } {
  return context.traceId === undefined || context.spanId === undefined
    ? {}
    : { parent: { traceId: context.traceId, spanId: context.spanId, traceFlags: 1 } };
}

export function pick(ids: { traceId: string; spanId: string }): { traceId: string; spanId: string } {
  return { traceId: ids.traceId, spanId: ids.spanId };
}

/**
 * The trace of a publish: its span's when a tracing SDK records it, else the current context's;
 * none when the publish runs outside any trace and no SDK is there to start one.
 */
export function publishTrace(type: string): SpanContext | undefined {
  const parent = currentSpanContext();
  if (!tracingEnabled()) return parent;
  const span = startSpan(`publish ${type}`, {
    kind: SpanKind.PRODUCER,
    ...(parent === undefined ? {} : { parent }),
    attributes: { 'messaging.destination.name': type },
  });
  span.end();
  return idsOf(span, parent);
}
