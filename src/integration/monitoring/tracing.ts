import {
  ProxyTracerProvider,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  type Attributes,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';
import { currentContext, runWithContext } from './context.js';
import { randomHex } from './random-hex.js';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * True when the application registered a tracing SDK. Without one every span is a no-op, and hot
 * paths skip making them (the trace ids still travel through the context and envelopes).
 */
export function tracingEnabled(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer('weft') !== undefined;
}

/** Reads a W3C `traceparent` header; undefined when absent or malformed (a malformed one starts a new trace). */
export function parseTraceparent(header: string | undefined): SpanContext | undefined {
  const match = header === undefined ? null : TRACEPARENT.exec(header.trim().toLowerCase());
  if (match === null) return undefined;
  const [, version, traceId, spanId, flags] = match;
  if (
    version === 'ff' ||
    traceId === ZERO_TRACE ||
    spanId === ZERO_SPAN ||
    traceId === undefined ||
    spanId === undefined
  )
    return undefined;
  return { traceId, spanId, traceFlags: Number.parseInt(flags ?? '00', 16) & TraceFlags.SAMPLED, isRemote: true };
}

/** Writes a span context as a W3C `traceparent` header. */
export function formatTraceparent(span: SpanContext): string {
  return `00-${span.traceId}-${span.spanId}-0${span.traceFlags & TraceFlags.SAMPLED}`;
}

/** A span context of our own: the given trace (or a new one) and a new span id. */
export function newSpanContext(traceId?: string): SpanContext {
  return { traceId: traceId ?? randomHex(16), spanId: randomHex(8), traceFlags: TraceFlags.SAMPLED };
}

/** The span context of the current Weft context, when it has one. */
export function currentSpanContext(): SpanContext | undefined {
  const context = currentContext();
  if (context?.traceId === undefined || context.spanId === undefined) return undefined;
  return { traceId: context.traceId, spanId: context.spanId, traceFlags: TraceFlags.SAMPLED };
}

/**
 * Starts a span named `name` under the current one (through @opentelemetry/api: a no-op unless the
 * application registers an SDK), runs `fn` with the span's trace in the context (logs carry its
 * traceId), records a throw on the span, and ends it.
 * @example await withSpan('crafting.craft', () => craft(request), { attributes: { recipeId } })
 */
export async function withSpan<T>(
  name: string,
  fn: (span: Span) => Promise<T> | T,
  options: { attributes?: Attributes; kind?: SpanKind; parent?: SpanContext } = {},
): Promise<T> {
  const span = startSpan(name, options);
  const ids = idsOf(span, options.parent ?? currentSpanContext());
  try {
    return await runWithContext({ traceId: ids.traceId, spanId: ids.spanId }, () => fn(span));
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}

/** Starts (and does not end) a span under `parent` or the current span; the caller ends it. */
export function startSpan(
  name: string,
  options: { attributes?: Attributes; kind?: SpanKind; parent?: SpanContext } = {},
): Span {
  const parent = options.parent ?? currentSpanContext();
  const parentContext = parent === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, parent);
  return trace.getTracer('weft').startSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      ...(options.attributes === undefined ? {} : { attributes: options.attributes }),
    },
    parentContext,
  );
}

/**
 * The ids to carry for `span`: its own when a tracing SDK records it; otherwise (no-op span) a new
 * span id in the parent's trace, or a new trace, so logs and headers still tie the work together.
 */
export function idsOf(span: Span, parent: SpanContext | undefined): SpanContext {
  const own = span.spanContext();
  return trace.isSpanContextValid(own) && own.spanId !== parent?.spanId ? own : newSpanContext(parent?.traceId);
}

export { SpanKind };
