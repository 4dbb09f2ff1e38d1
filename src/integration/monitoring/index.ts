export { currentContext, runInContext, runWithContext } from './context.js';
export type { WeftContext } from './context.js';
export { LOG_LEVELS, WeftLogger } from './logger.js';
export type { LogLevel, LoggerOptions, RecentLine } from './logger.js';
export { MILLISECOND_BUCKETS, WeftMetrics } from './metrics.js';
export { SeriesCounter, SeriesHistogram } from './series-instruments.js';
export type { CounterSeries, HistogramSeries } from './series-instruments.js';
export type { InstrumentOptions } from './metrics.js';
export { HealthChecks, runHealthChecks } from './health.js';
export type { CheckResult, Degraded, HealthCheck, HealthReport } from './health.js';
export * from './alerting/index.js';
export {
  SpanKind,
  currentSpanContext,
  formatTraceparent,
  idsOf,
  newSpanContext,
  parseTraceparent,
  startSpan,
  tracingEnabled,
  withSpan,
} from './tracing.js';
export { MonitoringManager } from './monitoring-manager.js';
export type { MonitoringOptions } from './monitoring-manager.js';
export { IntegrationAlerting, IntegrationLogger, IntegrationMetrics } from './seed-api.js';
export type { MetricSummary, SeedLevel } from './seed-api.js';
export { randomHex } from './random-hex.js';
