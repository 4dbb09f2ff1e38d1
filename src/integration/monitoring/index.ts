// The monitoring part's public face (`weft/monitoring`). What only Weft's own parts use is in internal.ts.
export { currentContext, runWithContext } from './context.js';
export type { WeftContext } from './context.js';
export { LOG_LEVELS, WeftLogger } from './logger.js';
export type { LogLevel, LoggerOptions } from './logger.js';
export type { RecentLine } from './recent-lines.js';
export { MILLISECOND_BUCKETS, WeftMetrics } from './metrics.js';
export type { InstrumentOptions } from './metrics.js';
export type { CounterSeries, HistogramSeries } from './series-instruments.js';
export { HealthChecks, publicHealthReport } from './health.js';
export type { CheckResult, Degraded, HealthCheck, HealthReport, PublicHealthReport } from './health.js';
export {
  Alerting,
  builtinRules,
  callbackChannel,
  logChannel,
  webhookChannel,
  PerformanceBudgets,
} from './alerting/index.js';
export type {
  Aggregate,
  Alert,
  AlertChannel,
  AlertRoute,
  AlertRule,
  AlertingOptions,
  BudgetReport,
  BuiltinThresholds,
  Clock,
  Comparison,
  PerformanceBudget,
  RuleState,
  RuleStatus,
  Severity,
  Silence,
  Transition,
  WebhookOptions,
} from './alerting/index.js';
export { currentSpanContext, formatTraceparent, parseTraceparent, withSpan } from './tracing.js';
export { MonitoringManager } from './monitoring-manager.js';
export type { MonitoringOptions } from './monitoring-manager.js';
