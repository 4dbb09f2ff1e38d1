export { currentContext, runWithContext } from './context.js';
export type { WeftContext } from './context.js';
export { WeftLogger } from './logger.js';
export type { LogLevel, LoggerOptions, RecentLine } from './logger.js';
export { MILLISECOND_BUCKETS, WeftMetrics } from './metrics.js';
export type { InstrumentOptions } from './metrics.js';
export { HealthChecks, runHealthChecks } from './health.js';
export type { CheckResult, Degraded, HealthCheck, HealthReport } from './health.js';
export * from './alerting/index.js';
