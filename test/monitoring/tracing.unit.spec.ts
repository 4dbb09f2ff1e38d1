import {
  trace,
  type Context,
  type Span,
  type SpanContext,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { currentContext, formatTraceparent, parseTraceparent, runWithContext, withSpan } from 'weft/internal';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

/** A stand-in for an SDK a user would register: records each span with its parent. */
function recordingProvider() {
  const spans: Array<{
    name: string;
    parent: SpanContext | undefined;
    ended: boolean;
    error?: string;
    context: SpanContext;
  }> = [];
  let next = 1;
  const tracer: Tracer = {
    startSpan(name: string, _options?: SpanOptions, context?: Context): Span {
      const parent = context === undefined ? undefined : trace.getSpanContext(context);
      const own: SpanContext = {
        traceId: parent?.traceId ?? 'a'.repeat(32),
        spanId: (next++).toString(16).padStart(16, '0'),
        traceFlags: 1,
      };
      const record: (typeof spans)[number] = { name, parent, ended: false, context: own };
      spans.push(record);
      const span = trace.wrapSpanContext(own);
      return Object.assign(span, {
        end: () => void (record.ended = true),
        recordException: (e: unknown) => void (record.error = String(e instanceof Error ? e.message : e)),
        isRecording: () => true,
      });
    },
    startActiveSpan: () => {
      throw new Error('not used');
    },
  };
  const provider: TracerProvider = { getTracer: () => tracer };
  return { provider, spans };
}

afterEach(() => {
  trace.disable();
});

describe('trace context', () => {
  it('reads and writes W3C traceparent, refusing malformed and all-zero ids', () => {
    const parsed = parseTraceparent(`00-${TRACE}-${PARENT}-01`);
    expect(parsed).toMatchObject({ traceId: TRACE, spanId: PARENT, traceFlags: 1, isRemote: true });
    expect(formatTraceparent(parsed!)).toBe(`00-${TRACE}-${PARENT}-01`);
    for (const bad of [
      '',
      'garbage',
      `ff-${TRACE}-${PARENT}-01`,
      `00-${'0'.repeat(32)}-${PARENT}-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`,
      `00-${TRACE.slice(1)}-${PARENT}-01`,
    ]) {
      expect(parseTraceparent(bad)).toBeUndefined();
    }
  });

  it('works with no SDK installed: spans are no-ops, the trace id still reaches the context', async () => {
    await runWithContext({ traceId: TRACE, spanId: PARENT }, () =>
      withSpan('crafting.craft', () => {
        expect(currentContext()).toMatchObject({ traceId: TRACE });
        expect(currentContext()?.spanId).not.toBe(PARENT);
      }),
    );
  });

  it('with an SDK registered, nests spans under the current one and records failures', async () => {
    const { provider, spans } = recordingProvider();
    trace.setGlobalTracerProvider(provider);
    await runWithContext({ traceId: TRACE, spanId: PARENT }, () =>
      withSpan('crafting.craft', async () => {
        await withSpan('economy.debit', () => undefined);
        await expect(withSpan('quest.advance', () => Promise.reject(new Error('quest closed')))).rejects.toThrow(
          'quest closed',
        );
      }),
    );
    const [craft, debit, quest] = spans;
    expect(craft).toMatchObject({ name: 'crafting.craft', parent: { traceId: TRACE, spanId: PARENT }, ended: true });
    expect(debit?.parent?.spanId).toBe(craft?.context.spanId);
    expect(quest).toMatchObject({ error: 'quest closed', ended: true });
  });
});
