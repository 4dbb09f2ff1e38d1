// The monitoring part's face inside Weft: the public face, and what other parts and tests may use.
export * from './index.js';
export { runInContext } from './context.js';
export { SeriesCounter, SeriesHistogram } from './series-instruments.js';
export { DELIVERY_LAG_HOLD_MS, DeliveryLag } from './delivery-lag.js';
export type { DeliveryLagOptions } from './delivery-lag.js';
export { runHealthChecks } from './health.js';
export { alertRuleSchema, durationMs } from './alerting/index.js';
export { SpanKind, idsOf, newSpanContext, startSpan, tracingEnabled } from './tracing.js';
export { randomHex } from './random-hex.js';
export { RepeatedFailure } from './repeated-failure.js';
