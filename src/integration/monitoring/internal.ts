// The monitoring part's face inside Weft: the public face, and what other parts and tests may use.
export * from './index.js';
export { runInContext } from './context.js';
export { SeriesCounter, SeriesHistogram } from './series-instruments.js';
export { runHealthChecks } from './health.js';
export { alertRuleSchema, durationMs } from './alerting/index.js';
export { SpanKind, idsOf, newSpanContext, startSpan, tracingEnabled } from './tracing.js';
export { randomHex } from './random-hex.js';
